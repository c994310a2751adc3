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

    /// One octave of smooth value noise on a lattice with the given spacings, rotated by a random
    /// angle so the octaves' lattice axes do not line up into visible blocks.
    private static func addOctave(_ field: inout [Float], rows: Int, columns: Int, spacingX: Double, spacingY: Double,
                                  amplitude: Float, rng: inout SynthRandom) {
        let angle = rng.uniform(-0.6, 0.6)
        let c = Float(cos(angle)), s = Float(sin(angle))
        let w = Float(columns), h = Float(rows)
        // Lattice coordinates of the rotated image corners bound the lattice size.
        let corners = [(Float(0), Float(0)), (w, 0), (0, h), (w, h)].map { (x, y) in (x * c - y * s, x * s + y * c) }
        let minU = corners.map(\.0).min()!, maxU = corners.map(\.0).max()!
        let minV = corners.map(\.1).min()!, maxV = corners.map(\.1).max()!
        let sx = Float(1 / spacingX), sy = Float(1 / spacingY)
        let gw = Int((maxU - minU) * sx) + 3, gh = Int((maxV - minV) * sy) + 3
        var lattice = [Float](repeating: 0, count: gw * gh)
        for i in lattice.indices { lattice[i] = Float(rng.unit() * 2 - 1) }
        let ou = Float(rng.unit()) - minU * sx, ov = Float(rng.unit()) - minV * sy
        field.withUnsafeMutableBufferPointer { out in
            lattice.withUnsafeBufferPointer { grid in
                for y in 0..<rows {
                    let fy = Float(y)
                    var u = -fy * s * sx + ou, v = fy * c * sy + ov
                    let du = c * sx, dv = s * sy
                    let base = y * columns
                    for x in 0..<columns {
                        let cu = Int(u), cv = Int(v)
                        let tu = smooth(u - Float(cu)), tv = smooth(v - Float(cv))
                        let row0 = cv * gw + cu, row1 = row0 + gw
                        let top = grid[row0] + (grid[row0 + 1] - grid[row0]) * tu
                        let bottom = grid[row1] + (grid[row1 + 1] - grid[row1]) * tu
                        out[base + x] += amplitude * (top + (bottom - top) * tv)
                        u += du
                        v += dv
                    }
                }
            }
        }
    }

    @inline(__always) static func smooth(_ t: Float) -> Float { t * t * (3 - 2 * t) }
}

import Foundation
