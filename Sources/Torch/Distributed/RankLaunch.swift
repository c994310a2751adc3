import CProcess
import Foundation

/// How a data-parallel run spreads over processes, the way torchrun does: `processesPerNode` ranks
/// on this machine; with `nodes` > 1, the same command on every machine (its own `nodeRank`, one
/// shared `masterAddress` and `masterPort`) makes one run of nodes x processes ranks.
public struct LaunchPlan: Sendable, Equatable {
    public var processesPerNode: Int
    public var nodes = 1
    public var nodeRank = 0
    /// Node 0's address, where the ranks meet (default 127.0.0.1 on one machine).
    public var masterAddress: String?
    /// Node 0's TCP port (default: a free port on one machine).
    public var masterPort: Int?

    public init(processesPerNode: Int, nodes: Int = 1, nodeRank: Int = 0, masterAddress: String? = nil, masterPort: Int? = nil) {
        self.processesPerNode = processesPerNode
        self.nodes = nodes
        self.nodeRank = nodeRank
        self.masterAddress = masterAddress
        self.masterPort = masterPort
    }

    /// Refuses plans no launch can carry out.
    public func validate() throws {
        guard processesPerNode >= 1 else { throw RankError.launch("the processes per node must be at least 1, got \(processesPerNode)") }
        guard nodes >= 1, (0..<nodes).contains(nodeRank) else {
            throw RankError.launch("the node rank must be in 0..<nodes, got node rank \(nodeRank) of \(nodes)")
        }
        if nodes > 1, masterAddress == nil || masterPort == nil {
            throw RankError.launch("with \(nodes) nodes, every machine needs the same master address and port (node 0's)")
        }
        if let masterPort, !(1...65535).contains(masterPort) { throw RankError.launch("the master port must be in 1...65535, got \(masterPort)") }
    }
}

/// Starts this machine's ranks as child processes of this executable and waits for them; when one
/// fails the others are stopped. Each child learns its place from the environment torchrun sets
/// (RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT) and dies with the launcher.
public enum RankLauncher {
    /// Runs `arguments` (this executable's command line for one rank) as every rank of this node.
    public static func run(arguments: [String], plan options: LaunchPlan) throws {
        try options.validate()
        let local = options.processesPerNode
        let worldSize = local * options.nodes
        let address = options.masterAddress ?? "127.0.0.1"
        let port: Int
        if let chosen = options.masterPort { port = chosen } else {
            port = Int(csys_free_tcp_port())
            guard port > 0 else { throw RankError.launch("cannot find a free TCP port for the ranks to meet; give a master port") }
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
public struct RankEnvironment: Sendable {
    public let rank: Int
    public let worldSize: Int
    public let masterAddress: String
    public let masterPort: Int

    /// nil when WORLD_SIZE is unset or 1 (one process).
    public static func current(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> RankEnvironment? {
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
    public func followLauncher(_ environment: [String: String] = ProcessInfo.processInfo.environment) {
        guard let text = environment["MAMMOFM_LAUNCHER_PID"], let launcher = Int32(text) else { return }
        if csys_die_with_parent(launcher) == 0 { exit(1) }
    }

    /// Meets the other ranks (rank 0 serves the rendezvous store) and returns the process group. Every
    /// collective waits at most MAMMOFM_DISTRIBUTED_TIMEOUT seconds (default 1800, PyTorch's).
    public func joinGroup(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ProcessGroup {
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

public enum RankError: Error, CustomStringConvertible {
    case launch(String)
    case environment(String)
    /// An error of one rank, named by it.
    case onRank(Int, Int, any Error)

    public var description: String {
        switch self {
        case .launch(let reason): return "data-parallel launch: \(reason)"
        case .environment(let reason): return "data-parallel environment: \(reason)"
        case .onRank(let rank, let size, let error): return "rank \(rank) of \(size): \(error)"
        }
    }
}
