import ArgumentParser
import CSystem
import Foundation
import Torch

/// How `pretrain` spreads over processes, the way torchrun does: `--nproc-per-node` starts that many
/// ranks on this machine; with `--nnodes`, the same command on every machine (its own `--node-rank`,
/// one shared `--master-addr` and `--master-port`) makes one run of nodes x processes ranks.
struct LaunchOptions: ParsableArguments {
    @Option(help: "Start this many data-parallel training processes on this machine (Gloo process group).")
    var nprocPerNode: Int?
    @Option(help: "Machines taking part (with --nproc-per-node).") var nnodes = 1
    @Option(help: "This machine's number, 0..<nnodes (with --nproc-per-node).") var nodeRank = 0
    @Option(help: "Address of node 0, where the ranks meet (default 127.0.0.1 on one machine).") var masterAddr: String?
    @Option(help: "TCP port on node 0 where the ranks meet (default: a free port on one machine).") var masterPort: Int?

    func validate() throws {
        if let nprocPerNode, nprocPerNode < 1 { throw ValidationError("--nproc-per-node must be at least 1, got \(nprocPerNode)") }
        guard nnodes >= 1, (0..<nnodes).contains(nodeRank) else {
            throw ValidationError("--node-rank must be in 0..<--nnodes, got node rank \(nodeRank) of \(nnodes)")
        }
        if nnodes > 1 || nodeRank != 0 || masterAddr != nil || masterPort != nil, nprocPerNode == nil {
            throw ValidationError("--nnodes, --node-rank, --master-addr and --master-port go with --nproc-per-node")
        }
        if nnodes > 1, masterAddr == nil || masterPort == nil {
            throw ValidationError("with --nnodes \(nnodes), every machine needs the same --master-addr and --master-port (node 0's)")
        }
        if let masterPort, !(1...65535).contains(masterPort) { throw ValidationError("--master-port must be in 1...65535, got \(masterPort)") }
    }
}

/// Starts this machine's ranks as child processes of this executable and waits for them; when one
/// fails the others are stopped. Each child learns its place from the environment torchrun sets
/// (RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT) and dies with the launcher.
enum RankLauncher {
    static func run(arguments: [String], options: LaunchOptions) throws {
        let local = options.nprocPerNode ?? 1
        let worldSize = local * options.nnodes
        let address = options.masterAddr ?? "127.0.0.1"
        let port: Int
        if let chosen = options.masterPort { port = chosen } else {
            port = Int(csys_free_tcp_port())
            guard port > 0 else { throw RankError.launch("cannot find a free TCP port for the ranks to meet; pass --master-port") }
        }
        guard let executable = Bundle.main.executableURL else { throw RankError.launch("cannot locate this executable to start the ranks") }
        var children: [(rank: Int, process: Process)] = []
        for localRank in 0..<local {
            let rank = options.nodeRank * local + localRank
            let process = Process()
            process.executableURL = executable
            process.arguments = arguments
            var environment = ProcessInfo.processInfo.environment
            environment["RANK"] = String(rank)
            environment["LOCAL_RANK"] = String(localRank)
            environment["WORLD_SIZE"] = String(worldSize)
            environment["LOCAL_WORLD_SIZE"] = String(local)
            environment["MASTER_ADDR"] = address
            environment["MASTER_PORT"] = String(port)
            environment["MAMMOFM_LAUNCHER_PID"] = String(getpid())
            process.environment = environment
            do { try process.run() } catch {
                for child in children { child.process.terminate() }
                throw RankError.launch("cannot start rank \(rank): \(error)")
            }
            children.append((rank, process))
        }
        // Poll: a rank that fails leaves the others waiting in a collective until its timeout.
        while true {
            if let failed = children.first(where: { !$0.process.isRunning && $0.process.terminationStatus != 0 }) {
                for child in children where child.process.isRunning { child.process.terminate() }
                for child in children { child.process.waitUntilExit() }
                let how = failed.process.terminationReason == .uncaughtSignal
                    ? "was killed by signal \(failed.process.terminationStatus)" : "exited with status \(failed.process.terminationStatus)"
                throw RankError.launch("rank \(failed.rank) of \(worldSize) \(how); the other ranks were stopped")
            }
            if children.allSatisfy({ !$0.process.isRunning }) { return }
            usleep(100_000)
        }
    }
}

