/// A 5 x 7 bitmap font for the burned-in laterality / view marker ("L CC", "R MLO").
enum MarkerFont {
    static let glyphs: [Character: [String]] = [
        "L": ["#....", "#....", "#....", "#....", "#....", "#....", "#####"],
        "R": ["####.", "#...#", "#...#", "####.", "#.#..", "#..#.", "#...#"],
        "C": [".###.", "#...#", "#....", "#....", "#....", "#...#", ".###."],
        "M": ["#...#", "##.##", "#.#.#", "#.#.#", "#...#", "#...#", "#...#"],
        "O": [".###.", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."],
        " ": [".....", ".....", ".....", ".....", ".....", ".....", "....."],
    ]

    /// Pixels (x, y) set by `text` drawn at `scale` pixels per font pixel, origin top-left.
    static func pixels(_ text: String, scale: Int) -> (points: [(Int, Int)], width: Int, height: Int) {
        var points: [(Int, Int)] = []
        for (i, character) in text.enumerated() {
            guard let glyph = glyphs[character] else { continue }
            for (row, line) in glyph.enumerated() {
                for (column, mark) in line.enumerated() where mark == "#" {
                    for dy in 0..<scale {
                        for dx in 0..<scale { points.append(((i * 6 + column) * scale + dx, row * scale + dy)) }
                    }
                }
            }
        }
        return (points, (text.count * 6 - 1) * scale, 7 * scale)
    }
}
