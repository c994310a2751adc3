import Foundation
import MammoData
import MammoDetection
import MammoDownstream
import MammoImaging
import MammoModels
import Torch

/// A model bundle: one folder holding the encoder (`model/`), every trained head (`heads/<task>/`)
/// and `manifest.json`, which names versions, input size, preprocessing profile, prompts and the
/// hash of every file. `mammofm bundle create` writes one; `analyze` and `serve` load one.
public enum ModelBundle {
    public static let manifestName = "manifest.json"

    /// What `create` packs.
    public struct Contents: Sendable {
        /// A converted model folder (config.json, model.safetensors, tokenizer files).
        public var model: URL
        /// Head folders (holding head.json), or results folders of `mammofm probe` or `finetune` (their heads/).
        public var heads: [URL] = []
        /// A built-in prompt set (`reference`, `ensemble`) or a prompt file.
        public var prompts = "reference"
        /// Detector folders (`mammofm train-detector` writes OUT/detector).
        public var detectors: [URL] = []

        public init(model: URL) { self.model = model }
    }

    /// Writes a bundle at `out` (a new folder, or an earlier bundle, replaced whole). A head trained on
    /// another encoder's features, or two heads of one task, are refused before anything is written.
    @discardableResult
    public static func create(_ contents: Contents, out: URL) throws -> BundleManifest {
        let fm = FileManager.default
        try OutputFolder.checkWritable(out, as: .bundle)
        let loaded = try MammoClipLoader.loadConverted(contents.model)
        let config = loaded.model.config
        guard let profile = PreprocessingProfile(rawValue: config.image.preprocessing) else {
            throw InputError.badFile(path: contents.model.appendingPathComponent("config.json").path,
                                     reason: "unknown preprocessing '\(config.image.preprocessing)'")
        }
        let weightsHash = try WeightsHash.of(file: contents.model.appendingPathComponent("model.safetensors"))
        let prompts = try PromptSet.named(contents.prompts)
        var heads: [(folder: URL, head: ClassifierHead)] = []
        for folder in try contents.heads.flatMap(headFolders) {
            let head = try ClassifierHead.read(folder)
            guard head.manifest.encoderWeightsHash == weightsHash else {
                throw InputError.badFile(path: folder.path, reason: "this \(head.manifest.task.name) head belongs to the encoder with weights hash \(head.manifest.encoderWeightsHash), not on \(contents.model.path) (\(weightsHash))")
            }
            guard head.manifest.inputHeight == config.image.inputHeight, head.manifest.inputWidth == config.image.inputWidth else {
                throw InputError.badFile(path: folder.path, reason: "trained at \(head.manifest.inputWidth) x \(head.manifest.inputHeight); the model takes \(config.image.inputWidth) x \(config.image.inputHeight)")
            }
            // A fine-tuned tower reads the same model input as the encoder: the same preprocessing and normalisation.
            if let tower = head.manifest.imageTower,
               tower.preprocessing != config.image.preprocessing || tower.mean != config.image.mean || tower.std != config.image.std {
                throw InputError.badFile(path: folder.path, reason: "this fine-tuned \(head.manifest.task.name) head takes '\(tower.preprocessing)' input normalised with mean \(tower.mean), std \(tower.std); the model takes '\(config.image.preprocessing)', mean \(config.image.mean), std \(config.image.std)")
            }
            if let other = heads.first(where: { $0.head.manifest.task == head.manifest.task }) {
                throw InputError.badInput("two \(head.manifest.task.name) heads: \(other.folder.path) and \(folder.path); give one")
            }
            heads.append((folder, head))
        }
        // Detectors read the views as the encoder does: the same preprocessing at the same size.
        var detectors: [(folder: URL, manifest: DetectorManifest)] = []
        for folder in contents.detectors {
            let manifest = try DetectorManifest.read(folder.appendingPathComponent(Detector.manifestName),
                                                     missing: "a detector folder holds detector.json and detector.safetensors (`mammofm train-detector` writes OUT/detector)")
            guard manifest.preprocessing == config.image.preprocessing, manifest.preprocessedHeight == config.image.inputHeight,
                  manifest.preprocessedWidth == config.image.inputWidth else {
                throw InputError.badFile(path: folder.path, reason: "this detector reads '\(manifest.preprocessing)' images at \(manifest.preprocessedWidth) x \(manifest.preprocessedHeight); the model's are '\(config.image.preprocessing)' at \(config.image.inputWidth) x \(config.image.inputHeight)")
            }
            if let other = detectors.first(where: { !Set($0.manifest.findings).isDisjoint(with: manifest.findings) }) {
                throw InputError.badInput("two detectors of one finding: \(other.folder.path) and \(folder.path); give one")
            }
            detectors.append((folder, manifest))
        }
        var manifest = BundleManifest(
            mammofmVersion: MammoFMRelease.version, created: ISO8601DateFormatter().string(from: Date()),
            model: .init(folder: "model", weightsHash: weightsHash, imageTower: config.image.efficientNet.variant,
                         textLayers: config.text.bert.numHiddenLayers, inputHeight: config.image.inputHeight, inputWidth: config.image.inputWidth,
                         preprocessing: profile, embeddingDimension: config.projection.dimension),
            heads: heads.map { .init(task: $0.head.manifest.task.name, classes: $0.head.manifest.task.classes, kind: $0.head.manifest.kind.rawValue,
                                     folder: "heads/" + $0.head.manifest.task.name, decisions: $0.head.manifest.decisions) },
            prompts: prompts,
            detectors: detectors.isEmpty ? nil : detectors.map { entry in
                .init(name: entry.manifest.name, findings: entry.manifest.findings.map(\.rawValue), folder: "detectors/" + entry.manifest.name,
                      inputHeight: entry.manifest.inputHeight, inputWidth: entry.manifest.inputWidth,
                      operatingThresholds: Dictionary(uniqueKeysWithValues: entry.manifest.findings.map { ($0.rawValue, entry.manifest.operatingThreshold(for: $0)) }))
            },
            files: [])
        try OutputFolder.replace(out, as: .bundle, durable: true) { staging in
            let modelFolder = staging.appendingPathComponent("model")
            try fm.createDirectory(at: modelFolder, withIntermediateDirectories: true)
            for file in try regularFiles(in: contents.model) {
                try fm.copyItem(at: contents.model.appendingPathComponent(file), to: modelFolder.appendingPathComponent(file))
            }
            for (folder, head) in heads {
                let target = staging.appendingPathComponent("heads/" + head.manifest.task.name)
                try fm.createDirectory(at: target, withIntermediateDirectories: true)
                for name in [ClassifierHead.manifestName, ClassifierHead.weightsName] {
                    try fm.copyItem(at: folder.appendingPathComponent(name), to: target.appendingPathComponent(name))
                }
            }
            for (folder, detector) in detectors {
                let target = staging.appendingPathComponent("detectors/" + detector.name)
                try fm.createDirectory(at: target, withIntermediateDirectories: true)
                for name in [Detector.manifestName, Detector.weightsName] {
                    try fm.copyItem(at: folder.appendingPathComponent(name), to: target.appendingPathComponent(name))
                }
            }
            manifest.files = try hashedFiles(in: staging)
            try manifest.write(to: staging.appendingPathComponent(manifestName))
        }
        return manifest
    }

