/// A reader of the uncompressed ("stored") zip archives that `torch.save` writes, ZIP64 included.
/// Entries are slices of one memory mapping; nothing is copied until a tensor is made.
final class ZipArchive {
    struct Entry {
        let name: String
        let dataOffset: Int
        let size: Int
    }

    let file: MappedFile
    private(set) var entries: [String: Entry] = [:]
    /// Entry names in the archive's order.
    private(set) var names: [String] = []

    init(path: String) throws {
        file = try MappedFile(path: path)
        func fail(_ reason: String) -> TorchError { .zip(path: path, reason: reason) }
        let n = file.count
        // The end-of-central-directory record sits in the last 22 + 65535 bytes.
        var eocd = -1
        var i = n - 22
        while i >= Swift.max(0, n - 22 - 65535) {
            if file.uint32(at: i) == 0x0605_4b50 { eocd = i; break }
            i -= 1
        }
        guard eocd >= 0 else {
            throw fail("end-of-central-directory record not found (the file is truncated or not a zip archive)")
        }
        // Every field is the file's word: 64-bit values are converted and offsets added with overflow checks.
        func int(_ value: UInt64, _ field: String) throws -> Int {
            guard let v = Checked.int(value) else { throw fail("\(field) \(value) is out of range") }
            return v
        }
        func sum(_ parts: Int..., field: String) throws -> Int {
            var total = 0
            for part in parts {
                guard let next = Checked.add(total, part) else { throw fail("\(field) overflows (\(parts.map(String.init).joined(separator: " + ")))") }
                total = next
            }
            return total
        }
        var entryCount = Int(file.uint16(at: eocd + 10))
        var directorySize = Int(file.uint32(at: eocd + 12))
        var directoryOffset = Int(file.uint32(at: eocd + 16))
        if eocd >= 20, file.uint32(at: eocd - 20) == 0x0706_4b50 {
            let record = try int(file.uint64(at: eocd - 20 + 8), "ZIP64 end-of-central-directory offset")
            guard record <= n - 56, file.uint32(at: record) == 0x0606_4b50 else {
                throw fail("ZIP64 end-of-central-directory record missing or damaged")
            }
            entryCount = try int(file.uint64(at: record + 32), "ZIP64 entry count")
            directorySize = try int(file.uint64(at: record + 40), "ZIP64 central directory size")
            directoryOffset = try int(file.uint64(at: record + 48), "ZIP64 central directory offset")
        }
        guard directoryOffset <= n - directorySize, directorySize <= n else {
            throw fail("central directory (offset \(directoryOffset), \(directorySize) bytes) lies outside the \(n)-byte file")
        }
        // Each entry takes at least 46 bytes of the directory: a larger count is a lie.
        guard entryCount <= directorySize / 46 else {
            throw fail("\(entryCount) entries cannot fit in a central directory of \(directorySize) bytes")
        }
        var p = directoryOffset
        for _ in 0..<entryCount {
            guard p <= n - 46, file.uint32(at: p) == 0x0201_4b50 else { throw fail("damaged central directory at byte \(p)") }
            let method = file.uint16(at: p + 10)
            var compressedSize = Int(file.uint32(at: p + 20))
            var size = Int(file.uint32(at: p + 24))
            let nameLength = Int(file.uint16(at: p + 28))
            let extraLength = Int(file.uint16(at: p + 30))
            let commentLength = Int(file.uint16(at: p + 32))
            var localOffset = Int(file.uint32(at: p + 42))
            guard let nameBytes = file.slice(p + 46, nameLength) else { throw fail("entry name runs past the end of the file") }
            let name = String(decoding: nameBytes, as: UTF8.self)
            // ZIP64 extra field: 64-bit values for the fields saturated at 0xFFFFFFFF, in order.
            var e = p + 46 + nameLength
            let extraEnd = e + extraLength
            while e + 4 <= extraEnd, e <= n - 4 {
                let id = file.uint16(at: e), length = Int(file.uint16(at: e + 2))
                if id == 0x0001 {
                    var q = e + 4
                    if size == 0xFFFF_FFFF, q <= n - 8 { size = try int(file.uint64(at: q), "ZIP64 size of '\(name)'"); q += 8 }
                    if compressedSize == 0xFFFF_FFFF, q <= n - 8 { compressedSize = try int(file.uint64(at: q), "ZIP64 compressed size of '\(name)'"); q += 8 }
                    if localOffset == 0xFFFF_FFFF, q <= n - 8 { localOffset = try int(file.uint64(at: q), "ZIP64 local header offset of '\(name)'") }
                }
                e += 4 + length
            }
            guard method == 0 else {
                throw fail("entry '\(name)' is compressed (method \(method)); torch.save archives store entries uncompressed")
            }
            guard localOffset <= n - 30, file.uint32(at: localOffset) == 0x0403_4b50 else {
                throw fail("local header of '\(name)' is missing (the file is truncated or damaged)")
            }
            let dataOffset = try sum(localOffset, 30, Int(file.uint16(at: localOffset + 26)), Int(file.uint16(at: localOffset + 28)),
                                     field: "data offset of '\(name)'")
            guard compressedSize <= n, dataOffset <= n - compressedSize else {
                throw fail("entry '\(name)' needs \(compressedSize) bytes from byte \(dataOffset) of a \(n)-byte file (truncated)")
            }
            guard compressedSize == size else {
                throw fail("entry '\(name)' is stored with \(compressedSize) bytes but announces \(size) uncompressed bytes")
            }
            entries[name] = Entry(name: name, dataOffset: dataOffset, size: compressedSize)
            names.append(name)
            p += 46 + nameLength + extraLength + commentLength
        }
    }

    /// The bytes of entry `name`.
    func data(_ name: String) throws -> UnsafeRawBufferPointer {
        guard let entry = entries[name] else { throw TorchError.zip(path: file.path, reason: "no entry '\(name)'") }
        return file.slice(entry.dataOffset, entry.size)!
    }
}
