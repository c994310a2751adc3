import Foundation
import Testing
@testable import MammoEvaluation

/// Result files and `--json` share one encoding in which undefined metrics are "nan".
@Suite struct ResultEncodingTests {
    struct Metrics: Codable, Equatable { var ppv: Double; var npv: Double; var auroc: Double }

    @Test func undefinedMetricsEncodeAsTextAndReadBack() throws {
        let metrics = Metrics(ppv: .nan, npv: .infinity, auroc: 0.5)
        let data = try EvaluationDocument.jsonEncoder().encode(metrics)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"ppv\" : \"nan\"") && text.contains("\"npv\" : \"inf\""))
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let back = try decoder.decode(Metrics.self, from: data)
        #expect(back.ppv.isNaN && back.npv == .infinity && back.auroc == 0.5)
        // The plain encoder is what failed before: it refuses NaN.
        #expect(throws: EncodingError.self) { _ = try JSONEncoder().encode(metrics) }
    }
}