    /// A head folder itself, or the heads of a probe or finetune results folder.
    static func headFolders(_ url: URL) throws -> [URL] {
        if FileManager.default.fileExists(atPath: url.appendingPathComponent(ClassifierHead.manifestName).path) { return [url] }
        let heads = url.appendingPathComponent("heads")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: heads.path)) ?? []
        let found = names.sorted().map { heads.appendingPathComponent($0) }
            .filter { FileManager.default.fileExists(atPath: $0.appendingPathComponent(ClassifierHead.manifestName).path) }
        guard !found.isEmpty else {
            throw InputError.badFile(path: url.path, reason: "neither a head folder (head.json) nor a probe or finetune results folder with heads/<task>/head.json")
        }
        return found
    }

    /// Regular, non-hidden files directly in `folder` (a model folder is flat).
    static func regularFiles(in folder: URL) throws -> [String] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: folder.path) } catch {
            throw InputError.badFile(path: folder.path, reason: "cannot list the model folder")
        }
        return names.sorted().filter { name in
            var isDirectory: ObjCBool = false
            return !name.hasPrefix(".") && FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path, isDirectory: &isDirectory)
                && !isDirectory.boolValue
        }
    }

    /// Every non-hidden file under `root` with its size and hash, in path order.
    static func hashedFiles(in root: URL) throws -> [BundleManifest.File] {
        guard let walker = FileManager.default.enumerator(atPath: root.path) else { return [] }
        var files: [BundleManifest.File] = []
        for case let relative as String in walker {
            let url = root.appendingPathComponent(relative)
            var isDirectory: ObjCBool = false
            guard !URL(fileURLWithPath: relative).lastPathComponent.hasPrefix("."), relative != manifestName,
                  FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            let bytes = (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
            files.append(.init(path: relative, bytes: bytes, fnv1a64: try WeightsHash.of(file: url)))
        }
        return files.sorted { $0.path < $1.path }
    }

    /// Reads a bundle's manifest.
    public static func manifest(of bundle: URL) throws -> BundleManifest {
        try BundleManifest.read(bundle.appendingPathComponent(manifestName), missing: "not a MammoFM bundle (`mammofm bundle create` writes one)")
    }

    /// The files whose size or hash differs from the manifest, or that are missing, in words; empty
    /// when the bundle is intact.
    public static func verify(_ bundle: URL, manifest: BundleManifest) -> [String] {
        manifest.files.compactMap { file in
            let url = bundle.appendingPathComponent(file.path)
            guard let bytes = (try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? Int else { return "\(file.path): missing" }
            guard bytes == file.bytes else { return "\(file.path): \(bytes) bytes, the manifest says \(file.bytes)" }
            guard let hash = try? WeightsHash.of(file: url) else { return "\(file.path): unreadable" }
            return hash == file.fnv1a64 ? nil : "\(file.path): hash \(hash), the manifest says \(file.fnv1a64)"
        }
    }
}

/// A bundle loaded for inference: the pipeline on its device, the heads and the prompts.
public final class LoadedBundle: @unchecked Sendable {
    public let folder: URL
    public let manifest: BundleManifest
    public let pipeline: MammoClipPipeline
    public let heads: [ClassifierHead]
    /// Lesion detectors, in the manifest's order.
    public let detectors: [Detector]
    /// Hash of manifest.json: identifies the whole bundle in results.
    public let manifestHash: String

    /// Loads and verifies a bundle (every file's hash); a damaged bundle is refused, naming its files.
    public init(_ folder: URL, device: Device = .cpu) throws {
        let manifest = try ModelBundle.manifest(of: folder)
        let damaged = ModelBundle.verify(folder, manifest: manifest)
        guard damaged.isEmpty else {
            throw InputError.badFile(path: folder.path, reason: "the bundle is damaged or was altered: " + damaged.prefix(5).joined(separator: "; "))
        }
        self.folder = folder
        self.manifest = manifest
        manifestHash = try WeightsHash.of(file: folder.appendingPathComponent(ModelBundle.manifestName))
        pipeline = try MammoClipPipeline(path: folder.appendingPathComponent(manifest.model.folder), device: device)
        // Probe heads are a few thousand weights and score on the CPU; fine-tuned towers run beside the encoder.
        heads = try manifest.heads.map { try ClassifierHead.read(folder.appendingPathComponent($0.folder), device: device) }
        detectors = try (manifest.detectors ?? []).map { try Detector.read(folder.appendingPathComponent($0.folder), device: device) }
    }
}
