import Foundation

/// A report in the sections the reference reads: findings sentences and impression sentences.
public struct SynthReport: Codable, Equatable, Sendable {
    public var findings: [String]
    public var impression: [String]

    /// "[Findings] ... [Impression] ..." as one text.
    public var text: String { "[Findings] " + findings.joined(separator: " ") + " [Impression] " + impression.joined(separator: " ") }
}

/// Writes screening reports from the labels with a template grammar: every sentence type has several
/// phrasings and its slots (size unit, location order, clock format, depth wording) vary independently,
/// so the same findings rarely produce the same string. Finding sentences name one finding and one
/// breast and never contain negation words; negatives are separate sentences.
public struct ReportWriter: Sendable {
    /// synth-1 names calcifications by morphology only; later versions word them as BI-RADS does.
    public let generator: GeneratorVersion

    public init(generator: GeneratorVersion = .current) { self.generator = generator }

    /// The exam's report (both breasts).
    public func report(_ exam: ExamPlan, patient: PatientPlan, rng: inout SynthRandom) -> SynthReport {
        var findings = [composition(patient.density, &rng)]
        // The same benign calcifications in both breasts are named once (synth-2 on).
        let bilateral = generator == .synth1 ? ([:], []) : Self.bilateralCalcifications(exam)
        for side in [Side.right, .left] {
            findings += breastFindings(exam, side: side, bilateral: bilateral, &rng)
        }
        findings += negatives(exam.findings, sides: "either breast", &rng)
        let birads = max(exam.birads(.left), exam.birads(.right))
        var impression: [String] = []
        for side in [Side.right, .left] { impression += impressionLines(exam, side: side, &rng) }
        if impression.isEmpty { impression.append(rng.pick(Self.normalImpressions)) }
        impression.append(assessment(birads, &rng))
        return SynthReport(findings: findings, impression: impression)
    }

    /// The part of the report about one breast (the pretraining CSV pairs it with that breast's views).
    public func breastReport(_ exam: ExamPlan, patient: PatientPlan, side: Side, rng: inout SynthRandom) -> SynthReport {
        var findings = [composition(patient.density, &rng)]
        findings += breastFindings(exam, side: side, &rng)
        findings += negatives(exam.findings.filter { $0.side == side }, sides: "the \(side.word) breast", &rng)
        var impression = impressionLines(exam, side: side, &rng)
        if impression.isEmpty { impression.append(rng.pick(Self.normalImpressions)) }
        impression.append(assessment(exam.birads(side), &rng))
        return SynthReport(findings: findings, impression: impression)
    }

    // MARK: Sentences

    func composition(_ density: Density, _ rng: inout SynthRandom) -> String {
        let phrase: String
        switch density {
        case .a: phrase = rng.pick(["almost entirely fatty", "almost entirely fatty (ACR category A)", "predominantly fatty"])
        case .b: phrase = rng.pick(["composed of scattered areas of fibroglandular density", "of scattered fibroglandular density (ACR category B)",
                                   "of scattered fibroglandular density"])
        case .c: phrase = rng.pick(["heterogeneously dense, which may obscure small masses", "heterogeneously dense (ACR category C)",
                                   "heterogeneously dense"])
        case .d: phrase = rng.pick(["extremely dense, which lowers the sensitivity of mammography", "extremely dense (ACR category D)",
                                   "extremely dense"])
        }
        let frame = rng.pick(["The breasts are %@.", "Breast tissue is %@.", "The breast tissue is %@.", "Both breasts are %@."])
        return frame.replacingOccurrences(of: "%@", with: phrase)
    }

    func breastFindings(_ exam: ExamPlan, side: Side, bilateral: (sentenceAt: [String: Finding], merged: Set<String>) = ([:], []),
                        _ rng: inout SynthRandom) -> [String] {
        let own = exam.findings.filter { $0.side == side }
        if own.isEmpty {
            return [rng.pick(["The \(side.word) breast is unremarkable.", "\(side.word.capitalized) breast: no suspicious findings.",
                              "No suspicious abnormality in the \(side.word) breast.", "The \(side.word) breast shows no suspicious finding."])]
        }
        return own.compactMap { f in
            if let pair = bilateral.sentenceAt[f.id] { return calcificationSentence(pair, bilateral: true, &rng) }
            return bilateral.merged.contains(f.id) ? nil : sentence(f, &rng)
        }
    }

