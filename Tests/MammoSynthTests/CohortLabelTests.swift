import Foundation
import MammoImaging
@testable import MammoSynth
import MammoText
import Testing

@Suite(.serialized) struct CohortLabelTests {
    /// The report parser recovers laterality, finding types, density and BI-RADS (and, for synth-2,
    /// each calcification's type and distribution) from the generated reports (exam reports, their
    /// paraphrases and the per-breast texts) in at least 99% of them, for each generator version.
    @Test(arguments: GeneratorVersion.allCases) func reportsAgreeWithTheLabels(generator: GeneratorVersion) throws {
        var config = SynthFixture.config(patients: 400, seed: 41, prevalence: 2)
        config.generator = generator
        let planner = CohortPlanner(config: config), writer = ReportWriter(generator: generator)
        var agreement = ReportAgreement(generator: generator)
        for index in 0..<config.patients {
            let plan = planner.patient(index, split: "train", fold: 0)
            for exam in plan.exams {
                for purpose in [SynthRandom.Purpose.text, .paraphrase] {
                    var rng = SynthRandom(seed: config.seed, purpose: purpose, UInt64(index))
                    let report = writer.report(exam, patient: plan, rng: &rng)
                    agreement.check(report.text, density: plan.density, birads: max(exam.birads(.left), exam.birads(.right)), findings: exam.findings)
                    for side in Side.allCases {
                        let text = writer.breastReport(exam, patient: plan, side: side, rng: &rng).text
                        agreement.check(text, density: plan.density, birads: exam.birads(side), findings: exam.findings.filter { $0.side == side })
                    }
                }
            }
        }
        let (rate, total) = (agreement.rate, agreement.total)
        print("\(generator.rawValue) report parser agreement: \(agreement.agree)/\(total) = \(rate); distinct texts \(agreement.distinct.count)")
        #expect(rate >= 0.99, "agreement \(rate) over \(total) reports; first disagreements:\n\(agreement.disagreements.joined(separator: "\n"))")
        // Varied phrasing: almost every report is a distinct string.
        #expect(Double(agreement.distinct.count) / Double(total) > 0.8, "\(agreement.distinct.count) distinct of \(total)")
    }

    /// Density mix, finding prevalence and the cancer process stay in their configured ranges, and the
    /// prevalence knob scales benign findings.
    @Test func prevalenceDensityAndRiskAreInRange() throws {
        let base = SynthConfig(patients: 3000, seed: 51)
        let plans = (0..<base.patients).map { CohortPlanner(config: base).patient($0, split: "train", fold: 0) }
        let share = { (d: Density) in Double(plans.filter { $0.density == d }.count) / Double(plans.count) }
        #expect((0.07...0.2).contains(share(.a)) && (0.32...0.48).contains(share(.b)))
        #expect((0.28...0.45).contains(share(.c)) && (0.05...0.16).contains(share(.d)))
        let exams = plans.flatMap(\.exams)
        func rate(_ kind: FindingKind, _ exams: [ExamPlan]) -> Double {
            Double(exams.reduce(0) { total, exam in total + Side.allCases.filter { s in exam.findings.contains { $0.side == s && $0.kind == kind } }.count })
                / Double(2 * exams.count)
        }
        for (kind, configured) in CohortPlanner.benignRates {
            // Findings persist between exams and cancers add some: between the rate and about twice it;
            // benign calcifications are often bilateral too (synth-2), which adds up to 70% more.
            let measured = rate(kind, exams), most = kind == .calcification ? 3.6 : 2.2
            #expect(measured >= configured * 0.7 && measured <= configured * most, "\(kind): \(measured) for \(configured)")
        }
        var doubled = base
        doubled.prevalence = 2
        let moreExams = (0..<1500).flatMap { CohortPlanner(config: doubled).patient($0, split: "train", fold: 0).exams }
        let ratio = rate(.lymphNode, moreExams) / rate(.lymphNode, exams)
        #expect(ratio > 1.6 && ratio < 2.5, "prevalence 2 scaled lymph nodes by \(ratio)")

        // Cancer: more frequent in dense breasts, malignant findings have suspicious morphology, outcomes consistent.
        let cancer = { (d: Density) in
            let group = plans.filter { $0.density == d }
            return Double(group.filter { $0.cancerDiagnosisYears != nil }.count) / Double(group.count)
        }
        #expect(cancer(.d) > cancer(.a) * 1.5)
        let overall = Double(plans.filter { $0.cancerDiagnosisYears != nil }.count) / Double(plans.count)
        #expect(overall > 0.04 && overall < 0.3, "cancer within follow-up: \(overall)")
        for plan in plans {
            for exam in plan.exams {
                for f in exam.findings where f.malignant {
                    #expect(f.birads >= 4)
                    #expect(f.shape != .round || f.margin != .circumscribed)
                    #expect(f.calcification.map { !$0.isTypicallyBenign } ?? true, "malignant \(f.calcification!.rawValue) calcification")
                }
                if let years = plan.yearsToCancer(after: exam) {
                    #expect(years >= 0 && years <= 5 && plan.censorYears(after: exam) >= years - 1e-9)
                }
                #expect(plan.censorYears(after: exam) >= 0 && plan.censorYears(after: exam) <= 5)
            }
            if plan.exams.contains(where: { $0.findings.contains(where: \.malignant) }) {
                #expect(plan.yearsToCancer(after: plan.exams.last!) == 0)
            }
        }
    }

