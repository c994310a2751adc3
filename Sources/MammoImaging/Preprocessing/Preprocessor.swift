import Foundation
import Torch

/// Which preprocessing to run.
public enum PreprocessingProfile: String, Codable, Sendable, CaseIterable {
    /// The reference's steps exactly (8-bit output).
    case mammoclip
    /// MammoFM's own (16-bit output); see `StandardProfile`.
    case standard

    /// Runs the profile on a decoded image: model-size pixels (uint8 values for mammoclip, 0...65535
    /// for standard) and the geometry.
    public func apply(_ image: DicomImage, width: Int, height: Int, stretch: Bool = false) throws -> (pixels: Tensor, geometry: PreprocessingGeometry) {
        switch self {
        case .mammoclip: return try MammoClipProfile.apply(image, width: width, height: height)
        case .standard: return try StandardProfile.apply(image, options: .init(width: width, height: height, stretch: stretch))
        }
    }

    public var bitDepth: Int { self == .mammoclip ? 8 : 16 }
}

/// What is recorded beside each preprocessed image (the sidecar JSON) and in the manifest.
public struct PreprocessedRecord: Codable, Equatable, Sendable {
    public var source: String
    public var output: String
    public var profile: PreprocessingProfile
    public var bitDepth: Int
    public var sopInstanceUID: String?
    public var patientID: String?
    public var laterality: Laterality
    public var view: String?
    public var geometry: PreprocessingGeometry
    /// The source file's size and modification time when it was processed (nil in records of earlier
    /// versions): a source rewritten since is processed again on resume, never matched to a stale PNG.
    public var sourceStamp: String? = nil
}

/// Turns a set of DICOM files into model-ready PNGs with sidecars, a manifest and an errors list;
/// parallel, resumable (finished files are skipped), one failing file never stops the rest.
public struct Preprocessor: Sendable {
    public var outputDirectory: URL
    public var profile: PreprocessingProfile
    public var width: Int
    public var height: Int
    public var stretch: Bool
    /// Name outputs by patient and SOP Instance UID instead of a hash of the source path.
    public var keepIdentifiers: Bool
    /// Name outputs after the source file (`images/<file name without extension>.png`), for sources whose
    /// names are already non-identifying ids (the synthetic cohort's image ids, a data set's image ids).
    public var keepFileNames = false
    /// The largest image decoded (larger ones are recorded as failed inputs).
    public var limits = DicomLimits.standard

    public init(outputDirectory: URL, profile: PreprocessingProfile, width: Int = 912, height: Int = 1520, stretch: Bool = false,
                keepIdentifiers: Bool = false) {
        self.outputDirectory = outputDirectory
        self.profile = profile
        self.width = width
        self.height = height
        self.stretch = stretch
        self.keepIdentifiers = keepIdentifiers
    }

