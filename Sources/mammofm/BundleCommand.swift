import ArgumentParser
import Foundation
import MammoExam

struct BundleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bundle",
        abstract: "Pack an encoder and its trained heads into one deployable folder, or inspect one.",
        subcommands: [BundleCreateCommand.self, BundleInspectCommand.self])
}

struct BundleCreateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Write a model bundle: the encoder, its heads and a manifest with every file's hash.",
        discussion: """
        --model is a converted model folder. Each --head is a head folder (head.json + head.safetensors) or the \
        results folder of `mammofm probe` or `mammofm finetune`, whose heads/ are all taken; a probe trained on \
        another encoder's features, a tower fine-tuned from another model, a head at another input size, or two \
        heads of one task are refused. Each --detector is a detector folder; it must read the model's preprocessing \
        at the model's input size, and two detectors of one finding are refused. --prompts names the zero-shot prompts analyses score \
        with (reference, ensemble or a YAML/JSON prompt file). The bundle's manifest.json records the MammoFM \
        version, input size, preprocessing profile, prompts, each head's calibration and operating points, \
        and the size and FNV-1a 64 hash of every file.
        """)

    @Option(help: "A converted model folder.") var model: String
    @Option(name: .customLong("head"), help: "A head folder, or a probe or finetune results folder (repeatable).") var heads: [String] = []
    @Option(help: "Zero-shot prompts: reference, ensemble or a prompt file.") var prompts = "reference"
    @Option(name: .customLong("detector"), help: "A detector folder (`mammofm train-detector` writes OUT/detector; repeatable).") var detectors: [String] = []
    @Option(help: ArgumentHelp("The bundle folder.", discussion: "A new or empty folder, or an earlier bundle, which is replaced whole; any other folder is refused."))
    var out: String
    @Flag(help: "Print the manifest as JSON.") var json = false

    func run() throws {
        var contents = ModelBundle.Contents(model: URL(fileURLWithPath: model))
        contents.heads = heads.map { URL(fileURLWithPath: $0) }
        contents.detectors = detectors.map { URL(fileURLWithPath: $0) }
        contents.prompts = prompts
        let manifest = try ModelBundle.create(contents, out: URL(fileURLWithPath: out))
        if json { try printJSON(manifest) } else { printManifest(manifest, folder: out, problems: []) }
    }
}

struct BundleInspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a bundle's manifest and check every file against its hash.",
        discussion: "Exits with status 1 when a file is missing or differs from the manifest.")

    @Argument(help: "The bundle folder.") var bundle: String
    @Flag(help: "Print the manifest as JSON.") var json = false

    func run() throws {
        let folder = URL(fileURLWithPath: bundle)
        let manifest = try ModelBundle.manifest(of: folder)
        let problems = ModelBundle.verify(folder, manifest: manifest)
        if json { try printJSON(manifest) } else { printManifest(manifest, folder: bundle, problems: problems) }
        if !problems.isEmpty {
            if json { problems.forEach { FileHandle.standardError.write(Data("damaged: \($0)\n".utf8)) } }
            throw ExitCode(1)
        }
    }
}

func printManifest(_ manifest: BundleManifest, folder: String, problems: [String]) {
    let m = manifest.model
    print("bundle \(folder): \(manifest.format) version \(manifest.version), MammoFM \(manifest.mammofmVersion), created \(manifest.created)")
    print("model: \(m.imageTower), text tower \(m.textLayers) layers, input \(m.inputWidth) x \(m.inputHeight) (width x height), \(m.preprocessing.rawValue) preprocessing, embedding \(m.embeddingDimension), weights \(m.weightsHash)")
    for head in manifest.heads {
        let decisions = head.decisions.map { d in
            "\(d.level.rawValue): " + (d.threshold.map { String(format: "threshold %.4f (%@)", $0, d.operatingPoint ?? "") } ?? "argmax")
                + String(format: ", %d validation cases", d.validationCases) + (d.validationAUROC.map { String(format: ", AUROC %.3f", $0) } ?? "")
        }
        print("head \(head.task) (\(head.kind); \(head.classes.joined(separator: " / "))): \(decisions.joined(separator: "; "))")
    }
    for detector in manifest.detectors ?? [] {
        let thresholds = detector.operatingThresholds.sorted { $0.key < $1.key }.map { String(format: "%@ from %.3f", $0.key, $0.value) }
        print("detector \(detector.name): input \(detector.inputWidth) x \(detector.inputHeight), reports \(thresholds.joined(separator: ", "))")
    }
    print("prompts: \(manifest.prompts.name) (\(manifest.prompts.prompts.keys.sorted().joined(separator: ", ")))")
    print("files: \(manifest.files.count), \(manifest.files.reduce(0) { $0 + $1.bytes }) bytes; " + (problems.isEmpty ? "all match their hashes" : "\(problems.count) damaged"))
    for problem in problems { print("damaged: \(problem)") }
}
