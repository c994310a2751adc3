import Foundation
import MammoData
import MammoEvaluation

/// A figure with its patient-bootstrap 95% interval (nil when too few resamples had a value).
public struct EstimateWithInterval: Codable, Equatable, Sendable {
    public var value: Double
    public var lower: Double?
    public var upper: Double?

    public init(value: Double, lower: Double?, upper: Double?) {
        self.value = value
        self.lower = lower
        self.upper = upper
    }
}

/// How a detector did on one finding over a set of images: VOC AP at IoU 0.5 (the reference's), FROC
/// under three hit rules with the CPM, sensitivities at 1/8 to 8 false positives per image, and per
/// lesion group (size, density) the sensitivity at 1 false positive per image (centre rule).
public struct DetectionEvaluation: Codable, Equatable, Sendable {
    public struct RuleResult: Codable, Equatable, Sendable {
        public var rule: HitRule
        public var cpm: EstimateWithInterval
        /// Sensitivity at each of `FROCAnalysis.standardRates`.
        public var sensitivities: [Double]
        public var sensitivityAt1FP: EstimateWithInterval
        /// The score threshold of the 1-false-positive-per-image point (nil when none is within it).
        public var thresholdAt1FP: Double?
        /// The FROC curve (thresholds from the highest score down).
        public var curve: [FROCAnalysis.Point]
    }

    public struct Group: Codable, Equatable, Sendable {
        public var name: String
        public var lesions: Int
        public var found: Int
        public var sensitivity: Double
    }

    public var finding: DetectionFinding
    public var images: Int
    public var imagesWithLesions: Int
    public var lesions: Int
    public var patients: Int
    public var averagePrecision: EstimateWithInterval
    public var rules: [RuleResult]
    /// Lesions found at the 1-false-positive-per-image threshold (centre rule), by size and by density.
    public var groups: [Group]

    /// `detections[i]` are the finding's detections on `images[i]`, and `lesions[i]` its boxes, in
    /// one coordinate system. `bootstrap` nil gives no intervals.
    public static func evaluate(finding: DetectionFinding, images: [DetectionDataset.Image], detections: [[ScoredBox]], lesions: [[BoundingBox]],
                                sizes: [[Double?]], bootstrap: PatientBootstrap?) throws -> DetectionEvaluation {
        guard images.count == detections.count, images.count == lesions.count, images.count == sizes.count else {
            throw MetricError.invalidInput("images, detections and lesions differ in count")
        }
        let patients = images.map(\.patientID)
        func interval(_ value: Double, _ statistic: @escaping ([Int]) throws -> Double) -> EstimateWithInterval {
            guard let bootstrap, let ci = try? bootstrap.interval(groups: patients, statistic: statistic) else {
                return EstimateWithInterval(value: value, lower: nil, upper: nil)
            }
            return EstimateWithInterval(value: value, lower: ci.lower, upper: ci.upper)
        }
        let ap = try AveragePrecision.compute(detections: detections, groundTruth: lesions)
        let averagePrecision = interval(ap.averagePrecision) { indices in
            try AveragePrecision.compute(detections: indices.map { detections[$0] }, groundTruth: indices.map { lesions[$0] }).averagePrecision
        }
        var rules: [RuleResult] = []
        var groups: [Group] = []
        for rule in HitRule.allCases {
            let froc = try FROCAnalysis(detections: detections, lesions: lesions, rule: rule)
            let resampled = { (indices: [Int]) throws -> FROCAnalysis in
                try FROCAnalysis(detections: indices.map { detections[$0] }, lesions: indices.map { lesions[$0] }, rule: rule)
            }
            rules.append(RuleResult(rule: rule, cpm: interval(froc.cpm()) { try resampled($0).cpm() },
                                    sensitivities: FROCAnalysis.standardRates.map { froc.sensitivity(atFalsePositivesPerImage: $0) },
                                    sensitivityAt1FP: interval(froc.sensitivity(atFalsePositivesPerImage: 1)) {
                                        try resampled($0).sensitivity(atFalsePositivesPerImage: 1)
                                    },
                                    thresholdAt1FP: froc.threshold(atFalsePositivesPerImage: 1),
                                    curve: froc.curve))
            guard rule == .centreInBox else { continue }
            // Per lesion, found when a detection at or above the 1-FP threshold hits it.
            let threshold = froc.threshold(atFalsePositivesPerImage: 1) ?? .infinity
            var flat: [(found: Bool, size: Double?, density: String?)] = []
            for (i, image) in images.enumerated() {
                for (j, _) in lesions[i].enumerated() {
                    flat.append(((froc.lesionScores[flat.count] ?? -.infinity) >= threshold, sizes[i][j], image.density))
                }
            }
            func group(_ name: String, _ members: [(found: Bool, size: Double?, density: String?)]) -> Group? {
                guard !members.isEmpty else { return nil }
                let found = members.filter(\.found).count
                return Group(name: name, lesions: members.count, found: found, sensitivity: Double(found) / Double(members.count))
            }
            let sized = flat.filter { $0.size != nil }
            for (name, range) in [("size < 10 mm", 0.0..<10), ("size 10-20 mm", 10.0..<20), ("size >= 20 mm", 20.0..<Double.infinity)] {
                if let g = group(name, sized.filter { range.contains($0.size!) }) { groups.append(g) }
            }
            for density in ["A", "B", "C", "D"] {
                if let g = group("density \(density)", flat.filter { $0.density == density }) { groups.append(g) }
            }
        }
        return DetectionEvaluation(finding: finding, images: images.count, imagesWithLesions: lesions.filter { !$0.isEmpty }.count,
                                   lesions: lesions.reduce(0) { $0 + $1.count }, patients: Set(patients).count,
                                   averagePrecision: averagePrecision, rules: rules, groups: groups)
    }
}
