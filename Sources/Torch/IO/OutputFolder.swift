import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The kinds of folder MammoFM writes. A folder holds a marker file naming its kind, so that a later
/// run can tell its own output (which it may resume or replace) from a user's folder (which it refuses).
public enum OutputKind: String, Codable, Sendable, CaseIterable {
    /// A converted or trained model: config.json, model.safetensors, tokenizer files (replaced whole).
    case model
    /// A pretraining run: checkpoints, metrics, best/ and final/ (resumed in place).
    case pretrainingRun = "pretraining-run"
    /// A fine-tuning checkpoint of one task (replaced whole).
    case fineTuneCheckpoint = "fine-tune-checkpoint"
    /// The results of a scoring command (finetune, probe, zeroshot, evaluate): written file by file.
    case results
    /// Preprocessed images with their manifest (resumed in place).
    case preprocessed
    /// A synthetic cohort (resumed in place).
    case syntheticCohort = "synthetic-cohort"
    /// A model bundle: the encoder, its heads and a manifest (replaced whole).
    case bundle
    /// The analysis of one exam: analysis.json, the structured report, the page, model inputs (replaced whole).
    case examAnalysis = "exam-analysis"
    /// A trained detector: detector.json and detector.safetensors (replaced whole).
    case detector
    /// A detector training checkpoint (replaced whole).
    case detectorCheckpoint = "detector-checkpoint"
    /// A trained Mammo-FActOR mapper: factor.json and factor.safetensors (replaced whole).
    case factorMapper = "factor-mapper"

    /// Files that identify this kind's folders written before folders carried a marker: a folder
    /// without a marker is taken as this kind's output only when it holds all of them.
    var legacySignature: [String] {
        switch self {
        case .model: return ["config.json", "model.safetensors"]
        case .pretrainingRun: return ["checkpoints"]
        case .fineTuneCheckpoint: return ["state.json", "model.safetensors"]
        case .results: return ["result.json"]
        case .preprocessed: return ["manifest.csv"]
        case .syntheticCohort: return ["cohort.json"]
        case .bundle: return ["manifest.json", "model"]
        case .examAnalysis: return ["analysis.json"]
        case .detector: return ["detector.json", "detector.safetensors"]
        case .detectorCheckpoint: return ["state.json", "detector.safetensors"]
        case .factorMapper: return ["factor.json", "factor.safetensors"]
        }
    }

    /// The names a folder of a kind that is replaced whole may hold; nil for kinds written in place
    /// (their other files are left alone, never deleted).
    var replaceableNames: Set<String>? {
        switch self {
        case .model:
            return ["config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json", OutputFolder.markerName]
        case .fineTuneCheckpoint:
            return ["model.safetensors", "optimizer.bin", "state.json", OutputFolder.markerName]
        case .bundle:
            return ["manifest.json", "model", "heads", "detectors", OutputFolder.markerName]
        case .examAnalysis:
            return ["analysis.json", "report.dcm", "index.html", "images", OutputFolder.markerName]
        case .detector:
            return ["detector.json", "detector.safetensors", OutputFolder.markerName]
        case .detectorCheckpoint:
            return ["detector.safetensors", "optimizer.bin", "state.json", OutputFolder.markerName]
        case .factorMapper:
            return ["factor.json", "factor.safetensors", OutputFolder.markerName]
        default: return nil
        }
    }
}

/// Why an output folder cannot be written.
public enum OutputFolderError: Error, CustomStringConvertible, Equatable {
    /// The folder holds files MammoFM did not write (or wrote as another kind of output).
    case foreign(path: String, kind: OutputKind, found: String)
    /// The path exists and is not a folder.
    case notAFolder(path: String)
    /// A file-system step failed.
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case .foreign(let path, let kind, let found):
            return "\(path) already exists and is not a MammoFM \(kind.rawValue) output (it holds \(found)); MammoFM never deletes or "
                + "overwrites what it did not write: choose another --out, or empty or remove the folder yourself"
        case .notAFolder(let path): return "\(path) exists and is not a folder; choose another --out"
        case .io(let path, let reason): return "\(path): \(reason)"
        }
    }
}

/// Claiming, replacing and flushing MammoFM's output folders, so that a user's files are never
/// deleted or overwritten and a crash at any instant leaves either the old or the new output whole.
public enum OutputFolder {
    /// The marker file inside every output folder: `{"kind": "...", "writer": "mammofm"}`.
    public static let markerName = ".mammofm-output.json"

