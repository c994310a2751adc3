import Foundation

/// A one-line progress display on standard error: count, rate, ETA and a note.
final class ProgressReporter: @unchecked Sendable {
    let total: Int
    let unit: String
    private var done = 0
    private let start = Date()
    private var lastPrint = Date.distantPast
    private let interactive = ProgressReporter.standardErrorIsTerminal

    init(total: Int, unit: String) {
        self.total = total
        self.unit = unit
    }

    func advance(by count: Int = 1, note: String = "") {
        done += count
        let now = Date()
        guard now.timeIntervalSince(lastPrint) >= (interactive ? 0.2 : 5) || done == total else { return }
        lastPrint = now
        let elapsed = now.timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let line = String(format: "%d/%d %@ | %.2f %@/s | ETA %@ | %@", done, total, unit, rate, unit, Self.clock(eta), note)
        Self.status(line, interactive: interactive)
    }

    func finish() { Self.finishStatus(interactive: interactive) }

    /// Whether standard error is a terminal (status lines then rewrite themselves in place).
    static var standardErrorIsTerminal: Bool { isatty(2) != 0 }

    /// Writes a status line: rewritten in place on a terminal, one line each otherwise (logs).
    static func status(_ line: String, interactive: Bool) {
        FileHandle.standardError.write(Data(((interactive ? "\r" : "") + line + (interactive ? "\u{1B}[K" : "\n")).utf8))
    }

    /// Ends a run of in-place status lines.
    static func finishStatus(interactive: Bool) {
        if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
    }
}
