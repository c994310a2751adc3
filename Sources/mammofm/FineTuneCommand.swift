import ArgumentParser
import Foundation
import MammoDownstream

struct FineTuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finetune",
        abstract: "Fine-tune the image tower with a classifier head per task, then score the test split.",
        discussion: """
        The reference's recipe: AdamW (lr 5e-5, weight decay 1e-4), warm-up + cosine-squared, BCE with \
        pos_weight = negatives/positives (cross entropy for density), the pretraining augmentation; 30 epochs at \
        batch 8 (RSNA malignancy 20 at batch 6) unless --epochs / --batch-size say otherwise. A checkpoint is kept \
        per task under OUT/checkpoints after every epoch: rerunning the same command resumes. The threshold is \
        chosen on the validation split. Each task's deployable head (the tuned tower and its layer, with a \
        calibration map and operating point fitted on the validation split) is saved under OUT/heads/<task> for \
        `mammofm bundle create`.
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var data: StudyOptions
    @Option(help: "Training-data fraction (e.g. 10% or 0.1).", transform: parseFractionArgument) var fraction = 1.0
    @Option(help: "Seed (patients of the fraction, data order, augmentation, head initialisation).") var seed: UInt64 = 0
    @OptionGroup var head: HeadOptions
    @Flag(help: "Train without augmentation.") var noAugmentation = false

    func validate() throws {
        guard data.out != nil else { throw ValidationError("finetune needs --out (checkpoints and results go there)") }
    }

    func run() throws {
        try global.apply()
        var study = FineTuneStudy(model: URL(fileURLWithPath: data.model), data: data.studyData(on: global.device))
        study.fraction = fraction
        study.seed = seed
        study.head = head.overrides
        study.augmentation = !noAugmentation
        try data.emit(try study.run())
    }
}
