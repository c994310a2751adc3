import ArgumentParser
import Foundation
import MammoExam

struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Analyse one screening exam with a model bundle: analysis.json, a DICOM SR and a page.",
        discussion: """
        EXAM is a folder of one patient's DICOM files (several exams: the newest is analysed, the others are \
        listed as priors). Each CC and MLO view is preprocessed with the bundle's profile at its input size, \
        embedded, scored by the bundle's zero-shot prompts and by every head (calibrated probability and the \
        decision at the validation operating point), per image, per breast (mean over views) and per exam \
        (density). Files that are not used are listed with the reason: non-DICOM files, unreadable headers, \
        other modalities, images FOR PROCESSING, extra views (spot, magnification, implant displaced, views \
        other than CC and MLO), repeated views. A laterality or view missing from the header is inferred from \
        the image and marked as inferred. --out receives analysis.json (docs/serving.md documents its schema), \
        report.dcm (an Enhanced SR referencing every analysed image), index.html and images/ (the model inputs).
        """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The exam folder (DICOM files).") var exam: String
    @Option(help: "A model bundle (`mammofm bundle create`).") var bundle: String
    @Option(help: ArgumentHelp("The analysis folder.", discussion: "A new or empty folder, or an earlier analysis of MammoFM, which is replaced; any other folder is refused."))
    var out: String
    @Flag(help: "Print analysis.json.") var json = false

    func run() throws {
        try global.apply()
        let outcome = try ExamAnalysis(exam: URL(fileURLWithPath: exam), output: URL(fileURLWithPath: out))
            .run(bundleAt: URL(fileURLWithPath: bundle), device: global.device)
        if json { try printJSON(outcome.document); return }
        let document = outcome.document
        print("analysed \(document.images.count) images (\(document.images.map { "\($0.laterality) \($0.view)" }.joined(separator: ", "))), skipped \(document.skipped.count)")
        for breast in document.breasts {
            for result in breast.results {
                let p = result.probabilities ?? result.scores
                let shown = result.classes.count == 2 ? String(format: "%.3f", p[1]) : zip(result.classes, p).map { String(format: "%@ %.2f", $0, $1) }.joined(separator: " ")
                print("\(breast.laterality) \(result.task) \(result.source.rawValue): \(shown)\(result.decision.map { " -> \($0)" } ?? "")")
            }
        }
        for result in document.examResults { print("exam \(result.task): \(result.decision ?? "")") }
        for finding in document.findings { print("finding: \(finding.text)") }
        print("wrote \(out)/analysis.json, report.dcm (SOP Instance UID \(outcome.reportUID ?? "")), index.html")
    }
}
