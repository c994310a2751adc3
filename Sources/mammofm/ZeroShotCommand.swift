import ArgumentParser
import Foundation
import MammoDownstream

struct ZeroShotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zeroshot",
        abstract: "Zero-shot classification of a labelled dataset's test split with prompt sets.",
        discussion: """
        Scores every task as the reference does (softmax over cosine similarities without the logit scale) or, \
        with --logit-scale, with the learned scale. Prompt sets: `reference` (the reference's prompts), `ensemble` \
        (several report-style sentences per class, naming the image's side), or a YAML/JSON file mapping each task \
        to one prompt list per class ({side} is replaced by left/right). The operating point is chosen on the \
        validation split (Youden). Image-level findings are scored per image and per breast, breast-level tasks per breast.
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var data: StudyOptions
    @Option(help: "Prompt sets: reference, ensemble or a file (repeatable; default reference and ensemble).") var prompts: [String] = []
    @Flag(help: "Also score with the learned logit scale.") var logitScale = false

    func run() throws {
        try global.apply()
        var study = ZeroShotStudy(model: URL(fileURLWithPath: data.model), data: data.studyData(on: global.device))
        if !prompts.isEmpty { study.prompts = prompts }
        study.logitScale = logitScale
        try data.emit(try study.run())
    }
}
