// swift-tools-version:6.1
// MammoFM: mammography vision-language foundation models, natively in Swift over libtorch.
//
// The tensor engine links libtorch. Which one is chosen at build time:
//   MAMMOFM_TORCH=pypi   (default) the libtorch of the pinned PyPI wheel, installed by `make setup`
//                        into the per-user cache (see scripts/torch-path.sh), or the torch folder
//                        named by MAMMOFM_LIBTORCH (any torch 2.x wheel or libtorch download).
//   MAMMOFM_TORCH=debian Debian's libtorch-dev (PyTorch 1.13, CPU only, C++17).
import PackageDescription
import Foundation

let environment = ProcessInfo.processInfo.environment
let backend = environment["MAMMOFM_TORCH"] ?? "pypi"

/// The torch folder (holding include/ and lib/) of the PyPI build, or nil when it cannot be found.
func pypiTorchRoot() -> String? {
    let fm = FileManager.default
    if let explicit = environment["MAMMOFM_LIBTORCH"], !explicit.isEmpty { return explicit }
    let cacheBase = environment["MAMMOFM_CACHE"]
        ?? ((environment["XDG_CACHE_HOME"] ?? (NSHomeDirectory() + "/.cache")) + "/mammofm")
    let venv = cacheBase + "/torch-2.15.0"
    guard let pythons = try? fm.contentsOfDirectory(atPath: venv + "/lib") else { return nil }
    for python in pythons.sorted() where python.hasPrefix("python") {
        let candidate = "\(venv)/lib/\(python)/site-packages/torch"
        if fm.fileExists(atPath: candidate + "/include/ATen/ATen.h") { return candidate }
    }
    return nil
}

var shimCxx: [CXXSetting] = [.unsafeFlags(["-Wno-deprecated-declarations"])]
var shimLinker: [LinkerSetting] = [.linkedLibrary("torch_cpu"), .linkedLibrary("c10")]
var cxxStandard: CXXLanguageStandard = .cxx20
var engineSwift: [SwiftSetting] = []

if backend == "debian" {
    cxxStandard = .cxx17
    engineSwift.append(.define("MAMMOFM_TORCH_DEBIAN"))
    shimCxx += [.define("MAMMOFM_TORCH_DEBIAN"), .define("MAMMOFM_LIBTORCH_PATH", to: "\"/usr\"")]
} else {
    let root = pypiTorchRoot() ?? "/nonexistent/run-make-setup-or-set-MAMMOFM_LIBTORCH"
    let lib = root + "/lib"
    shimCxx += [
        .define("MAMMOFM_TORCH_PYPI"),
        .define("MAMMOFM_LIBTORCH_PATH", to: "\"\(root)\""),
        .unsafeFlags(["-I\(root)/include", "-I\(root)/include/torch/csrc/api/include"]),
    ]
    shimLinker.append(.unsafeFlags(["-L\(lib)", "-Xlinker", "-rpath", "-Xlinker", lib]))
    // CUDA kernels live in libtorch_cuda, which nothing references by symbol: keep it linked so
    // that a GPU is usable where one exists (the linker otherwise drops it).
    let wantsCuda = environment["MAMMOFM_CUDA"] != "0"
    if wantsCuda && FileManager.default.fileExists(atPath: lib + "/libtorch_cuda.so") {
        shimCxx.append(.define("MAMMOFM_TORCH_CUDA_LINKED"))
        shimLinker.append(.unsafeFlags([
            "-Xlinker", "--no-as-needed", "-Xlinker", "-ltorch_cuda", "-Xlinker", "-lc10_cuda",
            "-Xlinker", "--as-needed",
        ]))
    }
}

