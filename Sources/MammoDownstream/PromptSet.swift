import Foundation
import MammoEvaluation
import MammoText
import MammoData

/// Zero-shot prompts: per task, a list of prompts for each class (in the task's class order). A class
/// with several prompts is an ensemble: their embeddings are averaged and re-normalised. The token
/// `{side}` in a prompt is replaced by the image's side ("left" / "right"), so prompts can speak
/// the way reports do.
public struct PromptSet: Codable, Equatable, Sendable {
    public var name: String
    /// task name -> one prompt list per class.
    public var prompts: [String: [[String]]]

    public init(name: String, prompts: [String: [[String]]]) {
        self.name = name
        self.prompts = prompts
    }

    /// Whether a prompt of `task` depends on the image's side.
    public func isSideDependent(_ task: String) -> Bool { (prompts[task] ?? []).joined().contains { $0.contains("{side}") } }

    /// The prompts of one class with `{side}` filled in.
    public func prompts(task: String, classIndex: Int, side: String) -> [String] {
        (prompts[task]?[classIndex] ?? []).map { $0.replacingOccurrences(of: "{side}", with: side) }
    }

    /// The reference's prompts: one per class (VinDr findings, RSNA malignancy, four density prompts).
    public static let reference = PromptSet(name: "reference", prompts: [
        "mass": [["no mass"], ["mass"]],
        "calcification": [["no suspicious calcification"], ["suspicious calcification"]],
        "malignancy": [["no malignancy"], ["malignancy"]],
        "density": [["fatty"], ["scattered fibroglandular density"], ["heterogeneously dense"], ["extremely dense"]],
    ])

    /// Ensembles phrased as report sentences, naming the image's side: the finding sentences the
    /// image-label training uses (`FindingPrompts`, plainest templates first) and composition sentences.
    public static var ensemble: PromptSet {
        func finding(_ name: String, positive: Bool, count: Int) -> [String] {
            let templates = FindingPrompts.templates(name, side: "{side}", positive: positive)
            // Plain templates: no position or depth qualifier.
            let plain = templates.filter { !$0.contains(" at ") && $0.hasSuffix("in the {side} breast") || !positive }
            return Array((plain.isEmpty ? templates : plain).prefix(count))
        }
        return PromptSet(name: "ensemble", prompts: [
            "mass": [finding("Mass", positive: false, count: 3), finding("Mass", positive: true, count: 6)],
            "calcification": [finding("Suspicious Calcification", positive: false, count: 3),
                              finding("Suspicious Calcification", positive: true, count: 6)],
            // Malignancy as reports state it: suspicious findings against their absence. Prompts that
            // name malignancy itself inverted (0.37 per breast): reports say "malignancy" mostly in
            // "No mammographic evidence of malignancy". Chosen on the validation split
            // (docs/experiments/2026-12-04-calcification-learnability.md).
            "malignancy": [["no mass in the {side} breast", "no suspicious calcifications in the {side} breast", "negative screening mammogram"],
                           ["suspicious mass in the {side} breast", "concerning mass in the {side} breast",
                            "suspicious calcifications in the {side} breast"]],
            "density": [["the breasts are almost entirely fatty", "predominantly fatty", "almost entirely fatty (ACR category A)"],
                        ["the breasts are composed of scattered areas of fibroglandular density", "scattered fibroglandular density",
                         "scattered fibroglandular density (ACR category B)"],
                        ["the breasts are heterogeneously dense, which may obscure small masses", "heterogeneously dense",
                         "heterogeneously dense (ACR category C)"],
                        ["the breasts are extremely dense, which lowers the sensitivity of mammography", "extremely dense",
                         "extremely dense (ACR category D)"]],
        ])
    }

    /// A built-in set by name (reference, ensemble).
    public static func builtIn(_ name: String) -> PromptSet? { [reference, ensemble].first { $0.name == name } }

    /// A built-in set by name (`reference`, `ensemble`), else the prompt file at that path.
    public static func named(_ nameOrPath: String) throws -> PromptSet {
        try builtIn(nameOrPath) ?? read(URL(fileURLWithPath: nameOrPath))
    }

    /// Reads a YAML or JSON file mapping task names to one prompt list per class, e.g.
    ///
    ///     mass:
    ///       - ["no mass", "there is no mass in the {side} breast"]
    ///       - ["mass", "there is a mass in the {side} breast"]
    public static func read(_ url: URL) throws -> PromptSet {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw InputError.badFile(path: url.path, reason: "cannot read") }
        let expected = "expected task: [[prompts of class 0], [prompts of class 1], ...]"
        let tree: Any?
        do { tree = try YAMLTree.load(String(decoding: data, as: UTF8.self), source: url.path) } catch let error as YAMLTree.Failure {
            throw InputError.badFile(path: url.path, reason: "\(expected): \(error.reason)")
        }
        guard let tree else { throw InputError.badFile(path: url.path, reason: "empty prompt file") }
        var parsed: [String: [[String]]] = [:]
        guard let tasks = tree as? [String: Any] else { throw InputError.badFile(path: url.path, reason: expected) }
        for (task, value) in tasks {
            // Prompts are text: a number or a word YAML reads as true stays as written.
            guard let classes = value as? [Any], let lists = Optional(classes.compactMap { $0 as? [Any] }), lists.count == classes.count else {
                throw InputError.badFile(path: url.path, reason: "task '\(task)': \(expected)")
            }
            parsed[task] = lists.map { $0.map { "\($0)" } }
        }
        for (task, classes) in parsed {
            guard classes.count >= 2, classes.allSatisfy({ !$0.isEmpty }) else {
                throw InputError.badFile(path: url.path, reason: "task '\(task)' needs a non-empty prompt list for each of at least two classes")
            }
        }
        return PromptSet(name: url.lastPathComponent, prompts: parsed)
    }

    /// Checks that the set has prompts for `task` with one list per class.
    public func validate(for task: ClassificationTask) throws {
        guard let classes = prompts[task.name] else { throw InputError.badInput("prompt set '\(name)' has no prompts for task '\(task.name)'") }
        guard classes.count == task.classes.count else {
            throw InputError.badInput("prompt set '\(name)': task '\(task.name)' has \(task.classes.count) classes (\(task.classes.joined(separator: ", "))) but \(classes.count) prompt lists")
        }
    }
}
