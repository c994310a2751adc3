import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A read-only memory mapping of a whole file, released when the object goes away.
final class MappedFile: @unchecked Sendable {
    let path: String
    let bytes: UnsafeRawBufferPointer

    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw TorchError.io(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw TorchError.io(path: path, reason: String(cString: strerror(errno))) }
        let size = Int(info.st_size)
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw TorchError.io(path: path, reason: "cannot map file: \(String(cString: strerror(errno)))")
        }
        bytes = UnsafeRawBufferPointer(start: base, count: size)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }

    var count: Int { bytes.count }

    /// Bytes [offset, offset + length), or nil when the range leaves the file.
    func slice(_ offset: Int, _ length: Int) -> UnsafeRawBufferPointer? {
        guard offset >= 0, length >= 0, offset <= count - length else { return nil }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)])
    }

    func uint16(at offset: Int) -> UInt16 { bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self).littleEndian }
    func uint32(at offset: Int) -> UInt32 { bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian }
    func uint64(at offset: Int) -> UInt64 { bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self).littleEndian }
}

/// Writes `data` to `url` through a temporary file in the same folder and a rename, so a reader
/// never sees a half-written file. `durable` flushes the file and its folder to disk (checkpoints,
/// models): after a power cut the name holds either the old or the new bytes.
public func writeAtomically(_ data: Data, to url: URL, durable: Bool = false) throws {
    let folder = url.deletingLastPathComponent()
    let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8)).tmp")
    do {
        try data.write(to: temporary)
        if durable { try OutputFolder.flush(temporary) }
        if rename(temporary.path, url.path) != 0 {
            throw TorchError.io(path: url.path, reason: "cannot move the finished file into place: \(String(cString: strerror(errno)))")
        }
        if durable { try OutputFolder.flush(folder) }
    } catch let error as OutputFolderError {
        try? FileManager.default.removeItem(at: temporary)
        throw TorchError.io(path: url.path, reason: error.description)
    } catch let error as TorchError {
        try? FileManager.default.removeItem(at: temporary)
        throw error
    } catch {
        try? FileManager.default.removeItem(at: temporary)
        throw TorchError.io(path: url.path, reason: error.localizedDescription)
    }
}
