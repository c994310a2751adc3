import Foundation
import MammoModels
import MammoTraining
import Torch

/// Model input from preprocessed PNGs: each image read at the tower's input size, optionally
/// transformed (augmentation) as 1 x 1 x H x W, then normalised the reference's way; N x C x H x W.
enum ModelInput {
    static func batch(_ urls: [URL], image config: MammoClipConfig.ImageTower,
                      transform: ((Tensor) throws -> Tensor)? = nil) throws -> Tensor {
        try Tensor.cat(urls.map { url in
            var x = try PretrainingBatchBuilder.loadImage(url, height: config.inputHeight, width: config.inputWidth)
            if let transform { x = try transform(x) }
            return try ImageNormalization.reference(x, channels: config.efficientNet.inputChannels, mean: config.mean, std: config.std)
        }, dim: 0)
    }
}
