/// Power-law ("1/f^beta") texture for fibroglandular tissue: value-noise octaves from a spacing of a
/// fifth of the image down to 2 pixels, octave amplitude proportional to spacing^((beta - 2) / 2), so
/// the power spectrum falls roughly as 1/f^beta (beta near 3 for mammographic parenchyma).
/// Output: zero mean, unit variance, row-major.
struct FractalTexture {
    static func generate(rows: Int, columns: Int, beta: Double, stretch: Double, rng: inout SynthRandom) -> [Float] {
        var field = [Float](repeating: 0, count: rows * columns)
        let hurst = (beta - 2) / 2
        var spacing = Double(max(rows, columns)) / 5
        while spacing >= 2 {
            addOctave(&field, rows: rows, columns: columns, spacingX: spacing * stretch, spacingY: spacing,
                      amplitude: Float(pow(spacing, hurst)), rng: &rng)
            spacing /= 2
        }
        var mean = 0.0, square = 0.0
        for v in field { mean += Double(v); square += Double(v) * Double(v) }
        mean /= Double(field.count)
        let sd = max(1e-9, (square / Double(field.count) - mean * mean).squareRoot())
        let m = Float(mean), s = Float(1 / sd)
        for i in field.indices { field[i] = (field[i] - m) * s }
        return field
    }

    /// One octave of smooth value noise on a lattice with the given spacings.
    private static func addOctave(_ field: inout [Float], rows: Int, columns: Int, spacingX: Double, spacingY: Double,
                                  amplitude: Float, rng: inout SynthRandom) {
        let gw = Int(Double(columns) / spacingX) + 3, gh = Int(Double(rows) / spacingY) + 3
        var lattice = [Float](repeating: 0, count: gw * gh)
        for i in lattice.indices { lattice[i] = Float(rng.unit() * 2 - 1) }
        // Random phase so octaves do not share lattice lines.
        let ox = rng.unit(), oy = rng.unit()
        var cellX = [Int](repeating: 0, count: columns), fadeX = [Float](repeating: 0, count: columns)
        for x in 0..<columns {
            let g = Double(x) / spacingX + ox
            cellX[x] = Int(g)
            fadeX[x] = smooth(Float(g - Double(cellX[x])))
        }
        field.withUnsafeMutableBufferPointer { out in
            lattice.withUnsafeBufferPointer { grid in
                for y in 0..<rows {
                    let g = Double(y) / spacingY + oy
                    let cy = Int(g)
                    let fy = smooth(Float(g - Double(cy)))
                    let row0 = cy * gw, row1 = (cy + 1) * gw
                    let base = y * columns
                    for x in 0..<columns {
                        let cx = cellX[x], fx = fadeX[x]
                        let top = grid[row0 + cx] + (grid[row0 + cx + 1] - grid[row0 + cx]) * fx
                        let bottom = grid[row1 + cx] + (grid[row1 + cx + 1] - grid[row1 + cx]) * fx
                        out[base + x] += amplitude * (top + (bottom - top) * fy)
                    }
                }
            }
        }
    }

    @inline(__always) static func smooth(_ t: Float) -> Float { t * t * (3 - 2 * t) }
}

import Foundation
