import Foundation
import MammoEvaluation

/// Prints `value` as JSON on standard output: the `--json` output of every command, in the encoding
/// of result files (undefined metrics as "nan"), so a file and the printed text never disagree.
func printJSON(_ value: some Encodable, formatting: JSONEncoder.OutputFormatting = [.prettyPrinted, .sortedKeys]) throws {
    print(String(decoding: try EvaluationDocument.jsonEncoder(formatting: formatting).encode(value), as: UTF8.self))
}
