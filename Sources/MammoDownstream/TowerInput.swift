import Foundation
import MammoData
import MammoModels
import Torch

extension ModelInput {
    /// Images at the tower's input size, optionally transformed (augmentation) as 1 x 1 x H x W, then
    /// normalised the reference's way with the tower's mean and std; N x C x H x W.
    public static func batch(_ urls: [URL], image config: MammoClipConfig.ImageTower,
                      transform: ((Tensor) throws -> Tensor)? = nil) throws -> Tensor {
        try batch(urls, height: config.inputHeight, width: config.inputWidth) { image in
            let x = try transform?(image) ?? image
            return try ImageNormalization.reference(x, channels: config.efficientNet.inputChannels, mean: config.mean, std: config.std)
        }
    }
}
