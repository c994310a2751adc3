import Foundation
import MammoData
import MammoEvaluation
import MammoImaging

/// `analysis.json`: every answer about one exam (docs/serving.md documents the schema). Versioned:
/// fields are added in later versions, never renamed or removed within one.
public struct AnalysisDocument: Codable, Sendable {
    public static let schemaName = "mammofm-exam-analysis"
    public static let currentVersion = 1

    /// Which bundle answered.
    public struct BundleReference: Codable, Sendable {
        public var manifestHash: String
        public var modelWeightsHash: String
        public var imageTower: String
        public var inputWidth: Int
        public var inputHeight: Int
        public var preprocessing: PreprocessingProfile
        public var prompts: String
        /// Task -> the hash of its head's weights.
        public var heads: [String: String]
        /// Detector (its findings, "mass") -> the hash of its weights; nil in bundles without detectors.
        public var detectors: [String: String]?
    }

    /// A lesion a detector found on an image, at or above the detector's operating point.
    public struct Detection: Codable, Sendable {
        /// "mass" or "calcification".
        public var finding: String
        public var score: Double
        /// In the original image's pixels (columns, rows; corners at integers): what a PACS viewer draws.
        public var box: BoundingBox
        /// The same box on the image's model-input PNG (`modelInput`), as the page draws it.
        public var modelInputBox: BoundingBox
        /// The detector's score threshold: 1 false positive per image on its validation split, or its
        /// decoder's 0.05 when it has no validation figures.
        public var operatingThreshold: Double
    }

    /// The analysed exam (no patient identifiers: those stay in the DICOM files and the SR).
    public struct Exam: Codable, Sendable {
        public var studyInstanceUID: String?
        public var studyDate: String?
        public var studyTime: String?
        public var accessionNumber: String?
        public var manufacturer: String?
        public var priors: [PriorExam]
        /// Screening views absent from the exam ("L MLO").
        public var missingViews: [String]
    }

    /// One task's answer for an image, a breast or the exam.
    public struct TaskResult: Codable, Sendable {
        public enum Source: String, Codable, Sendable {
            /// The bundle's prompts against the image embedding (softmax of cosine similarities, uncalibrated).
            case zeroShot = "zero-shot"
            /// A trained head: calibrated probabilities and the decision at the validation operating point.
            case head
        }

        public var task: String
        public var source: Source
        public var classes: [String]
        /// Raw class scores (breast: the mean over its views, as the evaluation protocol aggregates).
        public var scores: [Double]
        /// Calibrated class probabilities (heads only).
        public var probabilities: [Double]?
        /// The class decided (heads only): the positive class at or above the operating point, else the most probable.
        public var decision: String?
        /// The operating point's rule, its raw threshold and the same threshold on the calibrated scale (binary heads).
        public var operatingPoint: String?
        public var threshold: Double?
        public var calibratedThreshold: Double?
    }

    /// One analysed image.
    public struct Image: Codable, Sendable {
        public var file: String
        public var sopInstanceUID: String?
        public var seriesInstanceUID: String?
        public var sopClassUID: String?
        /// "L" or "R".
        public var laterality: String
        public var view: String
        /// Where laterality and view came from: a header attribute, or "inferred from the image".
        public var lateralitySource: String
        public var viewSource: String
        public var manufacturer: String?
        /// The model-input PNG, relative to the analysis folder.
        public var modelInput: String
        public var geometry: PreprocessingGeometry
        public var results: [TaskResult]
        /// Lesions found by the bundle's detectors, best first; nil when the bundle has none.
        public var detections: [Detection]?
    }

    /// One breast: its views and results.
    public struct Breast: Codable, Sendable {
        public var laterality: String
        public var views: [String]
        public var results: [TaskResult]
    }

    /// A positive decision, in words.
    public struct Finding: Codable, Sendable {
        public var laterality: String?
        public var task: String
        public var decision: String
        public var probability: Double
        public var text: String
    }

    public struct Timings: Codable, Sendable {
        public var readSeconds: Double = 0
        public var preprocessSeconds: Double = 0
        public var inferenceSeconds: Double = 0
        public var writeSeconds: Double = 0
        public var totalSeconds: Double = 0
    }

    public var schema = schemaName
    public var version = currentVersion
    public var mammofmVersion: String
    /// ISO 8601, UTC.
    public var created: String
    public var bundle: BundleReference
    public var exam: Exam
    public var images: [Image]
    public var skipped: [SkippedFile]
    public var breasts: [Breast]
    /// Exam-level answers (density: the mean of the breasts' calibrated probabilities).
    public var examResults: [TaskResult]
    public var findings: [Finding]
    public var timings: Timings
}