/// This process's place in a data-parallel run, from the environment a launcher (this one, torchrun,
/// or a cluster scheduler's script) sets.
struct RankEnvironment {
    let rank: Int
    let worldSize: Int
    let masterAddress: String
    let masterPort: Int

    /// nil when WORLD_SIZE is unset or 1 (one process).
    static func current(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> RankEnvironment? {
        guard let text = environment["WORLD_SIZE"] else { return nil }
        guard let worldSize = Int(text), worldSize >= 1 else { throw RankError.environment("WORLD_SIZE must be a positive integer, got '\(text)'") }
        guard worldSize > 1 else { return nil }
        guard let rankText = environment["RANK"], let rank = Int(rankText), (0..<worldSize).contains(rank) else {
            throw RankError.environment("RANK must be set to 0..<\(worldSize) when WORLD_SIZE is \(worldSize), got '\(environment["RANK"] ?? "")'")
        }
        guard let address = environment["MASTER_ADDR"], !address.isEmpty else {
            throw RankError.environment("MASTER_ADDR (rank 0's address) must be set when WORLD_SIZE is \(worldSize)")
        }
        let portText = environment["MASTER_PORT"] ?? "29500"
        guard let port = Int(portText), (1...65535).contains(port) else { throw RankError.environment("MASTER_PORT must be in 1...65535, got '\(portText)'") }
        return RankEnvironment(rank: rank, worldSize: worldSize, masterAddress: address, masterPort: port)
    }

    /// Ties this process's life to the launcher that started it, if any: killed with it, never orphaned.
    func followLauncher(_ environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard let text = environment["MAMMOFM_LAUNCHER_PID"], let launcher = Int32(text) else { return }
        if csys_die_with_parent(launcher) == 0 { exit(1) }
    }

    /// Meets the other ranks (rank 0 serves the rendezvous store) and returns the process group. Every
    /// collective waits at most MAMMOFM_DISTRIBUTED_TIMEOUT seconds (default 1800, PyTorch's).
    func joinGroup(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ProcessGroup {
        let text = environment["MAMMOFM_DISTRIBUTED_TIMEOUT"] ?? "1800"
        guard let timeout = Double(text), timeout > 0 else {
            throw RankError.environment("MAMMOFM_DISTRIBUTED_TIMEOUT must be a positive number of seconds, got '\(text)'")
        }
        // Rank 0's store listens on MASTER_ADDR only (127.0.0.1 for runs on one machine) unless
        // MAMMOFM_STORE_LISTEN names another address (0.0.0.0: every interface).
        let store = try RendezvousStore.tcp(host: masterAddress, port: masterPort, worldSize: worldSize, isServer: rank == 0, timeout: timeout,
                                            listenHost: .some(environment["MAMMOFM_STORE_LISTEN"] ?? masterAddress))
        // Gloo binds to this address; on one machine the loopback one, elsewhere the hostname's unless told.
        let loopback = masterAddress == "localhost" || masterAddress.hasPrefix("127.")
        let interface = environment["MAMMOFM_GLOO_HOST"] ?? (loopback ? "127.0.0.1" : nil)
        return try ProcessGroup(store: store, rank: rank, size: worldSize, interfaceHost: interface, timeout: timeout)
    }
}

enum RankError: Error, CustomStringConvertible {
    case launch(String)
    case environment(String)
    /// An error of one rank, named by it.
    case onRank(Int, Int, any Error)

    var description: String {
        switch self {
        case .launch(let reason): return "data-parallel launch: \(reason)"
        case .environment(let reason): return "data-parallel environment: \(reason)"
        case .onRank(let rank, let size, let error): return "rank \(rank) of \(size): \(error)"
        }
    }
}
