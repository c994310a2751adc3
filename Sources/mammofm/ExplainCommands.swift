import ArgumentParser
import Foundation
import MammoData
import MammoDetection
import MammoExplain

struct TrainFactorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-factor",
        abstract: "Train Mammo-FActOR's region mapper on a model's frozen image tower and score its heatmaps against lesion boxes.",
        discussion: """
        Each channel of the tower's last feature map is a region (its flattened spatial map); a head per attribute \
        (Linear-ReLU-Linear) maps it into the joint space, and the loss contrasts, per attribute, each positive image's \
        best channel against the batch's negatives (temperature 0.07, AdamW at 1e-4, batch 8, 20 epochs: the \
        reference's recipe). Attribute text embeddings are the normalised mean of their sentences' embeddings \
        (--sentences FILE per attribute, one sentence per line; defaults written as radiologists report the finding). \
        Heatmaps combine the best channels' maps, weighted by the softmax of their similarities, upsampled to the \
        input; regions are the connected components above the 95th percentile. Evaluated on the validation and test \
        images holding each attribute beside dense similarity and Grad-CAM: pointing game, hit rate of regions at IoU \
        0.25 and 0.5, energy inside the boxes, patient-bootstrap intervals on test. Writes OUT/factor (the mapper), \
        OUT/evaluation.json, OUT/results.html and OUT/heatmaps/.
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "A converted MammoFM model folder (its image tower stays frozen).") var model: String
    @Option(help: "The dataset: a synth cohort folder or VinDr's finding_annotations.csv (lesion boxes).") var dataset: String
    @Option(help: "Dataset format: synth or vindr.") var format: DatasetFormat
    @Option(help: "Which boxes: dicom or resized (Mammo-CLIP's resized_* columns).") var boxes = BoxColumns.dicom
    @Option(help: "Folder of preprocessed PNGs with their sidecars, at the model's input size.") var images: String
    @Option(help: "mass, calcification or all.") var attributes: DetectionStudyFinding = .all
    @Option(help: "ATTRIBUTE=FILE: that attribute's sentences, one per line (repeatable).") var sentences: [String] = []
    @Flag(help: "One head shared by every attribute (scores any sentence) instead of one per attribute.") var sharedHead = false
    @Option(help: "Epochs (the reference's 20).") var epochs = 20
    @Option(help: "Images per step.") var batchSize = 8
    @Option(help: "AdamW learning rate.") var learningRate = 1e-4
    @Option(help: "Channels combined into a heatmap.") var topChannels = 5
    @Option(help: "Regions are the pixels at or above this quantile of the heatmap (the paper's 0.95).") var regionQuantile = 0.95
    @Option(help: "Seed (mapper initialisation, batch order).") var seed: UInt64 = 0
    @Option(help: "Patient-bootstrap resamples for the test intervals (0: none).") var bootstrap = 1000
    @Option(help: ArgumentHelp("The results folder.", discussion: "A new or empty folder, or an earlier results folder of MammoFM."))
    var out: String
    @Flag(help: "Print evaluation.json.") var json = false

    func run() throws {
        try global.apply()
        var study = FactorStudy(model: URL(fileURLWithPath: model), dataset: URL(fileURLWithPath: dataset), format: format,
                                images: URL(fileURLWithPath: images), output: URL(fileURLWithPath: out))
        study.attributes = attributes.findings
        if !sentences.isEmpty {
            var lists = study.attributes.map(AttributeTexts.defaults)
            for item in sentences {
                let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, let finding = DetectionFinding(rawValue: parts[0]), let at = study.attributes.firstIndex(of: finding) else {
                    throw ValidationError("--sentences takes ATTRIBUTE=FILE for one of the trained attributes, not '\(item)'")
                }
                lists[at] = try AttributeTexts.read(URL(fileURLWithPath: parts[1]))
            }
            study.sentences = lists
        }
        study.boxes = boxes
        study.training.shared = sharedHead
        study.training.epochs = epochs
        study.training.batchSize = batchSize
        study.training.learningRate = learningRate
        study.training.seed = seed
        study.heatmaps.topChannels = topChannels
        guard (0.5..<1).contains(regionQuantile) else { throw ValidationError("--region-quantile takes a value in [0.5, 1)") }
        study.heatmaps.quantile = regionQuantile
        study.bootstrapReplicates = bootstrap
        study.device = global.device
        let outcome = try study.run()
        if json { try printJSON(outcome) }
    }
}
