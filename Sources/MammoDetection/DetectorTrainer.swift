import Foundation
import MammoData
import MammoEvaluation
import MammoImaging
import MammoModels
import Torch

/// The preprocessing geometry of every image in a folder of `mammofm preprocess` output, by image id
/// (the PNG's name without extension), read from the JSON sidecars.
public enum PreprocessedGeometries {
    public static func read(_ imagesFolder: URL) throws -> [String: PreprocessingGeometry] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: imagesFolder.path) } catch {
            throw InputError.badFile(path: imagesFolder.path, reason: "cannot list the preprocessed images")
        }
        var geometries: [String: PreprocessingGeometry] = [:]
        for name in names where name.hasSuffix(".json") {
            let url = imagesFolder.appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: url.path),
                  let record = try? JSONDecoder().decode(PreprocessedRecord.self, from: data) else { continue }
            geometries[URL(fileURLWithPath: record.output).deletingPathExtension().lastPathComponent] = record.geometry
        }
        return geometries
    }
}

/// One image ready for the detector: its PNG and its lesions in detector-input pixels.
public struct DetectorSample: Sendable {
    public var image: DetectionDataset.Image
    public var url: URL
    public var mapping: BoxMapping
    /// Whether `mapping` leads to the original DICOM grid (false for a PNG without a sidecar, whose
    /// mapping is its own grid).
    public var knowsSource = true
    /// Boxes (detector input) with the index of their finding among the detector's.
    public var targets: [(box: BoundingBox, label: Int)]

    /// The images of `split` with their `findings`' boxes mapped to an input of `inputWidth` x
    /// `inputHeight` through each PNG's geometry (`geometries`, from the sidecars); images without a
    /// preprocessed PNG (flat, or in a folder per patient as the reference lays its own out) are
    /// listed in `missing`.
    public static func samples(_ dataset: DetectionDataset, split: DataSplit, imagesFolder: URL, geometries: [String: PreprocessingGeometry],
                               findings: [DetectionFinding], inputWidth: Int, inputHeight: Int) -> (samples: [DetectorSample], missing: [String]) {
        var samples: [DetectorSample] = [], missing: [String] = []
        for image in dataset.images(in: split) {
            var url = imagesFolder.appendingPathComponent("\(image.imageID).png")
            if !FileManager.default.fileExists(atPath: url.path) { url = imagesFolder.appendingPathComponent("\(image.patientID)/\(image.imageID).png") }
            guard FileManager.default.fileExists(atPath: url.path) else { missing.append(image.imageID); continue }
            // Boxes on the preprocessed grid need no sidecar: a PNG without one is its own grid.
            let sidecar = geometries[image.imageID]
            guard let geometry = sidecar ?? (dataset.boxes == .resized ? (try? PNGSize.read(url)).map { PreprocessingGeometry.identity(width: $0.width, height: $0.height) } : nil)
            else { missing.append(image.imageID); continue }
            let mapping = BoxMapping(geometry: geometry, inputWidth: inputWidth, inputHeight: inputHeight)
            let targets = image.lesions.compactMap { lesion -> (BoundingBox, Int)? in
                guard let label = findings.firstIndex(of: lesion.finding) else { return nil }
                if dataset.boxes == .dicom { return (mapping.toInput(lesion.box), label) }
                // Resized boxes may reach past their image: clipped to it, dropped when nothing is left.
                let box = lesion.box.clipped(width: Double(geometry.outputWidth), height: Double(geometry.outputHeight))
                return box.width > 0 && box.height > 0 ? (mapping.fromPreprocessed(box), label) : nil
            }
            samples.append(DetectorSample(image: image, url: url, mapping: mapping, knowsSource: sidecar != nil, targets: targets))
        }
        return (samples, missing)
    }
}

/// Trains a RetinaNet on preprocessed images (see `DetectorTraining`): Adam, gradient-norm clipping,
/// flips, the reference's loss; a checkpoint after every epoch that a rerun resumes (another run's
/// checkpoint is refused).
public final class DetectorTrainer {
    public struct Progress { public var epoch: Int, epochs: Int, step: Int, steps: Int, classification: Double, regression: Double }

