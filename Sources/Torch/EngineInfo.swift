import Foundation

/// What the linked libtorch is and how it will run here: the facts `mammofm doctor` prints.
public struct EngineInfo: Codable, Sendable {
    public var libtorchVersion: String
    /// "pypi" or "debian", chosen at build time.
    public var backend: String
    /// How the engine was compiled: C++ standard, engine build, CUDA linkage, libtorch folder.
    public var buildFlags: String
    /// libtorch's own build summary (compiler, BLAS, CPU capability, CUDA version, build flags).
    public var libtorchConfiguration: String
    /// The libtorch_cpu library actually loaded by this process.
    public var libraryPath: String?
    public var threads: Int
    public var cores: Int
    /// The BLAS libtorch uses ("mkl", "openblas", "reference", ...).
    public var blas: String
    /// Vector instructions libtorch dispatches to (e.g. "AVX2", "AVX512").
    public var cpuCapability: String?
    public var cudaAvailable: Bool
    public var cudaDevices: Int
    /// Whether c10d process groups over Gloo (data-parallel training) are built in.
    public var glooAvailable: Bool
    public var warnings: [String]

    /// Inspects the running process.
    public static func current() -> EngineInfo {
        let config = Torch.buildConfiguration
        let maps = FileHandle(forReadingAtPath: "/proc/self/maps").flatMap { try? $0.readToEnd() }
            .map { String(decoding: $0, as: UTF8.self) } ?? ""
        let loaded = Set(maps.split(separator: "\n").compactMap { line -> String? in
            guard let slash = line.firstIndex(of: "/") else { return nil }
            return String(line[slash...])
        })
        let blas = detectBLAS(config: config, loadedLibraries: loaded)
        var warnings: [String] = []
        if blas == "reference" {
            warnings.append("libtorch is using the reference BLAS (about 25x slower matrix products): install libopenblas0-openmp")
        }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        return EngineInfo(
            libtorchVersion: Torch.version, backend: Torch.backend, buildFlags: Torch.shimBuild, libtorchConfiguration: config,
            libraryPath: loaded.first { $0.hasSuffix("/libtorch_cpu.so") || $0.contains("/libtorch_cpu.so.") },
            threads: Torch.threadCount, cores: cores, blas: blas,
            cpuCapability: value(after: "CPU capability usage: ", in: config),
            cudaAvailable: Torch.isCUDAAvailable, cudaDevices: Torch.cudaDeviceCount,
            glooAvailable: RendezvousStore.isAvailable, warnings: warnings)
    }

    static func value(after marker: String, in text: String) -> String? {
        guard let range = text.range(of: marker) else { return nil }
        return String(text[range.upperBound...].prefix { $0 != "\n" && $0 != "," }).trimmingCharacters(in: .whitespaces)
    }

    /// MKL and OpenBLAS announce themselves in the build summary or as loaded libraries; Debian's
    /// libtorch links libblas.so.3, which is the reference BLAS unless an optimised one is installed
    /// as the alternative.
    static func detectBLAS(config: String, loadedLibraries: Set<String>) -> String {
        if let info = value(after: "BLAS_INFO=", in: config), info != "open" && info != "generic" { return info }
        if loadedLibraries.contains(where: { $0.contains("mkl") }) { return "mkl" }
        if loadedLibraries.contains(where: { $0.contains("openblas") }) { return "openblas" }
        if loadedLibraries.contains(where: { $0.contains("blis") }) { return "blis" }
        if loadedLibraries.contains(where: { $0.hasSuffix("/libblas.so.3") || $0.contains("/blas/libblas.so") }) { return "reference" }
        return value(after: "BLAS_INFO=", in: config) ?? "unknown"
    }
}
