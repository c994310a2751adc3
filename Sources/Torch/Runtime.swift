import CTorch

/// Process-wide facts and settings of the linked libtorch.
public enum Torch {
    static func string(_ fill: (UnsafeMutablePointer<CChar>?, Int) -> Int) -> String {
        let needed = fill(nil, 0)
        var buffer = [CChar](repeating: 0, count: needed + 1)
        _ = fill(&buffer, buffer.count)
        return String(decoding: buffer.prefix(needed).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The libtorch version, e.g. "2.15.0".
    public static var version: String { string { ct_version($0, $1) } }

    /// libtorch's own build summary (compiler, BLAS, CPU capability, CUDA).
    public static var buildConfiguration: String { string { ct_build_config($0, $1) } }

    /// How the engine shim was compiled (C++ standard, engine build, CUDA linkage, libtorch folder).
    public static var shimBuild: String { string { ct_shim_build($0, $1) } }

    /// libtorch's parallelism summary (OpenMP / MKL thread counts).
    public static var parallelInfo: String { string { ct_parallel_info($0, $1) } }

    /// Threads used inside one operation. libtorch defaults to half the cores on some machines;
    /// MammoFM sets this explicitly at start-up.
    public static var threadCount: Int {
        get { Int(ct_get_num_threads()) }
        set { ct_set_num_threads(Int32(Swift.max(1, newValue))) }
    }

    /// Makes the calling thread use `threadCount` threads inside operations. OpenMP keeps the count
    /// per thread, so worker threads (GCD, Thread) must call this before running tensor operations,
    /// or each of them starts a team of every core.
    public static func initializeThread() { ct_init_thread() }

    /// Seeds the global random generators (CPU and CUDA).
    public static func manualSeed(_ seed: UInt64) { ct_manual_seed(seed) }

    public static var isCUDAAvailable: Bool { ct_cuda_is_available() }
    public static var cudaDeviceCount: Int { Int(ct_cuda_device_count()) }

    /// Throws unless tensors can be computed on `device` here (CUDA needs a GPU and a CUDA build).
    public static func checkAvailable(_ device: Device) throws {
        guard case .cuda(let index) = device else { return }
        guard isCUDAAvailable else {
            throw TorchError.invalidArgument("--device \(device): this build or machine has no usable CUDA GPU (see `mammofm doctor`)")
        }
        guard index < cudaDeviceCount else {
            throw TorchError.invalidArgument("--device \(device): this machine has \(cudaDeviceCount) CUDA GPU(s), numbered from 0")
        }
    }

    /// Where the linked libtorch came from, recorded at build time.
    public static var backend: String {
        #if MAMMOFM_TORCH_DEBIAN
        return "debian"
        #else
        return "pypi"
        #endif
    }
}
