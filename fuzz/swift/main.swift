// mammofm-fuzz: a seeded mutation fuzzer over MammoFM's readers, through the Swift layer (what a
// user's file meets): DICOM metadata, pixels and both preprocessing profiles; torch.save zip + pickle
// and the architecture inferred from it; safetensors; PNG; the dataset CSV readers; the YAML training
// configuration and prompt files; the server's multipart (STOW-RS) reader. A thrown error is the expected outcome; a trap or a hang is a
// finding. Before each run the input is written to WORK/current.<ext>, so a crash leaves it there for
// fuzz/fuzz.sh to keep as a regression file.
//
//   mammofm-fuzz fuzz READER --seconds S [--seed N] --work DIR [--corpus DIR]...
//   mammofm-fuzz replay READER FILE...
import Foundation
import MammoDownstream
import MammoEvaluation
import MammoImaging
import MammoModels
import MammoServer
import MammoSynth
import MammoTraining
import Torch
import MammoData

/// A reader under test: what a file of its kind goes through.
enum Reader: String, CaseIterable {
    case dicom, torch, safetensors, png, csv, yaml, multipart

    var fileExtension: String {
        switch self {
        case .dicom: return "dcm"
        case .torch: return "pt"
        case .safetensors: return "safetensors"
        case .png: return "png"
        case .csv: return "csv"
        case .yaml: return "yaml"
        case .multipart: return "multipart"
        }
    }

    var seedExtensions: Set<String> {
        switch self {
        case .torch: return ["pt", "tar", "pth", "bin"]
        case .yaml: return ["yaml", "yml"]
        default: return [fileExtension]
        }
    }

    /// Runs the input through the reader; returns a short outcome (kinds of result and of error).
    func run(_ url: URL) -> String {
        do {
            switch self {
            case .dicom:
                _ = try DicomImage.readMetadata(url)
                _ = try DicomStudyAttributes.read(url)
                let image = try DicomImage(contentsOf: url)
                _ = try? InferredOrientation.infer(image)
                _ = try PreprocessingProfile.standard.apply(image, width: 40, height: 64)
                _ = try PreprocessingProfile.mammoclip.apply(image, width: 40, height: 64)
            case .torch:
                let checkpoint = try TorchCheckpoint(url: url)
                let tensors = checkpoint.allTensors()
                _ = checkpoint.root.description.count
                var state: [String: Tensor] = [:]
                for (key, tensor) in tensors { state[key.hasPrefix("model.") ? String(key.dropFirst(6)) : key] = tensor }
                if state.keys.contains(where: { $0.hasPrefix("image_encoder.") }) {
                    _ = try MammoClipLoader.inferConfig(from: state, stored: nil, source: url.path)
                }
            case .safetensors:
                let file = try SafetensorsFile(url: url)
                _ = try file.tensors()
            case .png:
                _ = try GrayscaleImage.readPNG(url).tensor()
            case .csv:
                var outcomes: [String] = []
                for format: DatasetFormat in [.vindr, .rsna, .cbis, .embed] {
                    do { _ = try LabelledDataset.read(format: format, url: url); outcomes.append("ok") } catch { outcomes.append(Self.kind(error)) }
                }
                do { _ = try ImageTextDataset.mammoClipCSV(url, imageRoot: url.deletingLastPathComponent(), splits: ["train"]) } catch {
                    outcomes.append(Self.kind(error))
                }
                do { _ = try Preprocessor.inputs(url) } catch { outcomes.append(Self.kind(error)) }
                return outcomes.joined(separator: "|")
            case .yaml:
                var outcome = "config ok"
                do { _ = try PretrainConfig.load(yaml: url, overrides: []) } catch { outcome = Self.kind(error) }
                do { _ = try PromptSet.read(url); outcome += "|prompts ok" } catch { outcome += "|" + Self.kind(error) }
                return outcome
            case .multipart:
                // The first line is the request's Content-Type, the rest its body.
                let bytes = try Data(contentsOf: url)
                let newline = bytes.firstIndex(of: 10) ?? bytes.endIndex
                let contentType = String(decoding: bytes[..<newline], as: UTF8.self)
                let body = newline < bytes.endIndex ? bytes[(newline + 1)...] : Data()
                let parts = try Multipart.parts(of: Data(body), boundary: Multipart.boundary(contentType: contentType))
                return "ok \(parts.count) parts \(parts.compactMap(\.contentType).count) typed \(parts.compactMap(\.filename).count) named"
            }
            return "ok"
        } catch {
            return Self.kind(error)
        }
    }

    /// The error's type and the start of its message without numbers or paths: distinct outcomes.
    static func kind(_ error: Error) -> String {
        let text = "\(error)".replacingOccurrences(of: FileManager.default.currentDirectoryPath, with: "")
        let words = text.split(separator: " ").dropFirst().prefix(6).joined(separator: " ")
        return "\(type(of: error)):" + String(words.filter { !$0.isNumber }.prefix(60))
    }
}

/// The engine's seeded generator: a run is reproduced by its seed.
typealias Random = SeededRandom

