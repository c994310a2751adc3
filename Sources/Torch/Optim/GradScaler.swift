import CTorch

/// Dynamic loss scaling for float16 training (torch.amp.GradScaler): the loss is multiplied by a large
/// scale before backward so small gradients survive float16, the gradients are divided by it before
/// clipping and the optimiser step, and a step whose gradients overflowed is skipped while the scale
/// halves. After `growthInterval` clean steps the scale doubles.
public struct GradScaler: Codable, Equatable, Sendable {
    public var scale: Double
    public var growthFactor: Double
    public var backoffFactor: Double
    public var growthInterval: Int
    /// Clean steps since the scale last changed.
    public var growthTracker = 0

    public init(initialScale: Double = 65536, growthFactor: Double = 2, backoffFactor: Double = 0.5, growthInterval: Int = 2000) {
        scale = initialScale
        self.growthFactor = growthFactor
        self.backoffFactor = backoffFactor
        self.growthInterval = growthInterval
    }

    /// The loss to back-propagate.
    public func scaled(_ loss: Tensor) throws -> Tensor { try loss * scale }

    /// Divides the gradients of `parameters` by the scale; returns false when any is infinite or NaN
    /// (the caller then skips the optimiser step and calls `update(foundNonFinite: true)`).
    public func unscale(_ parameters: [Tensor]) throws -> Bool {
        let gradients = parameters.compactMap(\.grad)
        var nonFinite = false
        try withHandles(gradients) { handles in
            try check(ct_unscale_grads(handles, Int32(gradients.count), 1 / scale, &nonFinite), "unscale gradients")
        }
        return !nonFinite
    }

    /// Adjusts the scale after a step: back off on overflow, grow after a run of clean steps.
    public mutating func update(foundNonFinite: Bool) {
        if foundNonFinite {
            scale *= backoffFactor
            growthTracker = 0
        } else {
            growthTracker += 1
            if growthTracker == growthInterval {
                scale *= growthFactor
                growthTracker = 0
            }
        }
    }
}
