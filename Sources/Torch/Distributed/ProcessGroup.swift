import CTorch

/// Where the ranks of a distributed run meet: a key-value store that c10d process groups use to
/// exchange addresses.
public final class RendezvousStore: @unchecked Sendable {
    let handle: ct_store

    private init(handle: ct_store) { self.handle = handle }

    deinit { ct_store_free(handle) }

    /// Whether this engine build can run Gloo process groups (it needs the Gloo headers at build time).
    public static var isAvailable: Bool { ct_distributed_available() }

    /// A store in memory, for ranks that are threads of one process.
    public static func inProcess() throws -> RendezvousStore {
        var out: ct_store?
        try check(ct_store_in_process(&out), "in-process rendezvous store")
        return RendezvousStore(handle: out!)
    }

    /// A TCP store: rank 0 serves on `port` (`isServer`) and waits for the others, which connect to
    /// `host`:`port`. Throws when the peers do not meet within `timeout` seconds. The server listens
    /// on `listenHost` only (default: `host`, so a run on one machine with host 127.0.0.1 is not
    /// reachable from the network); nil listens on every interface. With Debian's libtorch 1.13,
    /// which cannot be given a listening socket, the server always listens on every interface.
    public static func tcp(host: String, port: Int, worldSize: Int, isServer: Bool, timeout: Double = 300,
                           listenHost: String?? = .none) throws -> RendezvousStore {
        guard (1...65535).contains(port), worldSize >= 1, timeout > 0 else {
            throw TorchError.invalidArgument("TCP store needs a port in 1...65535, a world size >= 1 and a positive timeout; got port \(port), world size \(worldSize), timeout \(timeout)")
        }
        var out: ct_store?
        #if MAMMOFM_TORCH_DEBIAN
        let listen: String? = nil
        #else
        let listen: String? = listenHost ?? host
        #endif
        try check(ct_store_tcp(host, Int32(port), Int32(worldSize), isServer, timeout, listen, &out), "TCP rendezvous store at \(host):\(port)")
        return RendezvousStore(handle: out!)
    }
}

/// A c10d process group over Gloo: the collectives of data-parallel training (gradient all-reduce,
/// embedding all-gather, parameter broadcast) between `size` ranks, run by libtorch itself.
///
/// Every rank constructs its group with the same store and size and its own rank; construction
/// returns once all ranks have joined. Collectives must be called by every rank in the same order.
public final class ProcessGroup: @unchecked Sendable {
    let handle: ct_group
    /// Keeps the store alive as long as the group uses it.
    private let store: RendezvousStore
    public let rank: Int
    public let size: Int

    /// Joins the group as `rank` of `size`. `interfaceHost` is the address Gloo binds to (nil resolves
    /// this machine's hostname); `timeout` bounds every collective, in seconds.
    public init(store: RendezvousStore, rank: Int, size: Int, interfaceHost: String? = nil, timeout: Double = 300) throws {
        guard size >= 1, (0..<size).contains(rank), timeout > 0 else {
            throw TorchError.invalidArgument("process group needs 0 <= rank < size and a positive timeout; got rank \(rank) of \(size), timeout \(timeout)")
        }
        var out: ct_group?
        let status: ct_status? = if let interfaceHost {
            ct_group_gloo(store.handle, Int32(rank), Int32(size), interfaceHost, timeout, &out)
        } else {
            ct_group_gloo(store.handle, Int32(rank), Int32(size), nil, timeout, &out)
        }
        try check(status, "Gloo process group (rank \(rank) of \(size))")
        self.handle = out!
        self.store = store
        self.rank = rank
        self.size = size
    }

    deinit { ct_group_free(handle) }

    /// Replaces `tensor`, in place, by its sum over the ranks.
    public func allReduceSum(_ tensor: Tensor) throws {
        try check(ct_group_all_reduce_sum(handle, tensor.handle), "all-reduce \(tensor.shape) on rank \(rank)")
    }

    /// Every rank's `tensor` concatenated along dimension 0 in rank order; the shapes must agree.
    /// Outside autograd: the result has no gradient path to the ranks' inputs.
    public func allGather(_ tensor: Tensor) throws -> Tensor {
        try produce("all-gather \(tensor.shape) on rank \(rank)") { ct_group_all_gather(handle, tensor.handle, $0) }
    }

    /// Replaces `tensor`, in place, by rank `root`'s.
    public func broadcast(_ tensor: Tensor, from root: Int) throws {
        guard (0..<size).contains(root) else { throw TorchError.invalidArgument("broadcast root \(root) is not a rank of \(size)") }
        try check(ct_group_broadcast(handle, tensor.handle, Int32(root)), "broadcast \(tensor.shape) from rank \(root)")
    }

    /// Returns once every rank has reached it.
    public func barrier() throws {
        try check(ct_group_barrier(handle), "barrier on rank \(rank)")
    }
}

extension ProcessGroup {
    /// Each tensor's sum over the ranks, times `factor`, in one all-reduce of the tensors flattened
    /// together; the results have the inputs' shapes (views of one buffer), the inputs are unchanged.
    /// Every rank must pass tensors of the same shapes in the same order.
    public func allReduceSum(_ tensors: [Tensor], scaledBy factor: Double = 1) throws -> [Tensor] {
        guard !tensors.isEmpty else { return [] }
        let flat = try Tensor.cat(tensors.map { try $0.reshape([-1]) })
        try allReduceSum(flat)
        if factor != 1 { try flat.mul_(factor) }
        var offset = 0
        return try tensors.map { tensor in
            defer { offset += tensor.elementCount }
            return try flat.narrow(dim: 0, start: offset, length: tensor.elementCount).reshape(tensor.shape)
        }
    }

    /// Data parallelism's gradient step: replaces each tensor's gradient by its mean over the ranks, in
    /// one all-reduce (tensors without a gradient are skipped; every rank must pass the same tensors,
    /// and the same ones must have gradients).
    public func averageGradients(of tensors: [Tensor]) throws {
        let grads = tensors.compactMap(\.grad)
        guard !grads.isEmpty, size > 1 else { return }
        for (grad, mean) in zip(grads, try allReduceSum(grads, scaledBy: 1 / Double(size))) { try grad.copy_(mean) }
    }
}