extension SeededRandom {
    mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }
}

/// Byte- and text-level mutations that reach the checks a reader makes on sizes, counts and numbers.
struct Mutator {
    static let interesting: [UInt64] = [0, 1, 2, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF,
                                        0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000, 0xFFFF_FFFF_FFFF_FFFF, 0xFFFF_FFFE]
    static let tokens = ["1e99", "-1", "NaN", "nan", "inf", "-inf", "99999999999999999999", "0", "-0", "1e-400", "", "65535",
                         "4294967296", "\"", ",", "\n", "[", "&a", "*a", ": ", "- ", "{", "'", "\\", "1.5"]

    static func mutate(_ input: [UInt8], other: [UInt8], random: inout Random) -> [UInt8] {
        var data = input
        for _ in 0..<(1 + random.below(4)) {
            let at = random.below(Swift.max(1, data.count))
            switch random.below(9) {
            case 0 where !data.isEmpty: data[at] ^= UInt8(1) << UInt8(random.below(8))
            case 1 where !data.isEmpty: data[at] = UInt8(truncatingIfNeeded: interesting[random.below(6)])
            case 2:
                let value = interesting[random.below(interesting.count)], width = [2, 4, 8][random.below(3)]
                let bigEndian = random.below(2) == 0
                for i in 0..<width where at + i < data.count {
                    let shift = UInt64(8 * (bigEndian ? width - 1 - i : i))
                    data[at + i] = UInt8(truncatingIfNeeded: value >> shift)
                }
            case 3 where !data.isEmpty:
                let length = Swift.min(data.count - at, 1 + random.below(64))
                data.removeSubrange(at..<(at + length))
            case 4:
                let length = 1 + random.below(32)
                data.insert(contentsOf: (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }, at: Swift.min(at, data.count))
            case 5 where !data.isEmpty:
                let length = Swift.min(data.count - at, 1 + random.below(256))
                let chunk = Array(data[at..<(at + length)])
                data.insert(contentsOf: chunk, at: random.below(data.count + 1))
            case 6 where data.count > 1: data.removeSubrange(random.below(data.count)...)
            case 7:
                // Replace the number (or the word) around `at` with a token that tests number parsing.
                var start = Swift.min(at, data.count), end = start
                while start > 0, Self.isWordByte(data[start - 1]) { start -= 1 }
                while end < data.count, Self.isWordByte(data[end]) { end += 1 }
                data.replaceSubrange(start..<end, with: Array(tokens[random.below(tokens.count)].utf8))
            default:
                guard !other.isEmpty, !data.isEmpty else { continue }
                let cut = random.below(data.count), from = random.below(other.count)
                data = Array(data[..<cut]) + Array(other[from...])
            }
        }
        return Array(data.prefix(4 << 20))
    }

    static func isWordByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: ".") || b == UInt8(ascii: "-") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E")
    }
}

/// Seeds that need no fixture: small files of every reader's kind, written by MammoFM itself
/// (a one-patient synthetic cohort gives DICOM files of every vendor and every dataset CSV).
func builtInSeeds(_ reader: Reader, work: URL) throws -> [URL] {
    let folder = work.appendingPathComponent("seeds")
    try? FileManager.default.removeItem(at: folder)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    switch reader {
    case .dicom, .csv:
        var config = SynthConfig(patients: 2, seed: 3)
        config.rows = 64
        config.columns = 48
        let cohort = folder.appendingPathComponent("cohort")
        _ = try CohortGenerator(config: config, directory: cohort).run(jobs: 1)
        return files(in: [cohort], for: reader)
    case .png:
        var urls: [URL] = []
        for depth in [8, 16] {
            let url = folder.appendingPathComponent("gray\(depth).png")
            try GrayscaleImage(width: 12, height: 16, bitDepth: depth, pixels: (0..<192).map { UInt16($0 * (depth == 8 ? 1 : 300)) }).writePNG(url)
            urls.append(url)
        }
        return urls
    case .safetensors:
        let url = folder.appendingPathComponent("small.safetensors")
        try Safetensors.write([("w", try Tensor([Float](repeating: 0.5, count: 6), shape: [2, 3])), ("b", try Tensor([Int64(1), 2]))],
                              metadata: ["format": "pt"], to: url)
        return [url]
    case .yaml:
        let url = folder.appendingPathComponent("prompts.yaml")
        try "mass:\n  - [\"no mass\", \"no mass in the {side} breast\"]\n  - [\"mass\", \"a mass in the {side} breast\"]\n"
            .write(to: url, atomically: true, encoding: .utf8)
        return [url]
    case .torch:
        return []
    case .multipart:
        let related = folder.appendingPathComponent("related.multipart")
        try Data(("multipart/related; type=\"application/dicom\"; boundary=b0\n--b0\r\nContent-Type: application/dicom\r\n\r\n"
                  + "DICMDATA\r\n--b0\r\nContent-Type: application/dicom\r\nContent-Location: x\r\n\r\nMORE\r\n--b0--\r\n").utf8).write(to: related)
        let form = folder.appendingPathComponent("form.multipart")
        try Data(("multipart/form-data; boundary=\"f f\"\n--f f\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.dcm\"\r\n\r\n"
                  + "A\r\n--f f--").utf8).write(to: form)
        return [related, form]
    }
}

