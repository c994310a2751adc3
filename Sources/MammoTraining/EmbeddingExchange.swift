import Torch

/// The all-gather of embeddings, with gradient, that a contrastive loss needs under data parallelism.
///
/// Each rank scores its own rows against every rank's columns. The loss is computed on leaves (a
/// detached copy of the local embeddings for the rows, the gathered embeddings for the columns), so
/// its backward pass stops there; `backward()` then sums the column gradients over the ranks (one
/// all-reduce), adds each rank's own block to its row gradient and back-propagates that total into the
/// towers. After the usual gradient average over the ranks, every rank holds the gradient of the mean
/// loss over the whole gathered batch, as one process with that batch would.
///
/// Use: `reset()` before a forward pass; pass `local(_:)` of each embedding to the loss with
/// `gather(_:)` as its gather function; after `loss.backward()`, call `backward()`. Every rank must
/// exchange the same number of embeddings of the same shape in the same order.
public final class EmbeddingExchange {
    public let group: ProcessGroup
    private var exchanged: [(embedding: Tensor, local: Tensor, gathered: Tensor?)] = []

    public init(group: ProcessGroup) { self.group = group }

    /// Forgets the previous forward pass.
    public func reset() { exchanged.removeAll() }

    /// The loss's copy of `embedding`: cut from the towers' graph, a leaf that collects the row
    /// gradient; half-precision embeddings (autocast) become float32, which every Gloo build reduces.
    public func local(_ embedding: Tensor) throws -> Tensor {
        let dtype: DType = [.float16, .bfloat16].contains(embedding.dtype) ? .float32 : embedding.dtype
        let leaf = try embedding.detach().to(dtype).requiresGrad(Autograd.isEnabled)
        exchanged.append((embedding, leaf, nil))
        return leaf
    }

    /// Every rank's copy of `local` (returned by `local(_:)` on this rank) concatenated in rank order:
    /// the loss's gather function. The result is a leaf that collects the column gradient.
    public func gather(_ local: Tensor) throws -> Tensor {
        guard let index = exchanged.firstIndex(where: { $0.local === local }) else {
            throw TorchError.invalidArgument("embedding exchange: gather takes a tensor returned by local(_:)")
        }
        let gathered = try group.allGather(local.detach()).requiresGrad(Autograd.isEnabled)
        exchanged[index].gathered = gathered
        return gathered
    }

    /// Completes the backward pass of the loss into the towers (see the type's description).
    public func backward() throws {
        let rows = exchanged.filter { $0.gathered != nil }
        guard !rows.isEmpty else { return }
        let columnGrads = try rows.map { item -> Tensor in
            try item.gathered!.grad ?? Tensor.zeros(item.gathered!.shape, device: item.gathered!.device)
        }
        var surrogate: Tensor? = nil
        for (item, summed) in zip(rows, try group.allReduceSum(columnGrads)) {
            let batch = item.local.size(0)
            var total = try summed.narrow(dim: 0, start: group.rank * batch, length: batch)
            if let rowGrad = item.local.grad { total = try total + rowGrad }
            // d/dθ sum(e * g) = g de/dθ: one backward pass through the towers for all embeddings.
            let term = try (item.embedding.to(total.dtype) * total).sum()
            surrogate = try surrogate.map { try $0 + term } ?? term
        }
        try surrogate!.backward()
        reset()
    }
}