    public let detector: Detector
    public let settings: DetectorTraining
    public let device: Device
    let imagesFolder: URL
    let geometries: [String: PreprocessingGeometry]

    /// A detector for `findings` on `tower` (its image tower weights copied when `weights` is given;
    /// random otherwise), its input the preprocessed images resized to `inputHeight` x `inputWidth`.
    public init(findings: [DetectionFinding], tower: MammoClipConfig.ImageTower, weights: [String: Tensor]?, startingModelHash: String?,
                imagesFolder: URL, inputHeight: Int, inputWidth: Int, pyramidWidth: Int = 256, anchors: AnchorGenerator = AnchorGenerator(),
                settings: DetectorTraining,
                device: Device = .cpu) throws {
        try settings.validate()
        guard !findings.isEmpty else { throw InputError.badInput("a detector needs at least one finding") }
        var backbone = tower.efficientNet
        backbone.numClasses = nil
        Torch.manualSeed(settings.seed)
        let manifest = DetectorManifest(findings: findings, backbone: backbone, taps: BackboneTaps.reference(for: backbone), pyramidWidth: pyramidWidth,
                                        inputHeight: inputHeight, inputWidth: inputWidth, mean: tower.mean, std: tower.std,
                                        preprocessing: tower.preprocessing, preprocessedHeight: tower.inputHeight, preprocessedWidth: tower.inputWidth,
                                        anchors: anchors, startingModelHash: startingModelHash, training: settings)
        detector = try Detector(manifest: manifest)
        if let weights { try detector.network.backbone.load(stateDict: weights) }
        if settings.backbone == .frozen { try detector.network.backbone.freeze() }
        if device != .cpu { try detector.network.to(device: device) }
        self.settings = settings
        self.device = device
        self.imagesFolder = imagesFolder
        geometries = try PreprocessedGeometries.read(imagesFolder)
    }

    /// The images of `split` with their boxes mapped to the detector's input; images without a
    /// preprocessed PNG are listed in `missing`.
    public func samples(_ dataset: DetectionDataset, split: DataSplit) -> (samples: [DetectorSample], missing: [String]) {
        DetectorSample.samples(dataset, split: split, imagesFolder: imagesFolder, geometries: geometries, findings: detector.manifest.findings,
                               inputWidth: detector.manifest.inputWidth, inputHeight: detector.manifest.inputHeight)
    }

    /// What a training result depends on, hashed; a checkpoint of another fingerprint is refused.
    public func fingerprint(_ training: [DetectorSample]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var manifest = detector.manifest
        manifest.validation = []
        let text = String(decoding: try encoder.encode(manifest), as: UTF8.self)
        let images = training.map { sample in
            "\(sample.image.imageID):" + sample.targets.map { "\($0.label)@\($0.box.xmin),\($0.box.ymin),\($0.box.xmax),\($0.box.ymax)" }.joined(separator: ";")
        }.joined(separator: "\n")
        return WeightsHash.of(text: [text, images, WeightsHash.ofStamps(training.map(\.url))].joined(separator: "\n"))
    }

    /// The training images the settings keep: the fraction's patients; normal images only when included.
    public func trainingSamples(_ dataset: DetectionDataset) throws -> [DetectorSample] {
        var all = samples(dataset, split: .train).samples
        if settings.fraction < 1 {
            let patients = Array(Set(all.map(\.image.patientID))).sorted()
            let keep = Set(PatientSampling.sample(patients, count: max(1, Int((Double(patients.count) * settings.fraction).rounded())), seed: settings.seed))
            all = all.filter { keep.contains($0.image.patientID) }
        }
        if settings.normalImages == .excluded { all = all.filter { !$0.targets.isEmpty } }
        guard all.contains(where: { !$0.targets.isEmpty }) else {
            throw InputError.badInput("no training image holds a \(detector.manifest.findings.map(\.rawValue).joined(separator: " or ")) box")
        }
        return all
    }