func files(in folders: [URL], for reader: Reader) -> [URL] {
    var found: [URL] = []
    for folder in folders {
        guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else { continue }
        while let url = walker.nextObject() as? URL {
            if reader.seedExtensions.contains(url.pathExtension.lowercased()) { found.append(url) }
        }
    }
    return found.sorted { $0.path < $1.path }
}

/// Aborts the process when one input runs longer than `seconds`: a hang is a finding too.
final class Watchdog: @unchecked Sendable {
    private let lock = NSLock()
    private var started: Date?
    init(seconds: Double) {
        Thread.detachNewThread { [self] in
            while true {
                usleep(200_000)
                lock.lock()
                let since = started
                lock.unlock()
                if let since, Date().timeIntervalSince(since) > seconds {
                    FileHandle.standardError.write(Data("mammofm-fuzz: one input ran over \(Int(seconds)) s (a hang)\n".utf8))
                    abort()
                }
            }
        }
    }
    func start() { lock.lock(); started = Date(); lock.unlock() }
    func stop() { lock.lock(); started = nil; lock.unlock() }
}

func fuzz(_ reader: Reader, seconds: Double, seed: UInt64, work: URL, corpusFolders: [URL]) throws {
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    var corpus = try (files(in: corpusFolders, for: reader) + builtInSeeds(reader, work: work)).compactMap { try? [UInt8](Data(contentsOf: $0)) }
    corpus = corpus.filter { $0.count <= 2 << 20 }
    guard !corpus.isEmpty else { throw TorchError.invalidArgument("no seed inputs for \(reader.rawValue)") }
    let seeds = corpus.count
    let current = work.appendingPathComponent("current.\(reader.fileExtension)")
    var random = Random(seed: seed, salt: 0xF022)
    var outcomes = Set<String>()
    let watchdog = Watchdog(seconds: 20)
    let started = Date()
    var executions = 0
    while Date().timeIntervalSince(started) < seconds {
        let base = corpus[random.below(corpus.count)], other = corpus[random.below(corpus.count)]
        let input = executions < seeds ? base : Mutator.mutate(base, other: other, random: &random)
        try Data(input).write(to: current)
        watchdog.start()
        let outcome = autoreleasepool { reader.run(current) }
        watchdog.stop()
        executions += 1
        // An input with an outcome not seen before joins the corpus (a crude coverage signal).
        if outcomes.insert(outcome).inserted, corpus.count < 2000 { corpus.append(input) }
    }
    try? FileManager.default.removeItem(at: current)
    let elapsed = Date().timeIntervalSince(started)
    print(String(format: "%@: %d executions in %.0f s (%.0f/s), %d distinct outcomes, corpus %d (%d seeds), 0 crashes",
                 reader.rawValue, executions, elapsed, Double(executions) / Swift.max(elapsed, 1e-9), outcomes.count, corpus.count, seeds))
}

func replay(_ reader: Reader, _ paths: [String]) {
    for path in paths {
        let outcome = reader.run(URL(fileURLWithPath: path))
        print("\(reader.rawValue) \(URL(fileURLWithPath: path).lastPathComponent): \(outcome)")
    }
}

// Without this, autoreleasepool is unknown outside Darwin.
#if !canImport(ObjectiveC)
func autoreleasepool<T>(_ body: () throws -> T) rethrows -> T { try body() }
#endif

let arguments = Array(CommandLine.arguments.dropFirst())
func value(_ flag: String) -> String? { arguments.firstIndex(of: flag).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil } }
func values(_ flag: String) -> [String] { arguments.indices.filter { arguments[$0] == flag && $0 + 1 < arguments.count }.map { arguments[$0 + 1] } }
guard arguments.count >= 2, let reader = Reader(rawValue: arguments[1]) else {
    FileHandle.standardError.write(Data("usage: mammofm-fuzz fuzz|replay \(Reader.allCases.map(\.rawValue).joined(separator: "|")) ...\n".utf8))
    exit(2)
}
Torch.threadCount = 1
DicomImage.setJPEG2000Threads(1)
switch arguments[0] {
case "fuzz":
    do {
        try fuzz(reader, seconds: Double(value("--seconds") ?? "10") ?? 10, seed: UInt64(value("--seed") ?? "1") ?? 1,
                 work: URL(fileURLWithPath: value("--work") ?? ".build-fuzz/work-\(reader.rawValue)"),
                 corpusFolders: values("--corpus").map { URL(fileURLWithPath: $0) })
    } catch {
        FileHandle.standardError.write(Data("mammofm-fuzz: \(error)\n".utf8))
        exit(2)
    }
case "replay":
    replay(reader, Array(arguments.dropFirst(2)))
default:
    FileHandle.standardError.write(Data("usage: mammofm-fuzz fuzz|replay READER ...\n".utf8))
    exit(2)
}
