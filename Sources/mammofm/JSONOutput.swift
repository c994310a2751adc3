import Foundation

/// Prints `value` as JSON on standard output: the `--json` output of every command.
func printJSON(_ value: some Encodable, formatting: JSONEncoder.OutputFormatting = [.prettyPrinted, .sortedKeys]) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = formatting
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}
