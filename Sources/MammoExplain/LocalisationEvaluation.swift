import Foundation
import MammoData
import MammoDetection
import MammoEvaluation

/// How one heatmap method localised one attribute on a set of images holding it: the pointing game
/// (per image), the hit rate of predicted regions at IoU >= 0.25 and >= 0.5 (per lesion) and the
/// share of the heatmap inside the boxes (per image), each with a patient-bootstrap 95% interval.
public struct LocalisationEvaluation: Codable, Equatable, Sendable {
    public var attribute: DetectionFinding
    public var method: HeatmapMethod
    public var images: Int
    public var lesions: Int
    public var patients: Int
    public var pointingGame: EstimateWithInterval
    public var hitRateIoU25: EstimateWithInterval
    public var hitRateIoU50: EstimateWithInterval
    public var energyInside: EstimateWithInterval

    /// One image's outcome.
    public struct ImageOutcome: Codable, Equatable, Sendable {
        public var image: String
        public var patient: String
        public var pointing: Bool
        public var hits25: Int
        public var hits50: Int
        public var lesions: Int
        public var energy: Double

        public init(image: String, patient: String, heatmap: Heatmap, lesions boxes: [BoundingBox]) {
            self.image = image
            self.patient = patient
            let regions = heatmap.regions.map(\.box)
            pointing = LocalisationMetrics.pointingHit(peak: heatmap.peak, lesions: boxes)
            hits25 = LocalisationMetrics.regionHits(regions: regions, lesions: boxes, iou: 0.25).filter { $0 }.count
            hits50 = LocalisationMetrics.regionHits(regions: regions, lesions: boxes, iou: 0.5).filter { $0 }.count
            lesions = boxes.count
            energy = LocalisationMetrics.energyInside(values: heatmap.values, width: heatmap.width, height: heatmap.height, lesions: boxes)
        }
    }

    public static func summarise(_ outcomes: [ImageOutcome], attribute: DetectionFinding, method: HeatmapMethod,
                                 bootstrap: PatientBootstrap?) -> LocalisationEvaluation {
        let patients = outcomes.map(\.patient)
        func estimate(_ statistic: @escaping ([Int]) -> Double) -> EstimateWithInterval {
            let value = statistic(Array(outcomes.indices))
            guard let bootstrap, let ci = try? bootstrap.interval(groups: patients, statistic: statistic) else {
                return EstimateWithInterval(value: value, lower: nil, upper: nil)
            }
            return EstimateWithInterval(value: value, lower: ci.lower, upper: ci.upper)
        }
        func perImage(_ value: @escaping (ImageOutcome) -> Double) -> ([Int]) -> Double {
            { indices in indices.isEmpty ? .nan : indices.reduce(0) { $0 + value(outcomes[$1]) } / Double(indices.count) }
        }
        func perLesion(_ hits: @escaping (ImageOutcome) -> Int) -> ([Int]) -> Double {
            { indices in
                let lesions = indices.reduce(0) { $0 + outcomes[$1].lesions }
                return lesions == 0 ? .nan : Double(indices.reduce(0) { $0 + hits(outcomes[$1]) }) / Double(lesions)
            }
        }
        return LocalisationEvaluation(attribute: attribute, method: method, images: outcomes.count, lesions: outcomes.reduce(0) { $0 + $1.lesions },
                                      patients: Set(patients).count, pointingGame: estimate(perImage { $0.pointing ? 1 : 0 }),
                                      hitRateIoU25: estimate(perLesion(\.hits25)), hitRateIoU50: estimate(perLesion(\.hits50)),
                                      energyInside: estimate(perImage(\.energy)))
    }
}
