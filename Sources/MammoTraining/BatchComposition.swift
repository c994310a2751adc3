import Torch
import MammoData

/// What the breasts of a batch can be made to share.
public enum BatchAttribute: String, ConfigChoice {
    case laterality, density
}

/// Batches made of breasts that share attributes (laterality, breast density). In a mixed batch the
/// contrastive task is largely solved by such global cues, which every report states; within a
/// batch of left, heterogeneously dense breasts only the findings tell the reports apart.
public enum BatchComposition {
    /// The key of a sample: its values of `attributes`, "?" where unknown.
    public static func key(_ sample: BreastImageText, by attributes: [BatchAttribute]) -> String {
        attributes.map { attribute -> String in
            switch attribute {
            case .laterality: return sample.laterality.isEmpty ? "?" : sample.laterality
            case .density: return sample.density ?? "?"
            }
        }.joined(separator: "/")
    }

    /// `order` rearranged into batches of `batchSize` consecutive samples that share a key: each
    /// key's samples (in their order) are cut into full batches, the remainders pooled and cut
    /// into mixed batches, and the batches shuffled. Same samples, same count; deterministic in `rng`.
    public static func grouped(_ order: [Int], batchSize: Int, key: (Int) -> String, rng: inout SeededRandom) -> [Int] {
        guard batchSize > 1 else { return order }
        var buckets: [String: [Int]] = [:], keys: [String] = []
        for index in order {
            let k = key(index)
            if buckets[k] == nil { keys.append(k) }
            buckets[k, default: []].append(index)
        }
        var batches: [[Int]] = [], remainder: [Int] = []
        for k in keys {
            let items = buckets[k]!
            let full = items.count / batchSize * batchSize
            batches += stride(from: 0, to: full, by: batchSize).map { Array(items[$0..<($0 + batchSize)]) }
            remainder += items[full...]
        }
        batches += stride(from: 0, to: remainder.count, by: batchSize).map { Array(remainder[$0..<min($0 + batchSize, remainder.count)]) }
        // The one short batch (if any) stays last, where the trainer drops it.
        let short = batches.last.map { $0.count < batchSize } ?? false ? batches.removeLast() : []
        rng.shuffle(&batches)
        return batches.flatMap { $0 } + short
    }
}
