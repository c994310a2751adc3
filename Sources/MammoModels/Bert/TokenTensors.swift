import MammoText
import Torch

/// A padded batch of encodings as the N x T int64 tensors BERT takes.
public struct TokenTensors: @unchecked Sendable {
    public let ids: Tensor
    public let attentionMask: Tensor
    public let typeIds: Tensor

    /// `encodings` must share one length (pad them first).
    public init(_ encodings: [Encoding], device: Device = .cpu) throws {
        let shape = [encodings.count, encodings.first?.ids.count ?? 0]
        func tensor(_ values: KeyPath<Encoding, [Int]>) throws -> Tensor {
            try Tensor(encodings.flatMap { $0[keyPath: values] }.map(Int64.init), shape: shape).to(device: device)
        }
        ids = try tensor(\.ids)
        attentionMask = try tensor(\.attentionMask)
        typeIds = try tensor(\.typeIds)
    }

    init(ids: Tensor, attentionMask: Tensor, typeIds: Tensor) {
        self.ids = ids
        self.attentionMask = attentionMask
        self.typeIds = typeIds
    }

    /// The same tokens on `device`.
    public func to(device: Device) throws -> TokenTensors {
        TokenTensors(ids: try ids.to(device: device), attentionMask: try attentionMask.to(device: device), typeIds: try typeIds.to(device: device))
    }
}
