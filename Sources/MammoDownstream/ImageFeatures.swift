import Foundation
import MammoEvaluation
import MammoModels
import Torch
import MammoData

/// Pooled image-encoder features (before the projection head) of a set of images, one row each.
public struct FeatureSet {
    public let imageIDs: [String]
    /// N x C, float32.
    public let features: Tensor
    /// Images that could not be read (path and reason): they have no row, the others do.
    public let failures: [(path: String, reason: String)]
    /// The ids of `failures`.
    public let failedImageIDs: Set<String>
    let row: [String: Int]

    public init(imageIDs: [String], features: Tensor, failures: [(imageID: String, path: String, reason: String)] = []) {
        self.imageIDs = imageIDs
        self.features = features
        self.failures = failures.map { ($0.path, $0.reason) }
        failedImageIDs = Set(failures.map(\.imageID))
        row = Dictionary(imageIDs.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    }

    /// The rows of `ids`, in that order.
    public func rows(_ ids: [String]) throws -> Tensor {
        let indices = try ids.map { id -> Int64 in
            guard let r = row[id] else { throw InputError.badInput("image \(id) has no extracted features") }
            return Int64(r)
        }
        return try features.indexSelect(dim: 0, index: Tensor(indices))
    }
}

/// Runs the frozen image encoder once over a dataset's images and caches the result on disk, so
/// probes over many tasks, seeds and data fractions reuse one pass. The cache file is named by the
/// weights hash, the input size and the image list, so a changed model or image set never reuses
/// stale features.
public struct FeatureExtractor {
    public let model: MammoClip
    /// Identifies the weights (see `WeightsHash`).
    public let modelHash: String
    /// Folder of preprocessed PNGs named `<image_id>.png`.
    public let imageRoot: URL
    /// Where feature files are kept; nil disables caching.
    public let cacheDirectory: URL?
    public var batchSize = 16
    /// Images whose batch statistics replace the encoder's batch-norm running statistics before
    /// extraction (0: keep them). A randomly initialised encoder needs this: its default running
    /// statistics (mean 0, variance 1) do not match its activations, which then shrink block by
    /// block to about 1e-11 and leave a probe nothing to fit.
    public var batchNormCalibrationImages = 0

    /// $MAMMOFM_CACHE/features, else $XDG_CACHE_HOME/mammofm/features, else ~/.cache/mammofm/features.
    public static var defaultCacheDirectory: URL {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["MAMMOFM_CACHE"] ?? (environment["XDG_CACHE_HOME"].map { $0 + "/mammofm" })
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/mammofm").path
        return URL(fileURLWithPath: base).appendingPathComponent("features")
    }

    public init(model: MammoClip, modelHash: String, imageRoot: URL, cacheDirectory: URL?) {
        self.model = model
        self.modelHash = modelHash
        self.imageRoot = imageRoot
        self.cacheDirectory = cacheDirectory
    }

    /// The cache file for `imageIDs`: named by the weights, the input size, the image list and each
    /// image's size and modification time, so re-preprocessed images are never matched to old features.
    public func cacheFile(for imageIDs: [String]) -> URL? {
        let config = model.config.image
        guard cacheDirectory != nil else { return nil }
        let key = WeightsHash.of(text: imageRoot.standardizedFileURL.path + "\n" + imageIDs.joined(separator: "\n") + "\n"
                                 + WeightsHash.ofStamps(imageIDs.map(png)))
        return cacheDirectory?.appendingPathComponent("features-\(modelHash)-\(config.inputHeight)x\(config.inputWidth)-\(key).safetensors")
    }

    /// Features of `images` (in order), read from the cache when present. `progress(done, total)` is
    /// called after each batch. An image that cannot be read is recorded in `failures` with its path
    /// and reason and left out; the others go on (and nothing is cached until every image was read).
    public func features(for images: [LabelledImage], progress: ((Int, Int) -> Void)? = nil) throws -> FeatureSet {
        let ids = images.map(\.imageID), file = cacheFile(for: ids)
        if let file, FileManager.default.fileExists(atPath: file.path),
           let stored = try? SafetensorsFile(url: file), stored.metadata["image_ids"] == ids.joined(separator: "\n"),
           let tensor = try? stored.tensors()["features"] {
            return FeatureSet(imageIDs: ids, features: tensor)
        }
        let missing = ids.filter { !FileManager.default.fileExists(atPath: png($0).path) }
        // No image at all is a wrong folder, not a few bad files.
        guard missing.count < ids.count || ids.isEmpty else {
            throw InputError.badFile(path: png(missing[0]).path,
                                          reason: "missing (\(missing.count) of \(ids.count) images have no PNG under \(imageRoot.path); run `mammofm preprocess --keep-file-names` first)")
        }
        let config = model.config.image
        if batchNormCalibrationImages > 0 { try calibrateBatchNorm(ids) }
        model.eval()
        var rows: [Tensor] = [], kept: [String] = [], failures: [(imageID: String, path: String, reason: String)] = []
        for start in stride(from: 0, to: ids.count, by: batchSize) {
            var inputs: [Tensor] = []
            for id in ids[start..<min(ids.count, start + batchSize)] {
                do {
                    inputs.append(try ModelInput.batch([png(id)], image: config))
                    kept.append(id)
                } catch {
                    failures.append((id, png(id).path, "\(error)"))
                }
            }
            if !inputs.isEmpty {
                let batch = try Tensor.cat(inputs, dim: 0).to(device: device)
                rows.append(try Autograd.inferenceMode { try model.imageEncoder.forward(batch, pooling: config.pooling).to(.float32, device: .cpu) })
            }
            progress?(min(ids.count, start + batchSize), ids.count)
        }
        guard !rows.isEmpty else {
            throw InputError.badFile(path: imageRoot.path, reason: "none of the \(ids.count) images could be read (first: \(failures.first?.reason ?? "none"))")
        }
        let features = try Tensor.cat(rows, dim: 0)
        guard failures.isEmpty else { return FeatureSet(imageIDs: kept, features: features, failures: failures) }
        if let file {
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Safetensors.write([("features", features)], metadata: ["image_ids": ids.joined(separator: "\n"), "model": modelHash], to: file)
        }
        return FeatureSet(imageIDs: ids, features: features)
    }

    /// Train-mode forward passes (no gradients) over the first `batchNormCalibrationImages` of a
    /// seeded shuffle of `ids`, so the running statistics follow these images (momentum as configured).
    func calibrateBatchNorm(_ ids: [String]) throws {
        let config = model.config.image
        var rng = SeededRandom(seed: 0, salt: 57)
        let sample = Array(ids.shuffled(using: &rng).prefix(batchNormCalibrationImages))
        model.imageEncoder.train()
        defer { model.eval() }
        // Several passes, so running averages with momentum 0.1 (or 0.01) settle on these images.
        let passes = max(1, Int((3 / config.efficientNet.batchNormMomentum).rounded()) * batchSize / max(1, sample.count))
        for _ in 0..<passes {
            for start in stride(from: 0, to: sample.count, by: batchSize) {
                let batch = try ModelInput.batch(sample[start..<min(sample.count, start + batchSize)].map(png), image: config).to(device: device)
                _ = try Autograd.noGrad { try model.imageEncoder.forward(batch, pooling: config.pooling) }
            }
        }
    }

    func png(_ id: String) -> URL { imageRoot.appendingPathComponent("\(id).png") }

    /// Where the model's weights are (its inputs go there; features come back to the host).
    var device: Device { model.logitScale.device }
}
