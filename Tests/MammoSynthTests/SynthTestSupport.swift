import Foundation
@testable import MammoSynth
import MammoText

/// Small cohorts for tests: tiny images, every finding type frequent.
enum SynthFixture {
    static func config(patients: Int = 4, seed: UInt64 = 5, prevalence: Double = 3) -> SynthConfig {
        var config = SynthConfig(patients: patients, seed: seed)
        config.rows = 160
        config.columns = 96
        config.prevalence = prevalence
        config.cancerRate = 4
        return config
    }

    /// Calls `body` for every image of the cohort's plans that shows at least one finding.
    static func forEachViewWithFindings(_ config: SynthConfig,
                                        _ body: (PatientPlan, ExamPlan, Side, ViewPosition) throws -> Void) rethrows {
        let planner = CohortPlanner(config: config)
        for index in 0..<config.patients {
            let plan = planner.patient(index, split: "train", fold: 0)
            for exam in plan.exams {
                for side in Side.allCases {
                    for view in ViewPosition.allCases where !exam.findings(side, view).isEmpty {
                        try body(plan, exam, side, view)
                    }
                }
            }
        }
    }

    static func folder(_ name: String) -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mammofm-synth-\(getpid())").appendingPathComponent(name)
        try? FileManager.default.removeItem(at: url)
        return url
    }

    /// Every regular file under `root` (relative path -> contents).
    static func files(_ root: URL) throws -> [String: Data] {
        var result: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])!
        for case let url as URL in enumerator where (try url.resourceValues(forKeys: [.isRegularFileKey])).isRegularFile == true {
            result[String(url.path.dropFirst(root.path.count))] = try Data(contentsOf: url)
        }
        return result
    }

    static func records(_ root: URL) throws -> [PatientRecord] {
        let names = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("records").path).sorted()
        return try names.map { try JSONDecoder().decode(PatientRecord.self, from: Data(contentsOf: root.appendingPathComponent("records/\($0)"))) }
    }

    /// Rows of a CSV as dictionaries keyed by the header.
    static func table(_ url: URL) throws -> (header: [String], rows: [[String: String]]) {
        let rows = try CSVFile.read(url)
        let header = rows[0]
        return (header, rows.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0)) })
    }
}

import MammoImaging

/// Counts generated reports whose parse agrees with the plan: density, BI-RADS, finding types and
/// sides and, for synth-2, each calcification's type, distribution and side. Keeps the first
/// disagreements and the distinct texts.
struct ReportAgreement {
    let generator: GeneratorVersion
    let parser = ReportParser()
    var total = 0, agree = 0
    var disagreements: [String] = []
    var distinct = Set<String>()

    init(generator: GeneratorVersion) { self.generator = generator }

    var rate: Double { Double(agree) / Double(max(1, total)) }

    static func mentions(_ findings: [Finding]) -> Set<ReportParser.Mention> {
        Set(findings.map { ReportParser.Mention(type: ReportParser.FindingType(rawValue: $0.kind.rawValue)!, side: $0.side.rawValue) })
    }

    static func calcificationMentions(_ findings: [Finding]) -> Set<ReportParser.CalcificationMention> {
        Set(findings.filter { $0.kind == .calcification }.map {
            ReportParser.CalcificationMention(type: ReportParser.CalcificationType(rawValue: $0.calcification!.rawValue),
                                              distribution: ReportParser.CalcificationDistribution(rawValue: $0.distribution!.rawValue),
                                              side: $0.side.rawValue)
        })
    }

    mutating func check(_ text: String, density: Density, birads: Int, findings: [Finding]) {
        let parsed = parser.parse(text)
        total += 1
        distinct.insert(text)
        let calcificationsAgree = generator == .synth1 || parsed.calcifications == Self.calcificationMentions(findings)
        if parsed.density == density.rawValue && parsed.birads == birads && parsed.mentions == Self.mentions(findings) && calcificationsAgree {
            agree += 1
        } else if disagreements.count < 5 {
            disagreements.append("\(text)\n  parsed \(parsed)\n  expected \(density) \(birads) \(Self.mentions(findings))")
        }
    }
}
