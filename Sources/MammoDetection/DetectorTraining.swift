import Foundation
import MammoData

/// How a detector is trained. The defaults are the reference's recipe (Adam at 5e-5, gradient norm
/// clipped at 0.1, horizontal and vertical flips, trained on the images that hold the finding)
/// except where a field says otherwise.
public struct DetectorTraining: Codable, Equatable, Sendable {
    /// What trains of the image tower.
    public enum Backbone: String, Codable, CaseIterable, Sendable {
        /// Frozen tower (linear-probe style): only the pyramid and subnets learn.
        case frozen
        /// The whole tower is fine-tuned with the rest.
        case fineTuned = "fine-tuned"
    }

    /// What becomes of training images without a lesion of the detector's findings.
    public enum NormalImages: String, Codable, CaseIterable, Sendable {
        /// Left out, as the reference does (its loss is zero for them).
        case excluded
        /// Trained on: every anchor is a negative, the class loss divided by one.
        case included
    }

    public var epochs = 10
    public var batchSize = 8
    public var learningRate = 5e-5
    public var gradientClip = 0.1
    public var backbone: Backbone = .fineTuned
    public var normalImages: NormalImages = .excluded
    /// Random horizontal and vertical flips (each with probability 1/2), boxes flipped with the image.
    public var flips = true
    /// Training patients kept, in (0, 1] (whole patients, seeded).
    public var fraction = 1.0
    /// Head initialisation, data order, flips and the patients of the fraction.
    public var seed: UInt64 = 0

    public init() {}

    public func validate() throws {
        guard epochs >= 1, batchSize >= 1 else { throw InputError.badInput("epochs and batch size must be at least 1") }
        guard learningRate > 0, learningRate.isFinite, gradientClip > 0 else { throw InputError.badInput("the learning rate and the gradient clip must be positive") }
        guard fraction > 0, fraction <= 1 else { throw InputError.badInput("a data fraction must be in (0, 1], got \(fraction)") }
    }
}