    /// A batch: the images (flipped as drawn) and their boxes in the same frame.
    func batch(_ samples: ArraySlice<DetectorSample>, rng: inout SeededRandom?) throws -> (Tensor, [[DetectionLoss.Target]]) {
        if settings.geometric, rng != nil { return try geometricBatch(samples, rng: &rng) }
        let height = Double(detector.manifest.inputHeight), width = Double(detector.manifest.inputWidth)
        var flips: [(Bool, Bool)] = []
        for _ in samples {
            if var r = rng, settings.flips {
                flips.append((r.unit() < 0.5, r.unit() < 0.5))
                rng = r
            } else {
                flips.append((false, false))
            }
        }
        var index = 0
        let images = try detector.input(samples.map(\.url)) { x in
            let (h, v) = flips[index]
            index += 1
            var y = x
            if h { y = try y.flip([3]) }
            if v { y = try y.flip([2]) }
            return y
        }.to(device: device)
        let targets = zip(samples, flips).map { sample, flip in
            sample.targets.map { target -> DetectionLoss.Target in
                var b = target.box
                if flip.0 { b = BoundingBox(xmin: width - b.xmax, ymin: b.ymin, xmax: width - b.xmin, ymax: b.ymax) }
                if flip.1 { b = BoundingBox(xmin: b.xmin, ymin: height - b.ymax, xmax: b.xmax, ymax: height - b.ymin) }
                return DetectionLoss.Target(box: [Float(b.xmin), Float(b.ymin), Float(b.xmax), Float(b.ymax)], label: target.label)
            }
        }
        return (images, targets)
    }

    /// A batch under the reference's geometric augmentation: each image its own draw (flips, affine,
    /// elastic) on the raw pixels before normalisation (outside pixels black, as imgaug fills), its
    /// boxes through the affine part, clipped to the image; a box pushed out of the image is dropped.
    func geometricBatch(_ samples: ArraySlice<DetectorSample>, rng: inout SeededRandom?) throws -> (Tensor, [[DetectionLoss.Target]]) {
        let height = detector.manifest.inputHeight, width = detector.manifest.inputWidth
        let augmenter = settings.geometricAugmenter
        var draws: [Augmenter.Draw] = []
        for _ in samples {
            var r = rng!
            draws.append(augmenter.draw(&r, width: width, height: height))
            rng = r
        }
        var index = 0
        let images = try detector.input(samples.map(\.url)) { x in
            let draw = draws[index]
            index += 1
            let shape = x.shape
            return try augmenter.apply(draw, to: x.reshape([1, -1, shape[shape.count - 2], shape[shape.count - 1]])).reshape(shape)
        }.to(device: device)
        let targets = zip(samples, draws).map { sample, draw in
            sample.targets.compactMap { target -> DetectionLoss.Target? in
                let b = target.box
                guard let moved = augmenter.transform(box: (b.xmin, b.ymin, b.xmax, b.ymax), draw, width: width, height: height) else { return nil }
                return DetectionLoss.Target(box: [Float(moved.x0), Float(moved.y0), Float(moved.x1), Float(moved.y1)], label: target.label)
            }
        }
        return (images, targets)
    }

