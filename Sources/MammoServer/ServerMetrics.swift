import Foundation
import Prometheus

/// The server's Prometheus metrics: requests by route and status, request latency, queue depth,
/// jobs in flight and finished exams. `GET /metrics` emits them in the text exposition format.
public final class ServerMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    let latency: DurationHistogram
    let queueDepth: Gauge
    let inFlight: Gauge

    public init() {
        latency = registry.makeDurationHistogram(
            name: "mammofm_http_request_duration_seconds",
            buckets: [.milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5), .seconds(30), .seconds(120)],
            help: "Time to answer an HTTP request")
        queueDepth = registry.makeGauge(name: "mammofm_queue_depth", help: "Exams waiting to be analysed")
        inFlight = registry.makeGauge(name: "mammofm_jobs_in_flight", help: "Exams being analysed now")
    }

    func request(route: String, status: Int, duration: Duration) {
        registry.makeCounter(name: "mammofm_http_requests_total", labels: [("route", route), ("status", String(status))],
                             help: "HTTP requests answered").increment()
        latency.record(duration)
    }

    func exam(status: String, seconds: Double) {
        registry.makeCounter(name: "mammofm_exams_total", labels: [("status", status)], help: "Exams analysed, by outcome").increment()
        registry.makeValueHistogram(name: "mammofm_exam_analysis_seconds", buckets: [0.5, 1, 2, 5, 10, 30, 60, 120],
                                    help: "Time to analyse one exam").record(seconds)
    }

    func queue(pending: Int, running: Int) {
        queueDepth.set(Double(pending))
        inFlight.set(Double(running))
    }

    public func text() -> String { registry.emitToString() }
}
