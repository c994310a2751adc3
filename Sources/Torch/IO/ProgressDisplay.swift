import Foundation

/// Where long work writes its progress and notes: standard error for the command line, anything else
/// (a server's log, a test's buffer) through `write`.
public struct RunLog: Sendable {
    /// Receives each line (without its newline) and whether it is a status line that may rewrite
    /// the previous one.
    public var write: @Sendable (_ line: String, _ status: Bool) -> Void
    /// Whether status lines rewrite themselves in place (a terminal).
    public var interactive: Bool

    public init(interactive: Bool = false, write: @escaping @Sendable (_ line: String, _ status: Bool) -> Void) {
        self.interactive = interactive
        self.write = write
    }

    /// Standard error; status lines rewrite in place when it is a terminal, one line each otherwise (logs).
    public static let standardError = RunLog(interactive: isatty(2) != 0) { line, status in
        let interactive = isatty(2) != 0
        let text = status && interactive ? "\r" + line + "\u{1B}[K" : line + "\n"
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Writes nothing (tests, callers that only want the result).
    public static let silent = RunLog { _, _ in }

    /// One line of information.
    public func note(_ line: String) { write(line, false) }

    /// A progress display for `total` items.
    public func progress(total: Int, unit: String) -> ProgressDisplay { ProgressDisplay(total: total, unit: unit, log: self) }
}

/// A one-line progress display: count, rate, ETA and a note.
public final class ProgressDisplay: @unchecked Sendable {
    public let total: Int
    public let unit: String
    private let log: RunLog
    private var done = 0
    private var printedStatus = false
    private let start = Date()
    private var lastPrint = Date.distantPast

    public init(total: Int, unit: String, log: RunLog = .standardError) {
        self.total = total
        self.unit = unit
        self.log = log
    }

    public func advance(by count: Int = 1, note: String = "") {
        done += count
        let now = Date()
        guard now.timeIntervalSince(lastPrint) >= (log.interactive ? 0.2 : 5) || done == total else { return }
        lastPrint = now
        let elapsed = now.timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        log.write(String(format: "%d/%d %@ | %.2f %@/s | ETA %@ | %@", done, total, unit, rate, unit, Self.clock(eta), note), true)
        printedStatus = true
    }

    /// Ends a run of in-place status lines.
    public func finish() {
        if log.interactive && printedStatus { log.write("", false) }
    }

    /// Seconds as H:MM:SS.
    public static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
    }
}
