import Foundation
import MammoData
import MammoDetection
import MammoDownstream
import MammoEvaluation
import MammoImaging
import MammoModels
import Torch

/// Scores an exam's model inputs with a bundle, exactly as the single-image commands do: pooled
/// encoder features (the probe heads read them), their projection (zero-shot prompts meet it), per
/// image; a breast's scores are the mean over its views (the evaluation protocol's aggregation).
struct ExamScoring {
    let bundle: LoadedBundle

    struct Scores {
        /// Per image, in the order given.
        var images: [[AnalysisDocument.TaskResult]]
        var breasts: [AnalysisDocument.Breast]
        var exam: [AnalysisDocument.TaskResult]
        /// Per image, the detections at or above their operating points; nil without detectors.
        var detections: [[AnalysisDocument.Detection]]?
    }

    /// Images per encoder pass: exams batched together are encoded in chunks, so memory stays bounded
    /// at full size (B5 at 1520 x 912 takes about 0.8 GB per image). On a GPU up to 8 views share a
    /// pass; on the CPU a pass holds at most about a megapixel, since there larger batches cost more per
    /// image (B5 at 1520 x 912 on 2 cores: 5.3 s for one view alone, 8.7 s per view in a batch of four,
    /// docs/benchmarks.md), while small inputs still share passes.
    static func encoderBatch(for config: MammoClipConfig.ImageTower, device: Device) -> Int {
        guard device == .cpu else { return 8 }
        return min(8, max(1, 1_000_000 / max(1, config.inputHeight * config.inputWidth)))
    }

    /// What the encoder pass gives for a run of views, in order.
    struct Encoded {
        /// Pooled features (N x C, on the CPU: the probe heads read them).
        var features: Tensor
        /// Projected embeddings (N x D, on the bundle's device: the prompts meet them).
        var embeddings: Tensor
        /// Per head of the bundle, the class probabilities of its fine-tuned tower per view; nil for probes.
        var tuned: [[[Double]]?]
        /// Per detector of the bundle, its detections per view (detector-input pixels).
        var detections: [[[ScoredBox]]]

        /// The rows of `range` (one exam's views among several encoded together).
        func rows(_ range: Range<Int>) throws -> Encoded {
            Encoded(features: try features.narrow(dim: 0, start: range.lowerBound, length: range.count),
                    embeddings: try embeddings.narrow(dim: 0, start: range.lowerBound, length: range.count),
                    tuned: tuned.map { $0.map { Array($0[range]) } }, detections: detections.map { Array($0[range]) })
        }
    }

    /// Encodes model-input PNGs with the bundle's encoder and every fine-tuned head's tower, reading
    /// each chunk of images once.
    func encode(_ inputs: [URL]) throws -> Encoded {
        let model = bundle.pipeline.model, config = model.config.image, device = bundle.pipeline.device
        var features: [Tensor] = [], embeddings: [Tensor] = []
        var tuned: [[[Double]]?] = bundle.heads.map { $0.classifier == nil ? nil : [] }
        var detections = [[[ScoredBox]]](repeating: [], count: bundle.detectors.count)
        let chunk = Self.encoderBatch(for: config, device: device)
        for start in stride(from: 0, to: inputs.count, by: chunk) {
            let batch = try ModelInput.batch(Array(inputs[start..<min(inputs.count, start + chunk)]), image: config).to(device: device)
            try Autograd.inferenceMode {
                let pooled = try model.imageEncoder.forward(batch, pooling: config.pooling).to(.float32, device: .cpu)
                features.append(pooled)
                embeddings.append(try model.projectImageFeatures(pooled.to(device: device)))
            }
            for (index, head) in bundle.heads.enumerated() {
                if let classifier = head.classifier { tuned[index]! += try classifier.probabilities(batch) }
            }
            // Detectors take the same PNGs at their own input size.
            let urls = Array(inputs[start..<min(inputs.count, start + chunk)])
            for (index, detector) in bundle.detectors.enumerated() {
                detections[index] += try detector.detect(detector.input(urls).to(device: device))
            }
        }
        guard !features.isEmpty else { throw ModelError.invalidInput("no image to encode") }
        return Encoded(features: try Tensor.cat(features, dim: 0), embeddings: try Tensor.cat(embeddings, dim: 0), tuned: tuned,
                       detections: detections)
    }

