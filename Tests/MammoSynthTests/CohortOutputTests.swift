import Foundation
import MammoImaging
import MammoText
@testable import MammoSynth
import Testing

@Suite(.serialized) struct CohortOutputTests {
    /// Same options and seed: byte-identical trees, whatever the number of jobs.
    @Test func outputIsDeterministicAcrossJobCounts() throws {
        let config = SynthFixture.config(patients: 3)
        let a = SynthFixture.folder("det-a"), b = SynthFixture.folder("det-b")
        _ = try CohortGenerator(config: config, directory: a).run(jobs: 1)
        _ = try CohortGenerator(config: config, directory: b).run(jobs: 3)
        let filesA = try SynthFixture.files(a), filesB = try SynthFixture.files(b)
        #expect(filesA.count > 30)
        #expect(filesA.keys.sorted() == filesB.keys.sorted())
        for (path, data) in filesA { #expect(filesB[path] == data, "\(path) differs") }
        var other = config
        other.seed += 1
        let c = SynthFixture.folder("det-c")
        _ = try CohortGenerator(config: other, directory: c).run(jobs: 2)
        #expect(try SynthFixture.files(c)["/reports.csv"] != filesA["/reports.csv"])
    }

    /// Every file decodes through the DICOM reader to exactly the rendered values, with the header the
    /// labels describe.
    @Test func everyDicomReadsBackLosslessWithItsTags() throws {
        let config = SynthFixture.config(patients: 6, seed: 11)
        let root = SynthFixture.folder("readback")
        _ = try CohortGenerator(config: config, directory: root).run(jobs: 2)
        var syntaxes = Set<String>()
        for record in try SynthFixture.records(root) {
            for image in record.images {
                let exam = try #require(record.plan.exams.first { $0.id == image.examID })
                let dicom = try DicomImage(contentsOf: root.appendingPathComponent(image.path))
                let m = dicom.metadata
                let vendor = record.plan.vendor
                syntaxes.insert(m.transferSyntaxUID ?? "")
                #expect(m.transferSyntaxUID == vendor.transferSyntax.rawValue)
                #expect(m.modality == "MG" && m.patientID == record.plan.id && m.sopInstanceUID == image.sopInstanceUID)
                #expect(m.studyInstanceUID == image.studyUID && m.seriesInstanceUID == image.seriesUID)
                #expect(m.laterality.rawValue == image.side.rawValue && m.view == image.view.rawValue)
                #expect(m.rows == image.rows && m.columns == image.columns && m.bitsStored == vendor.bitsStored)
                #expect(m.photometricInterpretation == (vendor.monochrome1 ? "MONOCHROME1" : "MONOCHROME2"))
                #expect(m.presentationIntentType == vendor.presentationIntent && m.manufacturer == vendor.manufacturer)
                #expect(m.patientAgeYears == Double(exam.age))
                #expect(vendor == .beta ? m.voiLUTs.count == 1 : !m.windowCenters.isEmpty)
                let rendered = ViewRenderer(config: config, patient: record.plan, exam: exam, side: image.side, view: image.view).render()
                let stored = try dicom.frame().toArray(Int32.self)
                #expect(stored == rendered.pixels.map(Int32.init), "\(image.path): pixels differ from the rendering")
            }
        }
        #expect(syntaxes == Set(Vendor.allCases.map(\.transferSyntax.rawValue)), "every vendor's syntax appears")
    }

    /// Findings change pixels only inside their boxes, and every box holds changed pixels; each finding
    /// painted alone stays inside its own box.
    @Test func boxesHoldTheirLesionsAndNothingLiesOutside() throws {
        let config = SynthFixture.config(patients: 12, seed: 21, prevalence: 4)
        var checked = 0
        SynthFixture.forEachViewWithFindings(config) { plan, exam, side, view in
            let renderer = ViewRenderer(config: config, patient: plan, exam: exam, side: side, view: view)
            let with = renderer.render(), without = renderer.render(includeFindings: false)
            let boxes = Array(with.boxes.values)
            var changedInBox = [Int](repeating: 0, count: boxes.count)
            for y in 0..<with.rows {
                for x in 0..<with.columns where with.pixels[y * with.columns + x] != without.pixels[y * with.columns + x] {
                    let holders = boxes.indices.filter { boxes[$0].contains(x: x, y: y) }
                    #expect(!holders.isEmpty, "\(exam.id) \(side) \(view): changed pixel (\(x), \(y)) outside every box")
                    for h in holders { changedInBox[h] += 1 }
                }
            }
            #expect(changedInBox.allSatisfy { $0 > 0 }, "\(exam.id) \(side) \(view): a box without lesion pixels")
            for box in boxes { #expect(box.xmin >= 0 && box.ymin >= 0 && box.xmax <= with.columns && box.ymax <= with.rows) }
            checked += boxes.count
        }
        #expect(checked >= 40, "only \(checked) boxes checked")
    }

    /// The calcification scale draws calcification particles larger and leaves every other finding as it
    /// was; at its default it stays out of cohort.json, so existing cohorts resume.
    @Test func calcificationScaleEnlargesOnlyCalcifications() throws {
        // synth-1, where the scale multiplies every particle (synth-2's scale: BiradsCalcificationTests).
        var config = SynthFixture.config(patients: 12, seed: 21, prevalence: 4)
        config.generator = .synth1
        var scaled = config
        scaled.calcificationScale = 3
        var calcificationSignal = (plain: 0, scaled: 0), others = 0
        try SynthFixture.forEachViewWithFindings(config) { plan, exam, side, view in
            let plain = ViewRenderer(config: config, patient: plan, exam: exam, side: side, view: view)
            let without = plain.render(includeFindings: false)
            let a = plain.render()
            let b = ViewRenderer(config: scaled, patient: plan, exam: exam, side: side, view: view).render()
            /// The finding's integrated signal: summed absolute change over its box.
            func signal(_ image: RenderedView, in box: FindingBox) -> Int {
                var total = 0
                for y in box.ymin..<box.ymax {
                    for x in box.xmin..<box.xmax {
                        total += abs(Int(image.pixels[y * image.columns + x]) - Int(without.pixels[y * image.columns + x]))
                    }
                }
                return total
            }
            for finding in exam.findings(side, view) {
                guard let boxA = a.boxes[finding.id] else { continue }
                if finding.kind == .calcification {
                    let boxB = try #require(b.boxes[finding.id], "\(finding.id): missing when scaled")
                    calcificationSignal.plain += signal(a, in: boxA)
                    calcificationSignal.scaled += signal(b, in: boxB)
                } else {
                    #expect(b.boxes[finding.id] == boxA, "\(finding.id) (\(finding.kind)) moved with the calcification scale")
                    others += 1
                }
            }
        }
        print("calcification signal \(calcificationSignal.plain) -> \(calcificationSignal.scaled) at scale 3; \(others) other findings")
        #expect(calcificationSignal.plain > 0 && others > 10, "too few findings: \(others) besides calcifications")
        // Sub-pixel dots keep their integrated brightness per area: three times the diameter is several
        // times the signal.
        #expect(Double(calcificationSignal.scaled) > 3 * Double(calcificationSignal.plain),
                "calcification signal \(calcificationSignal.plain) -> \(calcificationSignal.scaled) at scale 3")

        let keys = { (c: SynthConfig) in
            try (JSONSerialization.jsonObject(with: CohortGenerator.encoder().encode(c)) as! [String: Any]).keys.sorted()
        }
        #expect(try !keys(config).contains("calcificationScale"))
        #expect(try keys(scaled).contains("calcificationScale"))
        scaled.calcificationScale = 20
        #expect(throws: SynthError.invalidOption("calcification scale must be in [0.25, 10], got 20.0")) { try scaled.validate() }
    }

    /// Regional benign calcifications: the same findings as the default cohort, punctate ones spread
    /// over three times the extent (larger boxes) and described as regional or scattered, which the
    /// report parser still reads as calcifications; every other finding, box and sentence kind as before,
    /// and the default keeps the key out of cohort.json.
    @Test func regionalBenignCalcificationsSpreadOnlyPunctateOnes() throws {
        // A synth-1 option.
        var config = SynthFixture.config(patients: 16, seed: 23, prevalence: 4)
        config.generator = .synth1
        var regional = config
        regional.benignCalcificationDistribution = .regional
        let plainPlanner = CohortPlanner(config: config), regionalPlanner = CohortPlanner(config: regional)
        let writer = ReportWriter(generator: .synth1), parser = ReportParser()
        var punctate = 0, grown = 0, others = 0, sentences = 0
        for index in 0..<config.patients {
            let a = plainPlanner.patient(index, split: "train", fold: 0), b = regionalPlanner.patient(index, split: "train", fold: 0)
            #expect(a.exams.count == b.exams.count)
            for (examA, examB) in zip(a.exams, b.exams) {
                #expect(examA.findings.count == examB.findings.count)
                for (fa, fb) in zip(examA.findings, examB.findings) {
                    if fa.kind == .calcification && fa.calcification == .punctate {
                        #expect(fb.distribution == .regional && abs(fb.sizeMM - 3 * fa.sizeMM) < 1e-9, "\(fb.id)")
                        var same = fb
                        same.distribution = nil
                        same.sizeMM = fa.sizeMM
                        #expect(same == fa, "\(fb.id) differs beyond distribution and extent")
                    } else {
                        #expect(fb == fa, "\(fa.id) (\(fa.kind)) changed with regional benign calcifications")
                    }
                }
                for side in Side.allCases {
                    for view in ViewPosition.allCases where !examA.findings(side, view).isEmpty {
                        let boxesA = ViewRenderer(config: config, patient: a, exam: examA, side: side, view: view).render().boxes
                        let boxesB = ViewRenderer(config: regional, patient: b, exam: examB, side: side, view: view).render().boxes
                        for finding in examA.findings(side, view) {
                            guard let boxA = boxesA[finding.id], let boxB = boxesB[finding.id] else { continue }
                            if finding.kind == .calcification && finding.calcification == .punctate {
                                punctate += 1
                                let area = { (box: FindingBox) in (box.xmax - box.xmin + 1) * (box.ymax - box.ymin + 1) }
                                if area(boxB) > 2 * area(boxA) { grown += 1 }
                            } else {
                                #expect(boxB == boxA, "\(finding.id) (\(finding.kind)) moved")
                                others += 1
                            }
                        }
                    }
                }
                var rng = SynthRandom(seed: regional.seed, purpose: .text, UInt64(index))
                let report = writer.report(examB, patient: b, rng: &rng).text
                #expect(parser.parse(report).mentions == ReportAgreement.mentions(examB.findings), "\(report)")
                let hasPunctate = examB.findings.contains { $0.calcification == .punctate }
                if hasPunctate && report.contains("punctate") {
                    sentences += 1
                    #expect(report.contains("regional") || report.contains("scattered"), "\(report)")
                    #expect(!report.contains("cluster of punctate") && !report.contains("grouped punctate"), "\(report)")
                }
            }
        }
        print("regional benign calcifications: \(grown) of \(punctate) punctate boxes more than twice the area; \(others) other boxes; \(sentences) reports")
        #expect(punctate >= 5 && others >= 10 && sentences >= 3, "too few findings: \(punctate) punctate, \(others) others, \(sentences) reports")
        #expect(Double(grown) >= 0.8 * Double(punctate), "only \(grown) of \(punctate) punctate boxes grew")
        let keys = { (c: SynthConfig) in
            try (JSONSerialization.jsonObject(with: CohortGenerator.encoder().encode(c)) as! [String: Any]).keys.sorted()
        }
        #expect(try !keys(config).contains("benignCalcificationDistribution"))
        #expect(try keys(regional).contains("benignCalcificationDistribution"))
    }

    /// A finding seen in both views sits at the same depth, on the lateral/medial side in CC and the
    /// superior/inferior side in MLO that its clock position says (measured on the rendered boxes).
    @Test func ccAndMloAgreeOnQuadrantAndDepth() throws {
        let config = SynthFixture.config(patients: 30, seed: 31, prevalence: 3)
        let planner = CohortPlanner(config: config)
        var pairs = 0
        for index in 0..<config.patients {
            let plan = planner.patient(index, split: "train", fold: 0)
            for exam in plan.exams {
                let both = exam.findings.filter { $0.views.count == 2 && [.mass, .calcification, .architecturalDistortion, .focalAsymmetry].contains($0.kind) }
                guard !both.isEmpty else { continue }
                for side in Side.allCases {
                    var depth: [String: [ViewPosition: Double]] = [:]
                    for view in ViewPosition.allCases {
                        let renderer = ViewRenderer(config: config, patient: plan, exam: exam, side: side, view: view)
                        let rendered = renderer.render()
                        let geometry = renderer.layout().0
                        for finding in both where finding.side == side {
                            let box = try #require(rendered.boxes[finding.id], "\(finding.id) missing in \(view)")
                            var cx = Double(box.xmin + box.xmax) / 2
                            if side == .right { cx = Double(rendered.columns) - cx }
                            let cy = Double(box.ymin + box.ymax) / 2
                            depth[finding.id, default: [:]][view] = 1 - cx / geometry.depth
                            let expected = view == .cc ? -finding.location.lateral(side) : -finding.location.superior
                            if abs(expected) > 0.3 && finding.location.radialFraction > 0.3 {
                                #expect((cy > geometry.axisRow) == (expected > 0), "\(finding.id) \(view): wrong side of the nipple axis")
                            }
                        }
                    }
                    for (id, d) in depth {
                        // MLO findings are moved out of the pectoral muscle towards the nipple: allow a margin.
                        #expect(abs(d[.cc]! - d[.mlo]!) < 0.3, "\(id): depth \(d[.cc]!) in CC vs \(d[.mlo]!) in MLO")
                        pairs += 1
                    }
                }
            }
        }
        #expect(pairs >= 20, "only \(pairs) findings in both views")
    }
}
