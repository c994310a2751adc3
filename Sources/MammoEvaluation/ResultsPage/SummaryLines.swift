import Foundation

extension EvaluationEntry {
    /// One line: the headline figures of this evaluation (what the commands print).
    public var summaryLine: String {
        let ev = evaluation
        if let b = ev.binary {
            return String(format: "%@ | %@ per %@: AUROC %.3f (95%% CI %.3f-%.3f), AUPRC %.3f, %d cases (%d positive), sens %.2f spec %.2f",
                          name, ev.task.name, ev.level.rawValue, b.auroc, b.aurocDeLong.lower, b.aurocDeLong.upper, b.auprc, b.cases, b.positives,
                          b.sensitivity, b.specificity)
        }
        guard let m = ev.multiclass else { return "\(name) | \(ev.task.name) per \(ev.level.rawValue): no figures" }
        return String(format: "%@ | %@ per %@: macro AUROC %.3f, accuracy %.3f, quadratic kappa %.3f, %d cases",
                      name, ev.task.name, ev.level.rawValue, m.aurocMacro, m.accuracy, m.kappaQuadratic, m.cases)
    }
}

extension PairedComparison {
    /// One line: both AUROCs, their difference and DeLong's test.
    public var summaryLine: String {
        String(format: "%@ vs %@ (%@ per %@): AUROC %.3f vs %.3f, difference %.3f, z %.2f, p %.4g", first, second, task, level.rawValue,
               aurocFirst, aurocSecond, difference, z, pValue)
    }
}

extension EvaluationDocument {
    /// The lines the scoring commands print: one per entry, comparison and note.
    public var summaryLines: [String] {
        entries.map(\.summaryLine) + (comparisons ?? []).map(\.summaryLine) + notes.map { "note: \($0)" }
    }
}
