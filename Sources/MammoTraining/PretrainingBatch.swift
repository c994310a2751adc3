import Foundation
import MammoData
import MammoModels
import MammoText
import Torch

/// A batch of breast samples: two images and two tokenised texts per sample.
public struct PretrainingBatch: @unchecked Sendable {
    public var images1: Tensor
    public var images2: Tensor
    public var texts1: TokenTensors
    public var texts2: TokenTensors
    /// What each text states (see `DrawnPair`), for label-aware targets.
    public var keys1: [String] = []
    public var keys2: [String] = []
    public var count: Int { images1.size(0) }

    /// The same batch on `device` (itself when already there).
    public func to(device: Device) throws -> PretrainingBatch {
        guard images1.device != device else { return self }
        var moved = self
        moved.images1 = try images1.to(device: device)
        moved.images2 = try images2.to(device: device)
        moved.texts1 = try texts1.to(device: device)
        moved.texts2 = try texts2.to(device: device)
        return moved
    }
}

/// Turns dataset samples into model inputs: PNG -> float image, resized to the model's input size,
/// augmented (training), normalised as the reference does; texts tokenised and padded to the model's
/// maximum length.
public struct PretrainingBatchBuilder: @unchecked Sendable {
    public let dataset: ImageTextDataset
    public let tokenizer: WordPieceTokenizer
    public let inputHeight: Int, inputWidth: Int, channels: Int, maxTextLength: Int
    public let augmenter: Augmenter?
    public let seed: UInt64

    public init(dataset: ImageTextDataset, tokenizer: WordPieceTokenizer, inputHeight: Int, inputWidth: Int, channels: Int,
                maxTextLength: Int, augmenter: Augmenter?, seed: UInt64) {
        self.dataset = dataset
        self.tokenizer = tokenizer
        self.inputHeight = inputHeight
        self.inputWidth = inputWidth
        self.channels = channels
        self.maxTextLength = maxTextLength
        self.augmenter = augmenter
        self.seed = seed
    }

    /// The sample order of an epoch: a seeded permutation, or with several sources, draws by their
    /// weights; the identity without training.
    public func order(epoch: Int) -> [Int] {
        var order = Array(dataset.samples.indices)
        guard augmenter != nil else { return order }
        var rng = SeededRandom(seed: seed, salt: 12, UInt64(epoch))
        if dataset.sources.count > 1 {
            let starts = dataset.sources.indices.map { i in dataset.sources[..<i].reduce(0) { $0 + $1.count } }
            order = order.map { _ in
                let source = rng.weighted(dataset.sources.map(\.weight))
                return starts[source] + rng.integer(0...(dataset.sources[source].count - 1))
            }
        } else {
            rng.shuffle(&order)
        }
        return order
    }

    /// One image as 1 x 1 x H x W float at the model's input size.
    func load(_ url: URL) throws -> Tensor { try ModelInput.loadImage(url, height: inputHeight, width: inputWidth) }

    /// What the texts of samples `indices` drawn for `epoch` state (the keys `batch` gives them), without
    /// loading images: a data-parallel rank needs the keys of the whole global batch.
    public func keys(_ indices: [Int], epoch: Int) -> (first: [String], second: [String]) {
        var first: [String] = [], second: [String] = []
        for index in indices {
            var rng = SeededRandom(seed: seed, salt: 11, UInt64(epoch), UInt64(index))
            let pair = dataset.samples[index].drawWithKeys(&rng, training: augmenter != nil)
            first.append(pair.key1)
            second.append(pair.key2)
        }
        return (first, second)
    }

    /// Samples `indices` of the dataset, drawn for `epoch`.
    public func batch(_ indices: [Int], epoch: Int) throws -> PretrainingBatch {
        var first: [Tensor] = [], second: [Tensor] = [], texts1: [String] = [], texts2: [String] = []
        var keys1: [String] = [], keys2: [String] = []
        for index in indices {
            var rng = SeededRandom(seed: seed, salt: 11, UInt64(epoch), UInt64(index))
            let pair = dataset.samples[index].drawWithKeys(&rng, training: augmenter != nil)
            let (a, b, t1, t2) = (pair.image1, pair.image2, pair.text1, pair.text2)
            keys1.append(pair.key1)
            keys2.append(pair.key2)
            for (url, list) in [(a, 0), (b, 1)] {
                var x = try load(url)
                if let augmenter {
                    let draw = augmenter.draw(&rng, width: inputWidth, height: inputHeight)
                    x = try augmenter.apply(draw, to: x)
                }
                x = try ImageNormalization.reference(x, channels: channels)
                if list == 0 { first.append(x) } else { second.append(x) }
            }
            texts1.append(t1)
            texts2.append(t2)
        }
        let padding = Padding.maxLength(maxTextLength)
        return PretrainingBatch(images1: try Tensor.cat(first, dim: 0), images2: try Tensor.cat(second, dim: 0),
                                texts1: try TokenTensors(tokenizer.encode(batch: texts1, maxLength: maxTextLength, padding: padding)),
                                texts2: try TokenTensors(tokenizer.encode(batch: texts2, maxLength: maxTextLength, padding: padding)),
                                keys1: keys1, keys2: keys2)
    }
}
