import Foundation

/// A one-line progress display on standard error: count, rate, ETA and a note.
final class ProgressReporter: @unchecked Sendable {
    let total: Int
    let unit: String
    private var done = 0
    private let start = Date()
    private var lastPrint = Date.distantPast
    private let interactive = isatty(2) != 0

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
        FileHandle.standardError.write(Data(((interactive ? "\r" : "") + line + (interactive ? "\u{1B}[K" : "\n")).utf8))
    }

    func finish() {
        if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
    }
}