    private struct Marker: Codable { var kind: OutputKind; var writer = "mammofm" }

    /// The kind the marker in `folder` names, or nil when there is none (or it is unreadable).
    public static func kind(of folder: URL) -> OutputKind? {
        guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(markerName).path) else { return nil }
        return (try? JSONDecoder().decode(Marker.self, from: data))?.kind
    }

    /// Checks that `folder` may be written as a `kind` output: it does not exist, is empty, or is
    /// that kind's output (its marker, or for folders written before markers, the kind's files).
    /// For kinds replaced whole it must also hold nothing else, since replacing deletes it all.
    public static func checkWritable(_ folder: URL, as kind: OutputKind) throws {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: folder.path, isDirectory: &isDirectory) else { return }
        guard isDirectory.boolValue else { throw OutputFolderError.notAFolder(path: folder.path) }
        let entries: [String]
        do { entries = try fm.contentsOfDirectory(atPath: folder.path).sorted() } catch {
            throw OutputFolderError.io(path: folder.path, reason: "cannot list the folder: \(error.localizedDescription)")
        }
        if entries.isEmpty { return }
        func listed(_ names: [String]) -> String {
            let shown = names.prefix(5).map { "'\($0)'" }.joined(separator: ", ")
            return names.count > 5 ? "\(shown) and \(names.count - 5) more" : shown
        }
        if let found = Self.kind(of: folder) {
            guard found == kind else {
                throw OutputFolderError.foreign(path: folder.path, kind: kind, found: "a MammoFM \(found.rawValue) output")
            }
        } else if entries.contains(markerName) {
            throw OutputFolderError.foreign(path: folder.path, kind: kind, found: "an unreadable \(markerName)")
        } else {
            let missing = kind.legacySignature.filter { !entries.contains($0) }
            guard missing.isEmpty else { throw OutputFolderError.foreign(path: folder.path, kind: kind, found: listed(entries)) }
        }
        if let allowed = kind.replaceableNames {
            let other = entries.filter { !allowed.contains($0) }
            guard other.isEmpty else {
                throw OutputFolderError.foreign(path: folder.path, kind: kind, found: "files it does not write: \(listed(other))")
            }
        }
    }

    /// Makes `folder` (and its parents) when needed after `checkWritable`, and marks it as a `kind`
    /// output: for the kinds written in place (runs, cohorts, results) before the first file.
    public static func claim(_ folder: URL, as kind: OutputKind) throws {
        try checkWritable(folder, as: kind)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            if Self.kind(of: folder) != kind { try writeMarker(in: folder, kind: kind) }
        } catch let error as OutputFolderError { throw error } catch let error as TorchError { throw error } catch {
            throw OutputFolderError.io(path: folder.path, reason: "cannot create the folder: \(error.localizedDescription)")
        }
    }

    private static func writeMarker(in folder: URL, kind: OutputKind) throws {
        // Sorted keys: the marker's bytes are the same in every run (cohorts are compared byte for byte).
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(Marker(kind: kind))
        try writeAtomically(data, to: folder.appendingPathComponent(markerName))
    }

    /// Writes a complete `kind` folder at `folder`: `build` fills a staging folder beside it, every
    /// file is flushed to disk when `durable`, then a swap puts it in place (old -> `.NAME.old-PID`,
    /// new -> NAME, then the old one is deleted). Refuses, before any work, a folder that is not this
    /// kind's output. A run killed between the renames leaves the old folder whole beside the name;
    /// `recoverInterruptedSwap` (called by this function and by readers) puts it back.
    public static func replace(_ folder: URL, as kind: OutputKind, durable: Bool, build: (URL) throws -> Void) throws {
        let fm = FileManager.default
        try recoverInterruptedSwap(folder)
        try checkWritable(folder, as: kind)
        let parent = folder.deletingLastPathComponent(), name = folder.lastPathComponent, pid = getpid()
        let staging = parent.appendingPathComponent(".\(name).partial-\(pid)")
        let old = parent.appendingPathComponent(".\(name).old-\(pid)")
        do {
            try fm.createDirectory(at: parent, withIntermediateDirectories: true)
            try? fm.removeItem(at: staging)
            try fm.createDirectory(at: staging, withIntermediateDirectories: true)
            try build(staging)
            try writeMarker(in: staging, kind: kind)
            if durable { try flushTree(staging) }
        } catch {
            try? fm.removeItem(at: staging)
            throw error
        }
        let hadOld = fm.fileExists(atPath: folder.path)
        if hadOld {
            guard rename(folder.path, old.path) == 0 else {
                let reason = String(cString: strerror(errno))
                try? fm.removeItem(at: staging)
                throw OutputFolderError.io(path: folder.path, reason: "cannot move the previous output aside: \(reason)")
            }
            FaultInjection.point(.swapAfterMovingOld)
        }
        guard rename(staging.path, folder.path) == 0 else {
            let reason = String(cString: strerror(errno))
            if hadOld { _ = rename(old.path, folder.path) }
            try? fm.removeItem(at: staging)
            throw OutputFolderError.io(path: folder.path, reason: "cannot move the new output into place: \(reason)")
        }
        if durable { try flush(parent) }
        FaultInjection.point(.swapBeforeDeletingOld)
        if hadOld { try? fm.removeItem(at: old) }
    }

    /// Puts back the previous output of a swap that was killed after moving it aside and before
    /// moving the new one in (`folder` missing, `.NAME.old-PID` present), and removes old or staging
    /// copies that a finished or failed swap left behind. Touches only names of MammoFM's swaps.
    public static func recoverInterruptedSwap(_ folder: URL) throws {
        let fm = FileManager.default
        let parent = folder.deletingLastPathComponent(), name = folder.lastPathComponent
        guard let siblings = try? fm.contentsOfDirectory(atPath: parent.path) else { return }
        let olds = siblings.filter { $0.hasPrefix(".\(name).old-") }.sorted()
        func isAnotherLiveProcess(_ leftover: String) -> Bool {
            guard let pid = Int32(leftover.split(separator: "-").last ?? "") else { return false }
            return pid != getpid() && kill(pid, 0) == 0
        }
        if !fm.fileExists(atPath: folder.path), let newest = olds.last, !isAnotherLiveProcess(newest) {
            guard rename(parent.appendingPathComponent(newest).path, folder.path) == 0 else {
                throw OutputFolderError.io(path: folder.path, reason: "cannot restore the previous output from \(newest): \(String(cString: strerror(errno)))")
            }
        }
        for leftover in siblings where leftover.hasPrefix(".\(name).old-") || leftover.hasPrefix(".\(name).partial-") {
            // What a process still running is writing is left to it.
            if isAnotherLiveProcess(leftover) { continue }
            let url = parent.appendingPathComponent(leftover)
            if fm.fileExists(atPath: url.path) { try? fm.removeItem(at: url) }
        }
    }

    /// Removes what interrupted atomic writes left under `folder` (".NAME.PID-XXXXXXXX.tmp" and the
    /// older ".NAME.PID.tmp"): names only MammoFM's writes use, in a folder MammoFM owns.
    public static func removeTemporaryFiles(under folder: URL) {
        guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else { return }
        for case let url as URL in walker where url.lastPathComponent.hasPrefix(".") && url.lastPathComponent.hasSuffix(".tmp") {
            try? FileManager.default.removeItem(at: url)
        }
    }

    /// fsync of every file under `folder`, then of the folders themselves.
    public static func flushTree(_ folder: URL) throws {
        let fm = FileManager.default
        guard let walker = fm.enumerator(atPath: folder.path) else { return }
        var folders = [folder]
        for case let relative as String in walker {
            let url = folder.appendingPathComponent(relative)
            var isDirectory: ObjCBool = false
            _ = fm.fileExists(atPath: url.path, isDirectory: &isDirectory)
            if isDirectory.boolValue { folders.append(url) } else { try flush(url) }
        }
        for f in folders.reversed() { try flush(f) }
    }

    /// fsync of one file or folder.
    public static func flush(_ url: URL) throws {
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else { throw OutputFolderError.io(path: url.path, reason: "cannot open to flush: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw OutputFolderError.io(path: url.path, reason: "cannot flush to disk: \(String(cString: strerror(errno)))") }
    }
}

/// Points where the tests kill the process to prove that outputs survive a crash. Set
/// `MAMMOFM_FAULT_INJECTION` to a point's name; the process then kills itself there with SIGKILL.
public enum FaultInjection: String, Sendable {
    case swapAfterMovingOld = "swap-after-moving-old"
    case swapBeforeDeletingOld = "swap-before-deleting-old"

    static let armed: FaultInjection? = ProcessInfo.processInfo.environment["MAMMOFM_FAULT_INJECTION"].flatMap(FaultInjection.init(rawValue:))

    static func point(_ point: FaultInjection) {
        if armed == point { kill(getpid(), SIGKILL) }
    }
}
