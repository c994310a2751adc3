import Foundation
import Torch

/// Mammo-FActOR's mapper: each channel of the frozen image tower's last feature map is a region,
/// described by its flattened spatial map (H x W values); a head per attribute,
/// Linear(HW, HW) - ReLU - Linear(HW, D), maps every region into the joint image-text space. With
/// `shared` one head serves every attribute, so any sentence's embedding can be scored (the heatmap
/// of a free sentence). Keys as the reference notebook's: `pool.<a>.0.*`, `pool.<a>.2.*`.
///
/// The reference notebook concatenates its heads' outputs along the channel axis and then views them
/// as (image x channel, attribute, D), which pairs channel c's slot for attribute a with another
/// channel's output of another head; MammoFM pairs channel c with head a, as the paper describes
/// (docs/explain.md; the parity test shows both).
public final class RegionMapper: Module {
    public let spatialSize: Int
    public let embeddingDimension: Int
    public let heads: ModuleList<Sequential>

    /// `spatialSize` is the feature map's H x W, fixed by training: another input size gives another
    /// map and is refused.
    public init(spatialSize: Int, embeddingDimension: Int, heads count: Int) throws {
        guard spatialSize > 0, embeddingDimension > 0, count > 0 else {
            throw TorchError.invalidArgument("a region mapper needs a positive spatial size, dimension and head count")
        }
        self.spatialSize = spatialSize
        self.embeddingDimension = embeddingDimension
        heads = ModuleList(try (0..<count).map { _ in
            Sequential([try Linear(spatialSize, spatialSize), Activation(.relu), try Linear(spatialSize, embeddingDimension)])
        })
        super.init()
        register("pool", heads)
    }

    /// Region embeddings, not normalised: N x C x heads x D for feature maps N x C x H x W.
    public func forward(features: Tensor) throws -> Tensor {
        guard features.rank == 4, features.size(2) * features.size(3) == spatialSize else {
            throw TorchError.invalidArgument("the mapper was trained on feature maps of \(spatialSize) positions; these are \(features.shape) "
                                             + "(the image tower's input size must be the one the mapper was trained at)")
        }
        let flat = try features.reshape([features.size(0), features.size(1), spatialSize])
        return try Tensor.stack(heads.modules.map { try $0(flat) }, dim: 2)
    }
}