    /// Trains on `training`, resuming from `checkpoint` when it holds this run's state.
    public func train(_ training: [DetectorSample], checkpoint: URL?, progress: ((Progress) -> Void)? = nil) throws {
        let network = detector.network
        let stepsPerEpoch = (training.count + settings.batchSize - 1) / settings.batchSize
        let optimizer = Adam(network.trainableParameters(), learningRate: settings.learningRate)
        let loss = DetectionLoss()
        let fingerprint = try self.fingerprint(training)
        var firstEpoch = 0
        if let checkpoint, let state = try DetectorCheckpoint.read(checkpoint) {
            guard state.fingerprint == fingerprint else {
                throw InputError.badFile(path: checkpoint.path, reason: "this checkpoint belongs to another run (its model, findings, data, settings or input size differ); give a new --out or remove the checkpoint")
            }
            try network.load(stateDict: SafetensorsFile(url: checkpoint.appendingPathComponent(DetectorCheckpoint.weightsName)).tensors())
            try optimizer.load(from: checkpoint.appendingPathComponent(DetectorCheckpoint.optimizerName))
            firstEpoch = state.completedEpochs
        }
        var anchors: Tensor?
        for epoch in firstEpoch..<settings.epochs {
            network.train()
            var orderRNG = SeededRandom(seed: settings.seed, salt: 201, UInt64(epoch))
            let order = Array(training.indices).shuffled(using: &orderRNG)
            for (b, start) in stride(from: 0, to: order.count, by: settings.batchSize).enumerated() {
                let members = order[start..<min(order.count, start + settings.batchSize)].map { training[$0] }
                var rng: SeededRandom? = SeededRandom(seed: settings.seed, salt: 203, UInt64(epoch), UInt64(b))
                let (images, targets) = try batch(ArraySlice(members), rng: &rng)
                let step = epoch * stepsPerEpoch + b
                // The reference skips batches whose loss is zero (no box in any image, normal images excluded).
                if targets.allSatisfy(\.isEmpty) && settings.normalImages == .excluded { continue }
                let (classification, regression, grids) = try network.forward(images)
                // Every batch has the input size: the anchors are made once, from the network's grids.
                if anchors == nil { anchors = try network.anchorGenerator.anchors(grids: grids, device: device) }
                let (classLoss, boxLoss) = try loss(classification: classification, regression: regression, anchors: anchors!, targets: targets)
                try optimizer.zeroGrad()
                try (classLoss + boxLoss).backward()
                _ = try clipGradientNorm(network.trainableParameters(), maxNorm: settings.gradientClip)
                try optimizer.step()
                progress?(Progress(epoch: epoch + 1, epochs: settings.epochs, step: step + 1, steps: stepsPerEpoch * settings.epochs,
                                   classification: try classLoss.item(), regression: try boxLoss.item()))
            }
            if let checkpoint {
                try DetectorCheckpoint.write(to: checkpoint, network: network, optimizer: optimizer,
                                             state: .init(completedEpochs: epoch + 1, epochs: settings.epochs, fingerprint: fingerprint))
            }
        }
        network.eval()
    }

    /// Detections of `samples` (detector-input pixels), batch by batch.
    public func detect(_ samples: [DetectorSample], batchSize: Int = 8) throws -> [[ScoredBox]] {
        detector.network.eval()
        var out: [[ScoredBox]] = []
        for start in stride(from: 0, to: samples.count, by: batchSize) {
            let slice = samples[start..<min(samples.count, start + batchSize)]
            out += try detector.detect(detector.input(slice.map(\.url)).to(device: device))
        }
        return out
    }
}

/// A detector training checkpoint: weights, optimizer and state, swapped in whole.
enum DetectorCheckpoint {
    static let weightsName = "detector.safetensors", optimizerName = "optimizer.bin", stateName = "state.json"

    struct State: Codable {
        var completedEpochs: Int
        var epochs: Int
        var fingerprint: String
    }

    static func read(_ folder: URL) throws -> State? {
        try OutputFolder.recoverInterruptedSwap(folder)
        guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(stateName).path) else { return nil }
        do { return try JSONDecoder().decode(State.self, from: data) } catch {
            throw InputError.badFile(path: folder.appendingPathComponent(stateName).path, reason: "unreadable checkpoint state: \(error)")
        }
    }

    static func write(to folder: URL, network: RetinaNet, optimizer: Optimizer, state: State) throws {
        let tensors = try network.stateDict().map { ($0.0, try $0.1.detach().to(device: .cpu).contiguous()) }
        try OutputFolder.replace(folder, as: .detectorCheckpoint, durable: true) { staging in
            try Safetensors.write(tensors, to: staging.appendingPathComponent(weightsName))
            try optimizer.save(to: staging.appendingPathComponent(optimizerName))
            try JSONEncoder().encode(state).write(to: staging.appendingPathComponent(stateName))
        }
    }
}