    func size(_ mm: Double, _ rng: inout SynthRandom) -> String {
        let rounded = Int(mm.rounded())
        return rng.chance(0.7) ? "\(rounded) mm" : String(format: "%.1f cm", Double(rounded) / 10)
    }

    func place(_ f: Finding, _ rng: inout SynthRandom) -> String {
        let quadrant = f.location.quadrant(f.side)
        let clock = rng.pick(["at \(f.location.clock) o'clock", "at the \(f.location.clock) o'clock position", "at \(f.location.clock):00"])
        let depth = rng.pick(["\(f.location.depth.rawValue) depth", "in the \(f.location.depth.rawValue) third"])
        let distanceCM = max(1, Int((f.location.depthFraction * 12).rounded()))
        let distance = rng.pick(["\(distanceCM) cm from the nipple", "\(distanceCM) cm FN"])
        switch rng.integer(0...3) {
        case 0: return "in the \(quadrant) of the \(f.side.word) breast \(clock), \(depth), \(distance)"
        case 1: return "in the \(f.side.word) breast \(clock), \(depth)"
        case 2: return "in the \(f.side.word) \(quadrant), \(depth), \(distance)"
        default: return "in the \(quadrant) of the \(f.side.word) breast, \(depth)"
        }
    }

    func sentence(_ f: Finding, _ rng: inout SynthRandom) -> String {
        let where_ = place(f, &rng)
        switch f.kind {
        case .mass:
            let shape = f.shape?.rawValue ?? "oval", margin = f.margin?.rawValue ?? "circumscribed"
            let s = size(f.sizeMM, &rng)
            switch rng.integer(0...3) {
            case 0: return "There is a \(s) \(shape) mass with \(margin) margins \(where_)."
            case 1: return "\(article(shape)) \(shape) \(margin) mass measuring \(s) is seen \(where_)."
            case 2: return "\(f.side.word.capitalized) breast: \(s) \(shape) mass, \(margin) margins, \(where_)."
            default: return "\(article(margin)) \(margin) \(shape) mass of \(s) is present \(where_)."

            }
        case .calcification where generator != .synth1:
            return calcificationSentence(f, &rng)
        case .calcification:
            let morphology = (f.calcification ?? .punctate).rawValue.replacingOccurrences(of: "_", with: " ")
            let regional = f.distribution == .regional
            let distribution = f.calcification == .fineLinear ? rng.pick(["linear", "segmental"])
                : regional ? rng.pick(["regional", "scattered"]) : rng.pick(["grouped", "clustered"])
            let s = size(f.sizeMM, &rng)
            switch rng.integer(0...2) {
            case 0: return "There are \(distribution) \(morphology) calcifications spanning \(s) \(where_)."
            case 1 where regional: return "\(morphology.capitalized) microcalcifications are scattered over \(s) \(where_)."
            case 1: return "A cluster of \(morphology) microcalcifications over \(s) is seen \(where_)."
            default: return "\(morphology.capitalized) calcifications in a \(distribution) distribution \(where_), extent \(s)."
            }
        case .architecturalDistortion:
            return rng.pick(["There is architectural distortion \(where_).", "Architectural distortion is seen \(where_).",
                             "An area of architectural distortion is present \(where_)."])
        case .focalAsymmetry:
            return rng.pick(["There is a focal asymmetry \(where_).", "A focal asymmetry measuring \(size(f.sizeMM, &rng)) is seen \(where_)."])
        case .globalAsymmetry:
            return rng.pick(["There is global asymmetry of fibroglandular tissue in the \(f.side.word) breast.",
                             "Global asymmetry is present in the \(f.side.word) breast."])
        case .asymmetry:
            let view = f.views.first == .cc ? "craniocaudal" : "mediolateral oblique"
            return rng.pick(["An asymmetry is seen on the \(view) view only \(where_).",
                             "There is a one-view asymmetry on the \(view) view \(where_)."])
        case .lymphNode:
            if f.suspicious {
                return rng.pick(["An enlarged lymph node of \(size(f.sizeMM, &rng)) with loss of the fatty hilum is seen in the \(f.side.word) axillary tail.",
                                 "A dense, enlarged lymph node is present in the \(f.side.word) axilla."])
            }
            return rng.pick(["A \(size(f.sizeMM, &rng)) lymph node with a fatty hilum is seen in the \(f.side.word) axillary tail.",
                             "An intramammary lymph node is present in the upper outer \(f.side.word) breast."])
        case .skinThickening:
            return rng.pick(["Skin thickening is seen over the \(f.location.quadrant(f.side)) of the \(f.side.word) breast.",
                             "There is focal skin thickening of the \(f.side.word) breast."])
        }
    }

