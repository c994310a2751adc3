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
    /// The reference detector's geometric augmentation besides the flips, on every training image: an
    /// affine transform (rotation and shear within 20 degrees, translation within 10%, scale 0.8-1.2)
    /// and an elastic deformation (alpha 10, sigma 15), boxes taken through the affine part. Off by
    /// default (MammoFM's measured runs flip only; see docs/detection.md).
    public var geometric = false
    /// Training patients kept, in (0, 1] (whole patients, seeded).
    public var fraction = 1.0
    /// Head initialisation, data order, flips and the patients of the fraction.
    public var seed: UInt64 = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case epochs, batchSize, learningRate, gradientClip, backbone, normalImages, flips, geometric, fraction, seed
    }

    /// Files written before `geometric` existed read as without it; it is written only when on, so
    /// their checkpoints' fingerprints stay valid.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        epochs = try c.decode(Int.self, forKey: .epochs)
        batchSize = try c.decode(Int.self, forKey: .batchSize)
        learningRate = try c.decode(Double.self, forKey: .learningRate)
        gradientClip = try c.decode(Double.self, forKey: .gradientClip)
        backbone = try c.decode(Backbone.self, forKey: .backbone)
        normalImages = try c.decode(NormalImages.self, forKey: .normalImages)
        flips = try c.decode(Bool.self, forKey: .flips)
        geometric = try c.decodeIfPresent(Bool.self, forKey: .geometric) ?? false
        fraction = try c.decode(Double.self, forKey: .fraction)
        seed = try c.decode(UInt64.self, forKey: .seed)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(epochs, forKey: .epochs)
        try c.encode(batchSize, forKey: .batchSize)
        try c.encode(learningRate, forKey: .learningRate)
        try c.encode(gradientClip, forKey: .gradientClip)
        try c.encode(backbone, forKey: .backbone)
        try c.encode(normalImages, forKey: .normalImages)
        try c.encode(flips, forKey: .flips)
        if geometric { try c.encode(geometric, forKey: .geometric) }
        try c.encode(fraction, forKey: .fraction)
        try c.encode(seed, forKey: .seed)
    }

    /// The augmenter of `geometric` (flips as `flips` says, the affine and elastic parts always).
    var geometricAugmenter: Augmenter {
        var augmenter = Augmenter()
        augmenter.horizontalFlip = flips ? 0.5 : 0
        augmenter.verticalFlip = flips ? 0.5 : 0
        augmenter.affine = 1
        augmenter.elastic = 1
        return augmenter
    }

    public func validate() throws {
        guard epochs >= 1, batchSize >= 1 else { throw InputError.badInput("epochs and batch size must be at least 1") }
        guard learningRate > 0, learningRate.isFinite, gradientClip > 0 else { throw InputError.badInput("the learning rate and the gradient clip must be positive") }
        guard fraction > 0, fraction <= 1 else { throw InputError.badInput("a data fraction must be in (0, 1], got \(fraction)") }
    }
}
