import Foundation
import MammoTraining
import Testing

/// docs/cli.md documents every subcommand with its flags and every pretraining configuration key;
/// these tests read the tool's own --help and the configuration schema, so a new flag, subcommand or
/// key fails here until it is documented.
@Suite struct DocumentationTests {
    static let cliDocument = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/cli.md")

    /// The subcommands listed in a help text's SUBCOMMANDS sections: lines indented by exactly two
    /// spaces whose first word is a command name (continuation lines are indented further).
    static func subcommands(in help: String) -> [String] {
        var names: [String] = [], inList = false
        for line in help.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasSuffix("SUBCOMMANDS:") { inList = true; continue }
            if !line.isEmpty && !line.hasPrefix(" ") { inList = false }
            guard inList, line.hasPrefix("  "), !line.hasPrefix("   ") else { continue }
            let name = String(line.dropFirst(2).prefix { !$0.isWhitespace })
            if !name.isEmpty, name.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "-" }), name != "help" { names.append(name) }
        }
        return names
    }

    /// Every leaf command path ("dicom info", "zeroshot"), from the tool's help.
    static func commandPaths() throws -> [[String]] {
        var paths: [[String]] = [], queue: [[String]] = [[]]
        while let path = queue.popLast() {
            guard path.count <= 3 else { throw CLITestFailure("subcommands nest deeper than 3: \(path)") }
            let help = try CLI.run(path + ["--help"]).output
            let children = subcommands(in: help)
            if children.isEmpty { paths.append(path) } else { queue += children.map { path + [$0] } }
        }
        return paths.sorted { $0.joined(separator: " ") < $1.joined(separator: " ") }
    }

    @Test func everySubcommandAndFlagIsDocumented() throws {
        let document = try String(contentsOf: Self.cliDocument, encoding: .utf8)
        let paths = try Self.commandPaths()
        #expect(paths.count >= 17, "found \(paths.map { $0.joined(separator: " ") })")
        for path in paths {
            let name = path.joined(separator: " ")
            #expect(document.contains("## `mammofm \(name)"), "docs/cli.md has no section for `mammofm \(name)`")
            #expect(document.contains("mammofm \(name) ") && document.contains("```sh"), "docs/cli.md has no example of `mammofm \(name)`")
            let help = try CLI.run(path + ["--help"]).output
            let flags = Set(help.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "-") })
                .filter { $0.hasPrefix("--") && $0.count > 2 }.map(String.init))
            for flag in flags.sorted() where !["--help", "--version"].contains(flag) {
                #expect(document.contains(flag), "docs/cli.md does not name \(flag) of `mammofm \(name)`")
            }
        }
    }

    @Test func everyPretrainingKeyIsDocumented() throws {
        let document = try String(contentsOf: Self.cliDocument, encoding: .utf8)
        func snake(_ key: String) -> String {
            key.reduce(into: "") { out, c in if c.isUppercase { out += "_" + c.lowercased() } else { out.append(c) } }
        }
        var keys: [String] = []
        for section in Mirror(reflecting: PretrainConfig()).children {
            guard let name = section.label else { continue }
            let fields = Mirror(reflecting: section.value).children.compactMap(\.label)
            keys += fields.isEmpty ? [snake(name)] : fields.map { "\(snake(name)).\(snake($0))" }
        }
        #expect(keys.count > 40)
        for key in keys { #expect(document.contains("`\(key)`"), "docs/cli.md does not document the configuration key `\(key)`") }
    }
}

struct CLITestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
