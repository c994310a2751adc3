import Foundation
import MammoData
import MammoModels
import Torch

/// The frozen image tower's last feature maps (N x C x h x w) of preprocessed PNGs, computed once
/// (inference mode, in batches) and kept on the CPU: Mammo-FActOR trains on them many times over.
public enum FeatureMaps {
    /// Feature maps of `urls` at the model's input size, `progress` called with the images done.
    public static func compute(_ urls: [URL], model: MammoClip, device: Device = .cpu, batchSize: Int = 16,
                               progress: ((Int) -> Void)? = nil) throws -> Tensor {
        let image = model.config.image
        var maps: [Tensor] = []
        for start in stride(from: 0, to: urls.count, by: batchSize) {
            let chunk = Array(urls[start..<min(urls.count, start + batchSize)])
            let batch = try ModelInput.batch(chunk, height: image.inputHeight, width: image.inputWidth) { x in
                try ImageNormalization.reference(x, channels: image.efficientNet.inputChannels, mean: image.mean, std: image.std)
            }
            maps.append(try Autograd.inferenceMode {
                try model.imageEncoder.extractFeatures(batch.to(device: device)).features.to(.float32, device: .cpu)
            })
            progress?(start + chunk.count)
        }
        guard !maps.isEmpty else { throw ModelError.invalidInput("no images") }
        return try maps.count == 1 ? maps[0] : Tensor.cat(maps, dim: 0)
    }
}
