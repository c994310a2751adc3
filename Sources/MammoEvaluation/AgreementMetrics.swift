import Foundation

/// A confusion matrix over classes 0..<classes: rows are the truth, columns the prediction.
public struct ConfusionMatrix: Equatable, Sendable {
    public var counts: [[Int]]

    public init(truth: [Int], predicted: [Int], classes: Int) throws {
        guard truth.count == predicted.count else { throw MetricError.invalidInput("\(truth.count) true labels for \(predicted.count) predictions") }
        if let bad = (truth + predicted).first(where: { $0 < 0 || $0 >= classes }) {
            throw MetricError.invalidInput("class \(bad) outside 0..<\(classes)")
        }
        counts = Array(repeating: Array(repeating: 0, count: classes), count: classes)
        for (t, p) in zip(truth, predicted) { counts[t][p] += 1 }
    }

    public var total: Int { counts.reduce(0) { $0 + $1.reduce(0, +) } }
    public var accuracy: Double { Double(counts.indices.reduce(0) { $0 + counts[$1][$1] }) / Double(total) }

    /// Weighting of disagreements for Cohen's kappa.
    public enum KappaWeights: String, Sendable { case none, linear, quadratic }

    /// Cohen's kappa (scikit-learn's `cohen_kappa_score`): 1 - sum(w O) / sum(w E) with E the outer
    /// product of the marginals; ordinal weights |i - j| or (i - j)^2 for ordered classes (density).
    public func kappa(_ weights: KappaWeights = .none) -> Double {
        let k = counts.count, n = Double(total)
        let rows = counts.map { Double($0.reduce(0, +)) }
        let columns = (0..<k).map { j in Double(counts.reduce(0) { $0 + $1[j] }) }
        var observed = 0.0, expected = 0.0
        for i in 0..<k {
            for j in 0..<k {
                let w: Double
                switch weights {
                case .none: w = i == j ? 0 : 1
                case .linear: w = Double(abs(i - j))
                case .quadratic: w = Double((i - j) * (i - j))
                }
                observed += w * Double(counts[i][j])
                expected += w * rows[i] * columns[j] / n
            }
        }
        return 1 - observed / expected
    }
}
