import ArgumentParser
import Foundation
import MammoTraining
import Torch

struct PretrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pretrain",
        abstract: "Pretrain the dual encoder with the Mammo-CLIP multi-view contrastive loss.",
        discussion: """
        Reads a YAML configuration (configs/pretrain/*.yaml) and `--set section.key=value` overrides. \
        Writes OUTPUT/metrics.jsonl, OUTPUT/checkpoints/, OUTPUT/best and OUTPUT/final (converted model \
        folders that `embed` reads), OUTPUT/tokenizer and OUTPUT/training.html. Started again with the same \
        configuration, a run continues from its latest checkpoint and ends with the same weights as an \
        uninterrupted one. OUTPUT must be new, empty or a MammoFM pretraining run (of the same configuration, to \
        resume); any other folder is refused, never overwritten. best/ and final/ are written beside, flushed and \
        swapped in whole.

        Data parallel: `--nproc-per-node N` trains on N processes of this machine (each takes \
        training.batch_size samples of a global batch N times as large; gradients and embeddings are \
        exchanged through a Gloo process group). Processes started by torchrun or a cluster script \
        join from the environment (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT). Rank 0 writes the files.
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "The YAML configuration.") var config: String?
    @Option(name: .customLong("set"), help: "Override a key: --set training.batch_size=16 (repeatable).") var overrides: [String] = []
    @OptionGroup(title: "Data parallel") var launch: LaunchOptions

    func run() throws {
        try global.apply()
        let settings = try PretrainConfig.load(yaml: config.map { URL(fileURLWithPath: $0) }, overrides: overrides)
        if let plan = launch.plan {
            // The cores are shared: each rank gets its part unless told otherwise.
            let threads = global.threads ?? settings.training.threads ?? max(1, ProcessInfo.processInfo.activeProcessorCount / plan.processesPerNode)
            let arguments = ["pretrain", "--threads", String(threads)] + global.deviceArguments + (config.map { ["--config", $0] } ?? [])
                + overrides.flatMap { ["--set", $0] }
            return try RankLauncher.run(arguments: arguments, plan: plan)
        }
        if let threads = settings.training.threads, global.threads == nil { Torch.threadCount = threads }
        if let line = try PretrainingJob.run(settings, device: global.device) { print(line) }
    }
}

/// `--nproc-per-node` and friends, as torchrun spells them.
struct LaunchOptions: ParsableArguments {
    @Option(help: "Start this many data-parallel training processes on this machine (Gloo process group).")
    var nprocPerNode: Int?
    @Option(help: "Machines taking part (with --nproc-per-node).") var nnodes = 1
    @Option(help: "This machine's number, 0..<nnodes (with --nproc-per-node).") var nodeRank = 0
    @Option(help: "Address of node 0, where the ranks meet (default 127.0.0.1 on one machine).") var masterAddr: String?
    @Option(help: "TCP port on node 0 where the ranks meet (default: a free port on one machine).") var masterPort: Int?

    var plan: LaunchPlan? {
        nprocPerNode.map { LaunchPlan(processesPerNode: $0, nodes: nnodes, nodeRank: nodeRank, masterAddress: masterAddr, masterPort: masterPort) }
    }

    func validate() throws {
        if nprocPerNode == nil, nnodes > 1 || nodeRank != 0 || masterAddr != nil || masterPort != nil {
            throw ValidationError("--nnodes, --node-rank, --master-addr and --master-port go with --nproc-per-node")
        }
        do { try plan?.validate() } catch { throw ValidationError("\(error)") }
    }
}
