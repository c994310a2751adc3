import Foundation

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
        guard let data = FileManager.default.contents(atPath: url.path) else { throw DatasetError.badFile(path: url.path, reason: "cannot read") }
        do { return try JSONDecoder().decode(EvaluationDocument.self, from: data) } catch {
            throw DatasetError.badFile(path: url.path, reason: "not a MammoFM result file: \(error)")
        }
    }

    /// Writes `result.json` and `report.html` into `directory` (each atomically: temporary file, then rename).
    public func write(to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        try encoder.encode(self).write(to: directory.appendingPathComponent("result.json"), options: .atomic)
        try Data(EvaluationHTML.render(self).utf8).write(to: directory.appendingPathComponent("report.html"), options: .atomic)
    }
}
