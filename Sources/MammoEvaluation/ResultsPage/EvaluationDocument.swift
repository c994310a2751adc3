import Foundation
import Torch
import MammoData

/// One evaluated configuration: a task scored by one method (zero-shot prompts, a probe at a data
/// fraction and seed, a fine-tuned model, a predictions file).
public struct EvaluationEntry: Codable, Sendable {
    /// Short label, e.g. "linear probe 10% seed 0".
    public var name: String
    public var method: String
    public var dataFraction: Double?
    public var seed: UInt64?
    public var evaluation: TaskEvaluation

    public init(name: String, method: String, dataFraction: Double? = nil, seed: UInt64? = nil, evaluation: TaskEvaluation) {
        self.name = name
        self.method = method
        self.dataFraction = dataFraction
        self.seed = seed
        self.evaluation = evaluation
    }
}

/// DeLong's paired test of two AUROCs measured on the same cases.
public struct PairedComparison: Codable, Sendable {
    public var first: String
    public var second: String
    public var task: String
    public var level: ScoringLevel
    public var aurocFirst: Double
    public var aurocSecond: Double
    public var difference: Double
    public var z: Double
    public var pValue: Double

    /// Compares two prediction lists over the same cases (matched by case id).
    public static func delong(first: String, _ a: [Prediction], second: String, _ b: [Prediction], task: String, level: ScoringLevel) throws -> PairedComparison {
        let other = Dictionary(b.map { ($0.caseID, $0) }, uniquingKeysWith: { x, _ in x })
        guard a.count == b.count, a.allSatisfy({ other[$0.caseID] != nil }) else {
            throw MetricError.invalidInput("a paired comparison needs predictions for the same cases (\(a.count) and \(b.count) given)")
        }
        let labels = a.map { $0.label == 1 }
        let rocA = try ROCAnalysis(scores: a.map(\.positiveProbability), labels: labels)
        let rocB = try ROCAnalysis(scores: a.map { other[$0.caseID]!.positiveProbability }, labels: labels)
        let test = try rocA.pairedTest(against: rocB)
        return PairedComparison(first: first, second: second, task: task, level: level, aurocFirst: rocA.auc, aurocSecond: rocB.auc,
                                difference: test.difference, z: test.z, pValue: test.pValue)
    }
}

/// The JSON result file of an evaluation command: every number, with intervals, the configuration
/// and the model's identity, so a result can be traced to what produced it.
public struct EvaluationDocument: Codable, Sendable {
    public var command: String
    public var created: String
    /// The model folder and the hash of its weights (nil for a predictions file).
    public var model: String?
    public var modelHash: String?
    public var dataset: String
    public var datasetFormat: String
    public var configuration: [String: String]
    public var entries: [EvaluationEntry]
    /// Paired comparisons of two entries' AUROCs on the same cases.
    public var comparisons: [PairedComparison]?
    public var notes: [String]

    public init(command: String, model: String?, modelHash: String?, dataset: LabelledDataset, configuration: [String: String],
                entries: [EvaluationEntry] = [], notes: [String] = []) {
        self.command = command
        created = ISO8601DateFormatter().string(from: Date())
        self.model = model
        self.modelHash = modelHash
        self.dataset = dataset.source
        datasetFormat = dataset.format
        self.configuration = configuration
        self.entries = entries
        self.notes = notes
    }

    /// Reads a result file.
    public static func read(_ url: URL) throws -> EvaluationDocument {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw InputError.badFile(path: url.path, reason: "cannot read") }
        let decoder = JSONDecoder()
        // Undefined values (an NPV with no negative calls, say) are written as "nan".
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do { return try decoder.decode(EvaluationDocument.self, from: data) } catch {
            throw InputError.badFile(path: url.path, reason: "not a MammoFM result file: \(error)")
        }
    }

    /// The JSON encoding of result files and of every command's `--json` output: undefined values
    /// (an NPV with no negative calls, say) are written as "nan", infinities as "inf" and "-inf".
    public static func jsonEncoder(formatting: JSONEncoder.OutputFormatting = [.prettyPrinted, .sortedKeys]) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = formatting
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return encoder
    }

    /// Writes `result.json` and `results.html` into `directory` (each atomically: temporary file, then
    /// rename). The folder must be new, empty or a MammoFM results folder; other files there are kept.
    public func write(to directory: URL) throws {
        try OutputFolder.claim(directory, as: .results)
        try writeAtomically(Self.jsonEncoder().encode(self), to: directory.appendingPathComponent("result.json"))
        try writeAtomically(Data(EvaluationHTML.render(self).utf8), to: directory.appendingPathComponent("results.html"))
    }
}
