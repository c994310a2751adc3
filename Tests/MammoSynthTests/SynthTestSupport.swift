import Foundation
@testable import MammoSynth

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
