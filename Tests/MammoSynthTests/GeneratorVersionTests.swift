import Foundation
@testable import MammoSynth
import Testing

/// synth-1 stays what it was: its cohorts are byte for byte those of the generator before synth-2,
/// an unfinished synth-1 cohort resumes, and a synth-2 run refuses it.
@Suite(.serialized) struct GeneratorVersionTests {
    /// SHA-256 of `sha256sum` over every non-hidden file (sorted by path) of two 3-patient synth-1
    /// cohorts written by the generator before synth-2 existed (`mammofm synth --patients 3 --seed 5
    /// --size 160x96 --prevalence 3 --cancer-rate 4 --jobs 1`, and the same with `--benign-calcifications
    /// regional --calcification-scale 3`).
    static let synth1Digest = "202e6cc24923a29199d624dd9631fed823303b97d2ecbe659245ada13185be23"
    static let synth1RegionalDigest = "c65a522049b75d91b1e0e827c6bd4cc074cf13e61ada9b880404a7d455f861bd"

    static func synth1Config() -> SynthConfig {
        var config = SynthFixture.config(patients: 3, seed: 5)
        config.generator = .synth1
        return config
    }

    /// The digest `sha256sum FILES | sha256sum` gives, over the cohort's files in C-locale order.
    static func treeDigest(_ root: URL) throws -> String {
        let files = try SynthFixture.files(root).keys.filter { !($0.split(separator: "/").last ?? "").hasPrefix(".") }
            .map { "." + $0 }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let listing = try run("/usr/bin/sha256sum", files, in: root)
        let digest = try run("/usr/bin/sha256sum", ["-"], in: root, input: listing)
        return String(decoding: digest.prefix(64), as: UTF8.self)
    }

    static func run(_ tool: String, _ arguments: [String], in folder: URL, input: Data? = nil) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.currentDirectoryURL = folder
        let output = Pipe(), feed = Pipe()
        process.standardOutput = output
        process.standardInput = feed
        try process.run()
        if let input { feed.fileHandleForWriting.write(input) }
        try feed.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return data
    }

    @Test func synth1CohortsAreThoseOfTheEarlierGenerator() throws {
        let plain = SynthFixture.folder("synth1-plain")
        _ = try CohortGenerator(config: Self.synth1Config(), directory: plain).run(jobs: 1)
        #expect(try Self.treeDigest(plain) == Self.synth1Digest)
        var regional = Self.synth1Config()
        regional.benignCalcificationDistribution = .regional
        regional.calcificationScale = 3
        let spread = SynthFixture.folder("synth1-regional")
        _ = try CohortGenerator(config: regional, directory: spread).run(jobs: 1)
        #expect(try Self.treeDigest(spread) == Self.synth1RegionalDigest)
    }

    @Test func anUnfinishedSynth1CohortResumesAndSynth2RefusesIt() throws {
        let config = Self.synth1Config()
        let folder = SynthFixture.folder("synth1-resume")
        _ = try CohortGenerator(config: config, directory: folder).run(jobs: 1)
        try FileManager.default.removeItem(at: folder.appendingPathComponent("records/SYN000003.json"))
        try FileManager.default.removeItem(at: folder.appendingPathComponent("cohort.json"))
        var current = config
        current.generator = .synth2
        do {
            _ = try CohortGenerator(config: current, directory: folder).run(jobs: 1)
            Issue.record("synth-2 continued a synth-1 cohort")
        } catch let error as SynthError {
            #expect("\(error)".contains("another generator version"), "\(error)")
        }
        let summary = try CohortGenerator(config: config, directory: folder).run(jobs: 2)
        #expect(summary.generated == 1 && summary.resumed == 2)
        #expect(try Self.treeDigest(folder) == Self.synth1Digest)
    }

    @Test func synth2RefusesTheSynth1OnlyOption() throws {
        var config = SynthFixture.config()
        config.generator = .synth2
        config.benignCalcificationDistribution = .regional
        #expect(throws: SynthError.self) { try config.validate() }
        config.generator = .synth1
        try config.validate()
        config.benignCalcificationDistribution = .segmental
        #expect(throws: SynthError.invalidOption("benign calcifications must be grouped or regional, got segmental")) { try config.validate() }
    }
}
