import ArgumentParser
import Foundation
import MammoDownstream

struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Linear probes on frozen image features, per task, data fraction and seed.",
        discussion: """
        The image encoder runs once over the dataset and its pooled features are cached on disk (named by the \
        weights hash), so probes over many seeds and fractions take seconds. Each probe is Linear(C, n) on \
        standardised features with the reference's settings (AdamW, weight decay 1e-4, warm-up + cosine-squared, \
        BCE with pos_weight = negatives/positives, cross entropy for density; 30 epochs at batch 8, RSNA \
        malignancy 20 at batch 6). Fractions sample whole training patients. --baseline random-init trains the \
        same probes on a randomly initialised encoder of the same architecture (its batch-norm statistics first set \
        from 512 of the dataset's images), the floor a pretrained encoder must beat.
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var data: StudyOptions
    @Option(help: "Training-data fractions, comma-separated, as fractions or percentages (e.g. 10%,50%,100%).",
            transform: { try $0.split(separator: ",").map { try parseFractionArgument(String($0)) } })
    var fractions: [Double] = [1]
    @Option(help: "Seeds (each draws the fraction's patients and the data order), comma-separated.", transform: parseSeeds)
    var seeds: [UInt64] = [0]
    @OptionGroup var head: HeadOptions
    @Option(help: "Also probe a baseline encoder: random-init.") var baseline: ProbeBaseline?

    func run() throws {
        try global.apply()
        var study = ProbeStudy(model: URL(fileURLWithPath: data.model), data: data.studyData(on: global.device))
        study.fractions = fractions
        study.seeds = seeds
        study.head = head.overrides
        study.baseline = baseline
        try data.emit(try study.run())
    }
}

/// --seeds: comma-separated non-negative integers.
func parseSeeds(_ text: String) throws -> [UInt64] {
    try text.split(separator: ",").map { item in
        guard let seed = UInt64(item.trimmingCharacters(in: .whitespaces)) else { throw ValidationError("--seeds takes comma-separated non-negative integers") }
        return seed
    }
}