    func article(_ word: String) -> String { "aeiou".contains(word.first ?? "x") ? "An" : "A" }

    /// Explicit negatives for finding types the scope does not have.
    func negatives(_ present: [Finding], sides: String, _ rng: inout SynthRandom) -> [String] {
        // From synth-2 on, benign calcifications leave the "no suspicious calcifications" negative in place.
        let kinds = Set(present.filter { generator == .synth1 || $0.kind != .calcification || $0.isSuspiciousCalcification }.map(\.kind))
        var parts: [String] = []
        if !kinds.contains(.mass) { parts.append(rng.pick(["masses", "suspicious masses", "dominant masses"])) }
        if !kinds.contains(.calcification) { parts.append(rng.pick(["suspicious calcifications", "suspicious microcalcifications"])) }
        if !kinds.contains(.architecturalDistortion) { parts.append("architectural distortion") }
        guard !parts.isEmpty else { return [] }
        let list = parts.count == 1 ? parts[0] : parts.dropLast().joined(separator: ", ") + " or " + parts.last!
        return [rng.pick(["No \(list) in \(sides).", "There are no \(list) in \(sides).", "No \(list) identified in \(sides)."])]
    }

    static let normalImpressions = ["No mammographic evidence of malignancy.", "Negative screening mammogram.",
                                    "No suspicious mammographic findings."]

    func impressionLines(_ exam: ExamPlan, side: Side, _ rng: inout SynthRandom) -> [String] {
        exam.findings.filter { $0.side == side }.map { f in
            let noun: String
            switch f.kind {
            case .mass: noun = "mass"
            case .calcification: noun = "calcifications"
            case .architecturalDistortion: noun = "architectural distortion"
            case .focalAsymmetry: noun = "focal asymmetry"
            case .globalAsymmetry: noun = "global asymmetry"
            case .asymmetry: noun = "one-view asymmetry"
            case .lymphNode: noun = "lymph node"
            case .skinThickening: noun = "skin thickening"
            }
            let qualifier = f.birads >= 4 ? rng.pick(["Suspicious", "Concerning"]) : f.birads == 3 ? "Probably benign" : "Benign-appearing"
            return "\(qualifier) \(noun) in the \(side.word) breast."
        }
    }

    func assessment(_ birads: Int, _ rng: inout SynthRandom) -> String {
        let name = ["", "Negative", "Benign", "Probably benign", "Suspicious", "Highly suggestive of malignancy"][birads]
        let recommendation: String
        switch birads {
        case 1, 2: recommendation = rng.pick(["Routine screening mammography in 1 year.", "Continue annual screening."])
        case 3: recommendation = rng.pick(["Short-interval follow-up mammography in 6 months is recommended.", "Follow-up in 6 months."])
        case 4: recommendation = rng.pick(["Tissue sampling is recommended.", "Ultrasound-guided or stereotactic biopsy is recommended."])
        default: recommendation = rng.pick(["Biopsy is recommended.", "Tissue diagnosis is strongly recommended."])
        }
        let head = rng.pick(["BI-RADS \(birads): \(name).", "BI-RADS category \(birads) - \(name).", "Assessment: BI-RADS \(birads), \(name.lowercased())."])
        return head + " " + recommendation
    }
}
