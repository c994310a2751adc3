import Foundation
import Testing

/// The module graph is what Package.swift declares, what the sources import, and what the README's
/// architecture table says; a dependency added or dropped in one place fails here until all three agree.
@Suite struct ModuleGraphTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Each library target of Sources/ with the targets and products Package.swift lists for it.
    static func declared() throws -> [String: Set<String>] {
        let manifest = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        var graph: [String: Set<String>] = [:]
        let pattern = try NSRegularExpression(pattern: #"\.target\(name: "([A-Za-z]+)"(?:, dependencies: \[([^\]]*)\])?"#)
        for match in pattern.matches(in: manifest, range: NSRange(manifest.startIndex..., in: manifest)) {
            guard let name = Range(match.range(at: 1), in: manifest).map({ String(manifest[$0]) }), name != "TestSupport" else { continue }
            // `.product(name: "Logging", package: "swift-log")`: the module is the product, not the package.
            let list = (Range(match.range(at: 2), in: manifest).map { String(manifest[$0]) } ?? "")
                .replacingOccurrences(of: #"package: "[^"]*""#, with: "", options: .regularExpression)
            let quoted = try NSRegularExpression(pattern: #""([A-Za-z]+)""#)
            let names = quoted.matches(in: list, range: NSRange(list.startIndex..., in: list)).compactMap { Range($0.range(at: 1), in: list).map { String(list[$0]) } }
            graph[name] = Set(names)
        }
        return graph
    }

    /// The modules the Swift files of Sources/<target> import (system modules left out).
    static func imported(by target: String) throws -> Set<String> {
        let folder = root.appendingPathComponent("Sources/\(target)")
        guard let files = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else { return [] }
        var modules: Set<String> = []
        for case let file as URL in files where file.pathExtension == "swift" {
            for line in try String(contentsOf: file, encoding: .utf8).split(separator: "\n") where line.hasPrefix("import ") {
                modules.insert(String(line.dropFirst(7)).trimmingCharacters(in: .whitespaces))
            }
        }
        return modules.subtracting(["Foundation", "FoundationNetworking", "Glibc", "Dispatch"])
    }

    @Test func packageDeclaresExactlyWhatTheSourcesImport() throws {
        let graph = try Self.declared()
        #expect(graph.keys.contains("MammoData") && graph.keys.contains("Torch"))
        for (target, dependencies) in graph where FileManager.default.fileExists(atPath: Self.root.appendingPathComponent("Sources/\(target)").path) {
            let swiftFiles = try Self.imported(by: target)
            // C targets have no Swift imports; their dependencies are libraries, not targets.
            if target.hasPrefix("C") { continue }
            #expect(swiftFiles == dependencies, "\(target): Package.swift lists \(dependencies.sorted()), the sources import \(swiftFiles.sorted())")
        }
    }

    @Test func readmeArchitectureTableNamesEachTargetsImports() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let graph = try Self.declared()
        for (target, dependencies) in graph where target.hasPrefix("Mammo") || target == "Torch" {
            guard let row = readme.split(separator: "\n").first(where: { $0.hasPrefix("| `\(target)` |") }) else {
                Issue.record("the README's architecture table has no row for \(target)")
                continue
            }
            let imports = String(row.split(separator: "|").last ?? "")
            let named = Set(imports.split(whereSeparator: { !($0.isLetter) }).map(String.init).filter { $0.hasPrefix("Mammo") || $0 == "Torch" || $0.hasPrefix("C") && $0.count > 1 && $0.allSatisfy(\.isLetter) && $0 != "C" })
            let expected = dependencies.filter { $0.hasPrefix("Mammo") || $0 == "Torch" || $0.hasPrefix("C") }
            #expect(named == expected, "README row of \(target) names \(named.sorted()), Package.swift has \(expected.sorted())")
        }
    }
}
