import Foundation

/// Runs a C shim writer into a temporary file beside `url`, then renames it into place, so a reader
/// never sees a half-written file. `write` gets the temporary path and a message buffer and returns
/// the shim's status (0 = success); a failure (or a failed rename) removes the temporary file and
/// throws `ImagingError.unwritable` naming `url` with the shim's message.
func writeThroughShim(to url: URL, _ write: (_ temporaryPath: String, _ message: inout [CChar]) -> Int32) throws {
    // Unique per write: concurrent workers of one process never share a temporary name.
    let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid())-\(UUID().uuidString.prefix(8)).tmp")
    var message = [CChar](repeating: 0, count: 512)
    let status = write(temporary.path, &message)
    guard status == 0, rename(temporary.path, url.path) == 0 else {
        try? FileManager.default.removeItem(at: temporary)
        throw ImagingError.unwritable(path: url.path, reason: status == 0 ? "cannot move the finished file into place" : cText(message))
    }
}