    /// The tables: real data sets' column layouts, one split per patient, consistent rows.
    @Test func tablesUseTheRealLayoutsAndSplitByPatient() throws {
        let config = SynthFixture.config(patients: 10, seed: 61)
        let root = SynthFixture.folder("tables")
        let summary = try CohortGenerator(config: config, directory: root).run(jobs: 2)
        let vindr = try SynthFixture.table(root.appendingPathComponent("vindr/finding_annotations.csv"))
        #expect(vindr.header == ["study_id", "series_id", "image_id", "laterality", "view_position", "height", "width", "breast_birads",
                                 "breast_density", "finding_categories", "finding_birads", "xmin", "ymin", "xmax", "ymax", "split"])
        for row in vindr.rows {
            if row["finding_categories"] == "['No Finding']" { #expect(row["xmin"] == "") } else {
                let xmax = try #require(Double(row["xmax"]!)), width = try #require(Double(row["width"]!))
                #expect(Double(row["xmin"]!)! < xmax && xmax <= width)
            }
            #expect(["training", "test"].contains(row["split"]!))
            #expect(row["breast_density"]!.hasPrefix("DENSITY ") && row["breast_birads"]!.hasPrefix("BI-RADS "))
        }
        let breast = try SynthFixture.table(root.appendingPathComponent("vindr/breast-level_annotations.csv"))
        #expect(breast.rows.count == summary.images)
        let rsna = try SynthFixture.table(root.appendingPathComponent("rsna/train.csv"))
        #expect(rsna.header.prefix(14) == ["site_id", "patient_id", "image_id", "laterality", "view", "age", "cancer", "biopsy", "invasive",
                                           "BIRADS", "implant", "density", "machine_id", "difficult_negative_case"])
        #expect(rsna.rows.count == summary.images)
        let clip = try SynthFixture.table(root.appendingPathComponent("mammoclip/pretrain.csv"))
        #expect(Array(clip.header.prefix(3)) == ["patient_id", "exam_id", "laterality"])
        for column in ["image", "view", "CC", "MLO", "text", "findings", "impressions", "text_augment", "fold"] { #expect(clip.header.contains(column)) }
        for row in clip.rows {
            #expect(row["image"]!.hasPrefix("['") && row["view"] == "['CC', 'MLO']")
            #expect(row["text"]!.hasPrefix("[") && row["text"]!.hasSuffix("]") && row["text_augment"]!.hasPrefix("["))
        }
        let risk = try SynthFixture.table(root.appendingPathComponent("risk.csv"))
        #expect(risk.header == ["exam_id", "patient_id", "years_to_cancer", "censor_years", "cancer_laterality", "split"])

        // One split per patient, the same in every table.
        let splits = try SynthFixture.table(root.appendingPathComponent("splits.csv"))
        var splitOf: [String: String] = [:]
        for row in splits.rows { #expect(splitOf.updateValue(row["split"]!, forKey: row["patient_id"]!) == nil) }
        #expect(splitOf.count == config.patients)
        for row in rsna.rows { #expect(splitOf[row["patient_id"]!] == row["split"]) }
        for row in clip.rows { #expect(splitOf[row["patient_id"]!] == row["split"]) }
        let images = try SynthFixture.table(root.appendingPathComponent("labels/images.csv"))
        for row in images.rows {
            #expect(splitOf[row["patient_id"]!] == row["split"])
            #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent(row["path"]!).path))
        }
        // Split sizes follow the fractions over a larger cohort (plans only).
        var big = SynthConfig(patients: 1000, seed: 3)
        big.rows = 160
        let assignments = CohortGenerator(config: big, directory: root).assignments()
        #expect(assignments.filter { $0.split == "test" }.count == 200 && assignments.filter { $0.split == "validation" }.count == 100)
        #expect(Set(assignments.map(\.fold)) == Set(0..<5))
    }

    /// An interrupted run resumes to the same bytes; a different configuration or a foreign folder is refused.
    @Test func resumesAndRefusesForeignFolders() throws {
        let config = SynthFixture.config(patients: 3, seed: 71)
        let fresh = SynthFixture.folder("resume-fresh"), resumed = SynthFixture.folder("resume-cut")
        _ = try CohortGenerator(config: config, directory: fresh).run(jobs: 1)
        _ = try CohortGenerator(config: config, directory: resumed).run(jobs: 1)
        // Simulate a kill during patient 2: its record is gone and one DICOM half-written.
        try FileManager.default.removeItem(at: resumed.appendingPathComponent("records/SYN000002.json"))
        try Data("partial".utf8).write(to: resumed.appendingPathComponent("dicom/SYN000002/SYN000002-E1-LCC.dcm"))
        try FileManager.default.removeItem(at: resumed.appendingPathComponent("cohort.json"))
        let summary = try CohortGenerator(config: config, directory: resumed).run(jobs: 2)
        #expect(summary.generated == 1 && summary.resumed == 2)
        let a = try SynthFixture.files(fresh), b = try SynthFixture.files(resumed)
        #expect(a.keys.sorted() == b.keys.sorted())
        for (path, data) in a { #expect(b[path] == data, "\(path) differs after resuming") }

        var other = config
        other.lesionContrast = 2
        #expect(throws: SynthError.self) { try CohortGenerator(config: other, directory: resumed).run(jobs: 1) }
        let foreign = SynthFixture.folder("foreign")
        try FileManager.default.createDirectory(at: foreign, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: foreign.appendingPathComponent("notes.txt"))
        do {
            _ = try CohortGenerator(config: config, directory: foreign).run(jobs: 1)
            Issue.record("a non-empty folder was accepted")
        } catch let error as SynthError {
            // The sentence names what is there and that it is left alone.
            #expect("\(error)".contains("'notes.txt'") && "\(error)".contains("never deletes or overwrites"))
        }
        #expect(try String(contentsOf: foreign.appendingPathComponent("notes.txt"), encoding: .utf8) == "x")
        #expect(try FileManager.default.contentsOfDirectory(atPath: foreign.path) == ["notes.txt"])
        var bad = config
        bad.rows = 10
        #expect(throws: SynthError.invalidOption("size must be at least 64x48 and at most 8192x8192, got 10x96")) {
            try CohortGenerator(config: bad, directory: SynthFixture.folder("bad")).run(jobs: 1)
        }
    }

    /// The parenchymal texture has a power-law spectrum with an exponent near the configured 3.
    @Test func textureSpectrumFollowsAPowerLaw() throws {
        var rng = SynthRandom(seed: 9, purpose: .texture, 1)
        let n = 128
        let field = FractalTexture.generate(rows: n, columns: n, beta: 3, stretch: 1, rng: &rng)
        // Radially averaged power from a direct DFT along rows and columns (separable), octave bands.
        let power = RadialSpectrum.of(field, size: n)
        let slope = RadialSpectrum.slope(power, from: 3, to: 32)
        print("texture spectral exponent: \(slope)")
        #expect(slope > 2.3 && slope < 3.7, "spectral exponent \(slope)")
    }
}

/// Radially averaged power spectrum by a plain 2-D DFT (test-only, small sizes).
enum RadialSpectrum {
    static func of(_ field: [Float], size n: Int) -> [Double] {
        var re = [Double](repeating: 0, count: n * n), im = [Double](repeating: 0, count: n * n)
        var cosTable = [Double](repeating: 0, count: n), sinTable = [Double](repeating: 0, count: n)
        for k in 0..<n { cosTable[k] = cos(2 * Double.pi * Double(k) / Double(n)); sinTable[k] = sin(2 * Double.pi * Double(k) / Double(n)) }
        // Rows.
        for y in 0..<n {
            for k in 0..<n {
                var r = 0.0, i = 0.0
                for x in 0..<n { let t = (k * x) % n; r += Double(field[y * n + x]) * cosTable[t]; i -= Double(field[y * n + x]) * sinTable[t] }
                re[y * n + k] = r; im[y * n + k] = i
            }
        }
        var power = [Double](repeating: 0, count: n / 2), counts = [Double](repeating: 0, count: n / 2)
        // Columns.
        for k in 0..<n {
            for l in 0..<n {
                var r = 0.0, i = 0.0
                for y in 0..<n {
                    let t = (l * y) % n
                    r += re[y * n + k] * cosTable[t] + im[y * n + k] * sinTable[t]
                    i += im[y * n + k] * cosTable[t] - re[y * n + k] * sinTable[t]
                }
                let fx = k <= n / 2 ? k : k - n, fy = l <= n / 2 ? l : l - n
                let f = Int((Double(fx * fx + fy * fy)).squareRoot())
                if f > 0 && f < n / 2 { power[f] += r * r + i * i; counts[f] += 1 }
            }
        }
        return zip(power, counts).map { $1 > 0 ? $0 / $1 : 0 }
    }

    /// Least-squares slope of -log(power) against log(frequency) over [from, to).
    static func slope(_ power: [Double], from: Int, to: Int) -> Double {
        let xs = (from..<to).map { log(Double($0)) }, ys = (from..<to).map { -log(power[$0]) }
        let mx = xs.reduce(0, +) / Double(xs.count), my = ys.reduce(0, +) / Double(ys.count)
        let num = zip(xs, ys).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }
        let den = xs.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
        return num / den
    }
}
