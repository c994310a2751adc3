import Foundation
import Torch

/// A content hash of a weights file (FNV-1a 64 over its bytes, hex): names cached features and
/// goes into result files, so a number can be traced to the exact weights that produced it.
public enum WeightsHash {
    public static func of(file url: URL) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw InputError.badFile(path: url.path, reason: "cannot read the weights to hash them")
        }
        defer { try? handle.close() }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        while let chunk = try handle.read(upToCount: 1 << 22), !chunk.isEmpty {
            chunk.withUnsafeBytes { bytes in
                for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            }
        }
        return of(hash)
    }

    /// The hash of a string (FNV-1a 64, hex).
    public static func of(text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return of(hash)
    }

    /// A hash of the files' paths, sizes and modification times (nanoseconds): cheap, and it changes
    /// when any file is rewritten, so caches and checkpoints keyed on it never reuse stale images.
    public static func ofStamps(_ urls: [URL]) -> String { of(text: fileStampLines(urls)) }

    static func of(_ hash: UInt64) -> String { String(hash, radix: 16).leftPadded(to: 16) }
}

extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
