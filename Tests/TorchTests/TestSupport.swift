import Foundation
import Testing
@testable import Torch

/// The committed fixtures beside this file (regenerate with `make fixtures`).
enum Fixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static func url(_ name: String) -> URL { folder.appendingPathComponent(name) }
}

/// The first element where |a - b| > atol + rtol * (|b| + max|b|), or nil when they agree. A
/// non-finite element on either side is a mismatch: it would otherwise widen the bound to infinity.
///
/// The max|b| term makes the bound relative to the tensor's scale as well as to each element: a small
/// element that is a sum of large terms (a convolution's weight gradient) carries rounding of the
/// size of those terms, and the summation order differs between thread counts.
func mismatch(_ a: Tensor, _ b: Tensor, rtol: Double = 1e-5, atol: Double = 1e-6) throws -> String? {
    guard a.shape == b.shape else { return "shape \(a.shape) != \(b.shape)" }
    if !a.dtype.isFloatingPoint || !b.dtype.isFloatingPoint {
        let x = try a.to(.int64).toArray(Int64.self), y = try b.to(.int64).toArray(Int64.self)
        return x == y ? nil : "integer values differ: \(x.prefix(12)) vs \(y.prefix(12))"
    }
    let x = try a.to(.float64).toArray(Double.self), y = try b.to(.float64).toArray(Double.self)
    if let bad = x.indices.first(where: { !x[$0].isFinite || !y[$0].isFinite }) {
        return "element \(bad) is not finite: \(x[bad]) vs \(y[bad])"
    }
    let scale = y.reduce(0) { Swift.max($0, Swift.abs($1)) }
    var worst = 0.0, at = -1
    for i in x.indices {
        let excess = Swift.abs(x[i] - y[i]) - (atol + rtol * (Swift.abs(y[i]) + scale))
        if excess > worst || (x[i].isNaN != y[i].isNaN) { worst = Swift.max(excess, 1); at = i }
    }
    return at < 0 ? nil : "element \(at): \(x[at]) vs \(y[at])"
}

/// Resident memory of this process in bytes; a test that measures it fails when it cannot be read.
func residentMemory() throws -> Int {
    struct Unreadable: Error, CustomStringConvertible { var description: String }
    let text = try String(contentsOfFile: "/proc/self/statm", encoding: .utf8)
    guard let pages = text.split(separator: " ").dropFirst().first.flatMap({ Int($0) }), pages > 0 else {
        throw Unreadable(description: "/proc/self/statm holds no resident page count: '\(text)'")
    }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

func temporaryFile(_ name: String) -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mammofm-tests-\(getpid())")
    try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder.appendingPathComponent(name)
}