    /// The answers for one exam's views from their rows of `encode`.
    func score(views: [ExamAnalysis.PreparedView], encoded: Encoded) throws -> Scores {
        var perImage = [[AnalysisDocument.TaskResult]](repeating: [], count: views.count)
        var rawByTask: [(result: AnalysisDocument.TaskResult, perImage: [[Double]], head: ClassifierHead?)] = []

        // Zero-shot: each task of the bundle's prompts, scored as `mammofm zeroshot` scores it.
        let classifier = ZeroShotClassifier(pipeline: bundle.pipeline)
        let prompts = bundle.manifest.prompts
        for taskName in prompts.prompts.keys.sorted() {
            guard let task = try? ClassificationTask.named(taskName) else { continue }
            let rows = try classifier.probabilities(task: task, prompts: prompts, embeddings: encoded.embeddings,
                                                    lateralities: views.map(\.laterality.rawValue))
            let template = AnalysisDocument.TaskResult(task: task.name, source: .zeroShot, classes: task.classes, scores: [])
            rawByTask.append((template, rows, nil))
        }
        // Heads: raw probabilities (a probe's on the encoder features, a fine-tuned tower's on the
        // images), then calibration and decision.
        for (index, head) in bundle.heads.enumerated() {
            guard let rows = try encoded.tuned[index] ?? head.probe?.probabilities(encoded.features) else { continue }
            let task = head.manifest.task
            rawByTask.append((AnalysisDocument.TaskResult(task: task.name, source: .head, classes: task.classes, scores: []), rows, head))
        }
        for (template, rows, head) in rawByTask {
            for i in views.indices {
                // Breast-level tasks (density, malignancy) are decided per breast only.
                if let head, head.manifest.task.level == .breast {
                    var result = template
                    result.scores = rows[i]
                    perImage[i].append(result)
                } else {
                    perImage[i].append(Self.result(template, scores: rows[i], decision: head?.manifest.decision(at: .image)))
                }
            }
        }
        // Breasts: mean over views.
        var breasts: [AnalysisDocument.Breast] = []
        for side in [Laterality.right, .left] {
            let members = views.indices.filter { views[$0].laterality == side }
            guard !members.isEmpty else { continue }
            let results = rawByTask.map { template, rows, head in
                let width = rows[members[0]].count
                let mean = (0..<width).map { c in members.map { rows[$0][c] }.reduce(0, +) / Double(members.count) }
                return Self.result(template, scores: mean, decision: head?.manifest.decision(at: .breast))
            }
            breasts.append(.init(laterality: side.rawValue, views: members.map { views[$0].view }, results: results))
        }
        // Exam: density as the mean of the breasts' calibrated probabilities (one composition per exam, as BI-RADS reports it).
        var exam: [AnalysisDocument.TaskResult] = []
        for (index, entry) in rawByTask.enumerated() where entry.head?.manifest.task.name == "density" {
            let perBreast = breasts.compactMap { $0.results[index].probabilities }
            guard let width = perBreast.first?.count else { continue }
            let mean = (0..<width).map { c in perBreast.map { $0[c] }.reduce(0, +) / Double(perBreast.count) }
            var result = entry.result
            result.scores = breasts.map { $0.results[index].scores }.reduce([Double](repeating: 0, count: width)) { sum, row in
                zip(sum, row).map { $0 + $1 / Double(breasts.count) }
            }
            result.probabilities = mean
            result.decision = result.classes[mean.indices.max { mean[$0] < mean[$1] } ?? 0]
            exam.append(result)
        }
        return Scores(images: perImage, breasts: breasts, exam: exam, detections: bundle.detectors.isEmpty ? nil : views.indices.map { i in
            detections(of: i, view: views[i], encoded: encoded)
        })
    }

    /// The detections of view `i` at or above their detectors' operating points, boxes mapped to the
    /// original image and to the view's model input, best first.
    func detections(of i: Int, view: ExamAnalysis.PreparedView, encoded: Encoded) -> [AnalysisDocument.Detection] {
        var found: [AnalysisDocument.Detection] = []
        for (index, detector) in bundle.detectors.enumerated() {
            let manifest = detector.manifest
            let mapping = BoxMapping(geometry: view.geometry, inputWidth: manifest.inputWidth, inputHeight: manifest.inputHeight)
            let modelInput = BoxMapping(geometry: view.geometry)
            for detection in encoded.detections[index][i] {
                let finding = manifest.findings[detection.label], threshold = manifest.operatingThreshold(for: finding)
                guard detection.score >= threshold else { continue }
                let source = mapping.toSource(detection.box)
                found.append(.init(finding: finding.rawValue, score: detection.score, box: source, modelInputBox: modelInput.toInput(source),
                                   operatingThreshold: threshold))
            }
        }
        return found.sorted { $0.score > $1.score }
    }

    /// A task result with the head's calibration and decision applied, when it has one at this level.
    static func result(_ template: AnalysisDocument.TaskResult, scores: [Double], decision: HeadDecision?) -> AnalysisDocument.TaskResult {
        var result = template
        result.scores = scores
        if let decision {
            let (probabilities, chosen) = decision.apply(scores)
            result.probabilities = probabilities
            result.decision = result.classes[chosen]
            result.operatingPoint = decision.operatingPoint
            result.threshold = decision.threshold
            result.calibratedThreshold = decision.calibratedThreshold
        }
        return result
    }
}