let package = Package(
    name: "MammoFM",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "mammofm", targets: ["mammofm"]),
        .library(name: "Torch", targets: ["Torch"]),
        .library(name: "MammoModels", targets: ["MammoModels"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        // The server: HTTP (without the configuration-file trait, which `serve` does not use), logs, metrics, lifecycle.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .target(name: "CTorch", cxxSettings: shimCxx, linkerSettings: shimLinker),
        .target(name: "Torch", dependencies: ["CTorch", "CProcess"], swiftSettings: engineSwift),
        .target(name: "CPNG", linkerSettings: [.linkedLibrary("png")]),
        .target(name: "CProcess"),
        .target(name: "CDICOM", linkerSettings: [
            .linkedLibrary("gdcmMSFF"), .linkedLibrary("gdcmDSED"), .linkedLibrary("gdcmCommon"),
        ]),
        .target(name: "CDCMSR", linkerSettings: [
            .linkedLibrary("dcmsr"), .linkedLibrary("dcmdata"), .linkedLibrary("oflog"), .linkedLibrary("ofstd"),
        ]),
        .target(name: "MammoImaging", dependencies: ["CPNG", "CDICOM", "CDCMSR", "Torch"]),
        .target(name: "MammoText"),
        .target(name: "MammoData", dependencies: ["MammoImaging", "MammoText", "Torch", .product(name: "Yams", package: "Yams")]),
        .target(name: "MammoModels", dependencies: ["Torch", "MammoText"]),
        .target(name: "MammoSynth", dependencies: ["MammoImaging", "Torch"]),
        .target(name: "MammoEvaluation", dependencies: ["Torch", "MammoImaging", "MammoData"]),
        .target(name: "MammoTraining", dependencies: ["Torch", "MammoData", "MammoText", "MammoModels"]),
        .target(name: "MammoDownstream", dependencies: ["Torch", "MammoImaging", "MammoData", "MammoText", "MammoModels", "MammoEvaluation"]),
        .target(name: "MammoDetection", dependencies: ["Torch", "MammoImaging", "MammoModels", "MammoData", "MammoEvaluation"]),
        .target(name: "MammoExplain", dependencies: ["Torch", "MammoData", "MammoDetection", "MammoEvaluation", "MammoImaging", "MammoModels"]),
        .target(name: "MammoExam", dependencies: ["Torch", "MammoImaging", "MammoData", "MammoModels", "MammoEvaluation", "MammoDownstream", "MammoDetection"]),
        .target(name: "MammoServer", dependencies: [
            "MammoExam", "MammoImaging", "Torch", .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"), .product(name: "Logging", package: "swift-log"),
            .product(name: "Prometheus", package: "swift-prometheus"), .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .executableTarget(
            name: "mammofm",
            dependencies: ["Torch", "MammoImaging", "MammoData", "MammoModels", "MammoSynth", "MammoTraining", "MammoEvaluation", "MammoDownstream",
                           "MammoExam", "MammoServer", "MammoDetection", "MammoExplain", .product(name: "Logging", package: "swift-log"),
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "mammofm-bench", dependencies: ["Torch"], path: "benchmarks/engine/swift"),
        .executableTarget(name: "mammofm-embed-example", dependencies: ["Torch", "MammoModels"], path: "Examples/embed"),
        .executableTarget(name: "mammofm-zeroshot-example", dependencies: ["Torch", "MammoData", "MammoDownstream"], path: "Examples/zeroshot"),
        .executableTarget(name: "mammofm-train-bench", dependencies: ["Torch", "MammoModels", "MammoTraining"], path: "benchmarks/pretrain/swift"),
        .executableTarget(name: "mammofm-fuzz", dependencies: ["Torch", "MammoImaging", "MammoData", "MammoSynth", "MammoTraining", "MammoEvaluation",
                                                             "MammoModels", "MammoDownstream", "MammoServer"], path: "fuzz/swift"),
        .executableTarget(name: "mammofm-model-bench", dependencies: ["Torch", "MammoModels", "MammoDetection"], path: "benchmarks/models/swift"),
        .executableTarget(name: "mammofm-model-folder", dependencies: ["Torch", "MammoModels", "MammoText", "MammoDownstream"], path: "benchmarks/exam/swift"),
        .target(name: "TestSupport", dependencies: ["Torch", "MammoImaging", "MammoSynth", "MammoData", "MammoDownstream", "MammoExam", "MammoModels", "MammoDetection",
                                                   "MammoText"], path: "Tests/Support"),
        .testTarget(name: "TorchTests", dependencies: ["Torch", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "MammoTextTests", dependencies: ["MammoText", "Torch"], exclude: ["Fixtures"]),
        .testTarget(name: "MammoImagingTests", dependencies: ["MammoImaging", "MammoSynth", "Torch"], exclude: ["Fixtures"]),
        .testTarget(name: "MammoCLITests", dependencies: ["MammoModels", "MammoImaging", "MammoText", "MammoTraining", "Torch"], exclude: ["Fixtures"]),
        .testTarget(name: "MammoTrainingTests", dependencies: ["MammoTraining", "MammoData", "MammoModels", "MammoText", "MammoImaging", "MammoSynth", "Torch", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "MammoEvaluationTests", dependencies: ["MammoEvaluation", "MammoData"], exclude: ["Fixtures"]),
        .testTarget(name: "MammoDownstreamTests", dependencies: ["MammoDownstream", "MammoData", "MammoEvaluation", "MammoModels", "MammoText", "MammoImaging",
                                                               "MammoSynth", "MammoTraining", "Torch", "TestSupport"]),
        .testTarget(name: "MammoDetectionTests", dependencies: ["MammoDetection", "MammoData", "MammoEvaluation", "MammoImaging", "MammoModels", "MammoText", "Torch", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "MammoExplainTests", dependencies: ["MammoExplain", "MammoData", "MammoDetection", "MammoEvaluation", "MammoModels", "MammoText", "Torch", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "MammoExamTests", dependencies: ["MammoExam", "MammoDetection", "MammoDownstream", "MammoData", "MammoEvaluation", "MammoImaging", "MammoModels",
                                                        "MammoText", "Torch", "TestSupport"]),
        .testTarget(name: "MammoServerTests", dependencies: ["MammoServer", "MammoExam", "MammoImaging", "Torch", "TestSupport",
                                                          .product(name: "HTTPTypes", package: "swift-http-types"),
                                                          .product(name: "HummingbirdTesting", package: "hummingbird"),
                                                          .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "MammoSynthTests", dependencies: ["MammoSynth", "MammoImaging", "MammoText"]),
        .testTarget(name: "MammoModelsTests", dependencies: ["MammoModels", "Torch", "MammoText"], exclude: ["Fixtures"]),
    ],
    cxxLanguageStandard: cxxStandard
)
