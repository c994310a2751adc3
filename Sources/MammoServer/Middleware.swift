import Foundation
import HTTPTypes
import Hummingbird

/// Bearer-token authentication on every route but `GET /health` and the page shell `GET /` (static
/// HTML that holds no data; its script sends the token with every call). The token is compared in
/// constant time, so the time of a refusal says nothing about how much of a guess was right.
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token, !(request.method == .get && (request.uri.path == "/health" || request.uri.path == "/")) else {
            return try await next(request, context)
        }
        guard let header = request.headers[.authorization] else {
            throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer"], message: "missing bearer token (Authorization: Bearer TOKEN)")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", Self.constantTimeEqual(Array(parts[1].utf8), Array(token.utf8)) else {
            throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer error=\"invalid_token\""], message: "invalid bearer token")
        }
        return try await next(request, context)
    }

    /// Equal contents, in a time that depends only on the lengths.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<max(a.count, b.count) {
            difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return difference == 0
    }
}

/// Counts every answer by route and status and records its latency.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let clock = ContinuousClock(), started = clock.now
        do {
            let response = try await next(request, context)
            metrics.request(route: context.endpointPath ?? "unmatched", status: response.status.code, duration: clock.now - started)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            metrics.request(route: context.endpointPath ?? "unmatched", status: status.code, duration: clock.now - started)
            throw error
        }
    }
}
