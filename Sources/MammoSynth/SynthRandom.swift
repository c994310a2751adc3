import Torch

/// The cohort generator's random numbers: every patient and every purpose (plan, texture, noise,
/// lesions, text) gets its own stream derived from the cohort seed, so the output does not depend on
/// the number of jobs or the order they run in.
public typealias SynthRandom = SeededRandom

extension SeededRandom {
    /// Purpose codes for derived streams.
    public enum Purpose: UInt64 { case plan = 1, texture, noise, lesion, text, paraphrase, split, uid }

    public init(seed: UInt64, purpose: Purpose, _ labels: UInt64...) { self.init(seed: seed, salt: purpose.rawValue, labels) }
}