    /// DICOM files under a directory (by extension or the DICM marker), or listed in a CSV (a `path`
    /// column, or the first column; relative paths are relative to the CSV), with display names.
    public static func inputs(_ input: URL) throws -> [(url: URL, name: String)] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: input.path, isDirectory: &isDirectory) else {
            throw ImagingError.unreadable(path: input.path, reason: "no such file or directory")
        }
        if isDirectory.boolValue {
            guard let walker = FileManager.default.enumerator(at: input, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
            var files: [(URL, String)] = []
            let base = input.standardizedFileURL.path
            for case let url as URL in walker where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
                // Hidden names are temporary files of an unfinished write (".NAME.PID.tmp") or system
                // files (macOS "._" forks), never inputs.
                if url.lastPathComponent.hasPrefix(".") { continue }
                if isDicom(url) { files.append((url, String(url.standardizedFileURL.path.dropFirst(base.count + 1)))) }
            }
            return files.sorted { $0.1 < $1.1 }
        }
        let rows = try CSVFile.read(input)
        guard let header = rows.first else { throw ImagingError.unreadable(path: input.path, reason: "the CSV is empty") }
        let column = header.firstIndex { ["path", "file", "dicom", "dicom_path", "image_path"].contains($0.lowercased()) }
        let dataRows = column == nil ? rows : Array(rows.dropFirst())
        let folder = input.deletingLastPathComponent()
        return try dataRows.enumerated().map { index, row in
            let field = row[column ?? 0]
            guard !field.isEmpty else {
                throw ImagingError.unreadable(path: input.path, reason: "line \(index + (column == nil ? 1 : 2)): empty path")
            }
            let url = field.hasPrefix("/") ? URL(fileURLWithPath: field) : folder.appendingPathComponent(field)
            return (url, field)
        }
    }

    public static func isDicom(_ url: URL) -> Bool {
        if ["dcm", "dicom"].contains(url.pathExtension.lowercased()) { return true }
        guard let handle = FileHandle(forReadingAtPath: url.path) else { return false }
        defer { try? handle.close() }
        guard let head = try? handle.read(upToCount: 132), head.count == 132 else { return false }
        return head.suffix(4) == Data("DICM".utf8)
    }

    /// A stable, non-identifying name for a source: 64-bit FNV-1a of its path, in hex.
    static func pseudonym(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return String(format: "%016llx", hash)
    }

    static func safeName(_ text: String) -> String {
        String(text.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_" ? $0 : "_" })
    }

    func sidecarURL(for name: String) -> URL {
        outputDirectory.appendingPathComponent("images").appendingPathComponent(Self.pseudonym(name) + ".json")
    }

    /// The record of a finished source, when its outputs are complete and the source (at `url`, when
    /// given) is the file that was processed.
    public func finishedRecord(for name: String, source url: URL? = nil) -> PreprocessedRecord? {
        guard let data = try? Data(contentsOf: sidecarURL(for: name)),
              let record = try? JSONDecoder().decode(PreprocessedRecord.self, from: data),
              record.profile == profile, record.geometry.outputWidth == width, record.geometry.outputHeight == height,
              FileManager.default.fileExists(atPath: outputDirectory.appendingPathComponent(record.output).path) else { return nil }
        if let url, let stamp = record.sourceStamp, stamp != fileStamp(url) { return nil }
        return record
    }

    /// The output PNG of a source (relative to the output folder); by identifiers it needs the metadata.
    func outputName(for name: String, metadata m: DicomMetadata?) -> String {
        if keepFileNames {
            return "images/" + Self.safeName(URL(fileURLWithPath: name).deletingPathExtension().lastPathComponent) + ".png"
        } else if keepIdentifiers, let m {
            let patient = Self.safeName(m.patientID ?? "unknown-patient"), sop = Self.safeName(m.sopInstanceUID ?? Self.pseudonym(name))
            return "images/\(patient)/\(sop).png"
        }
        return "images/" + Self.pseudonym(name) + ".png"
    }

    /// Processes one file; writes the PNG, then the sidecar (its presence marks the file done).
    /// `claim` is asked for the output name first and refuses a name another source already has.
    public func process(_ url: URL, name: String, claim: (String) throws -> Void = { _ in }) throws -> PreprocessedRecord {
        let image = try DicomImage(contentsOf: url, limits: limits)
        let (pixels, geometry) = try profile.apply(image, width: width, height: height, stretch: stretch)
        let m = image.metadata
        let relative = outputName(for: name, metadata: m)
        try claim(relative)
        let pngURL = outputDirectory.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: pngURL.deletingLastPathComponent(), withIntermediateDirectories: true)
        let values = try pixels.to(.int32).toArray(Int32.self).map { UInt16(clamping: $0) }
        try GrayscaleImage(width: width, height: height, bitDepth: profile.bitDepth, pixels: values).writePNG(pngURL)
        let record = PreprocessedRecord(source: name, output: relative, profile: profile, bitDepth: profile.bitDepth,
                                        sopInstanceUID: m.sopInstanceUID, patientID: m.patientID, laterality: m.laterality,
                                        view: m.view, geometry: geometry, sourceStamp: fileStamp(url))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try writeAtomically(encoder.encode(record), to: sidecarURL(for: name))
        return record
    }

    public struct Summary: Sendable {
        public var processed = 0
        public var skipped = 0
        public var failed: [(name: String, reason: String)] = []
        public var records: [PreprocessedRecord] = []
    }

    /// Runs every input on `jobs` threads; `progress` is called after each file (from any thread).
    /// The output folder must be new, empty or a MammoFM preprocessed folder (resumed: finished files
    /// are skipped); anything else is refused before a file is written. With `keepFileNames`, two
    /// inputs that map to one output name are refused before any work; with `keepIdentifiers`, a
    /// second file of the same patient and SOP Instance UID is recorded as failed, not written over
    /// the first.
    public func run(_ inputs: [(url: URL, name: String)], jobs: Int, progress: @Sendable (_ done: Int, _ failed: Int) -> Void = { _, _ in }) throws -> Summary {
        if keepFileNames {
            var owner: [String: String] = [:]
            for input in inputs {
                let output = outputName(for: input.name, metadata: nil)
                if let first = owner[output] {
                    throw ImagingError.unwritable(path: outputDirectory.appendingPathComponent(output).path,
                                                  reason: "--keep-file-names maps both \(first) and \(input.name) to this name; rename one, or drop --keep-file-names")
                }
                owner[output] = input.name
            }
        }
        try OutputFolder.claim(outputDirectory, as: .preprocessed)
        try FileManager.default.createDirectory(at: outputDirectory.appendingPathComponent("images"), withIntermediateDirectories: true)
        OutputFolder.removeTemporaryFiles(under: outputDirectory.appendingPathComponent("images"))
        final class State: @unchecked Sendable {
            let lock = NSLock()
            var summary = Summary()
            var next = 0
            var owners: [String: String] = [:]
        }
        let state = State()
        // Output names of this run's sources, so that no two sources write one file.
        let claim: @Sendable (String, String) throws -> Void = { output, source in
            state.lock.lock()
            defer { state.lock.unlock() }
            if let first = state.owners[output], first != source {
                throw ImagingError.unwritable(path: output, reason: "\(first) already maps to this output name (same patient and SOP Instance UID?); not written over it")
            }
            state.owners[output] = source
        }
        let workers = Swift.max(1, Swift.min(jobs, inputs.count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            Torch.initializeThread()
            while true {
                state.lock.lock()
                let index = state.next
                state.next += 1
                state.lock.unlock()
                guard index < inputs.count else { return }
                let (url, name) = inputs[index]
                var record: PreprocessedRecord?
                var failure: String?
                var skipped = false
                if let done = finishedRecord(for: name, source: url) {
                    do {
                        try claim(done.output, name)
                        record = done
                        skipped = true
                    } catch { failure = "\(error)" }
                } else {
                    do { record = try process(url, name: name) { try claim($0, name) } } catch { failure = "\(error)" }
                }
                state.lock.lock()
                if let record { state.summary.records.append(record) }
                if skipped { state.summary.skipped += 1 } else if record != nil { state.summary.processed += 1 }
                if let failure { state.summary.failed.append((name, failure)) }
                let done = state.summary.records.count + state.summary.failed.count, failed = state.summary.failed.count
                state.lock.unlock()
                progress(done, failed)
            }
        }
        var summary = state.summary
        summary.records.sort { $0.source < $1.source }
        summary.failed.sort { $0.name < $1.name }
        try writeManifest(summary.records)
        try writeErrors(summary.failed)
        return summary
    }

    func writeManifest(_ records: [PreprocessedRecord]) throws {
        var rows = [["source_path", "sop_instance_uid", "patient_id", "laterality", "view", "output_path", "profile", "bit_depth",
                     "source_width", "source_height", "crop_x0", "crop_y0", "crop_x1", "crop_y1", "crop_contiguous", "flipped",
                     "scale_x", "scale_y", "pad_left", "pad_top", "pad_right", "pad_bottom", "output_width", "output_height"]]
        for r in records {
            let g = r.geometry
            rows.append([r.source, r.sopInstanceUID ?? "", r.patientID ?? "", r.laterality.rawValue, r.view ?? "", r.output, r.profile.rawValue,
                         String(r.bitDepth), String(g.sourceWidth), String(g.sourceHeight), String(g.cropX0), String(g.cropY0), String(g.cropX1),
                         String(g.cropY1), String(g.cropIsContiguous), String(g.flipped), String(g.scaleX), String(g.scaleY)]
                        + g.padding.map(String.init) + [String(g.outputWidth), String(g.outputHeight)])
        }
        try CSVFile.write(rows, to: outputDirectory.appendingPathComponent("manifest.csv"))
    }

    func writeErrors(_ failed: [(name: String, reason: String)]) throws {
        try CSVFile.write([["source_path", "reason"]] + failed.map { [$0.name, $0.reason] }, to: outputDirectory.appendingPathComponent("errors.csv"))
    }
}
