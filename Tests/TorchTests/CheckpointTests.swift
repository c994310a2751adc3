import Foundation
import Testing
@testable import Torch

/// The Swift reader of torch.save archives against a file written by PyTorch (checkpoint.pt) and
/// the same tensors exported to safetensors by PyTorch (checkpoint_expected.safetensors).
@Suite struct CheckpointTests {
    static func load() throws -> TorchCheckpoint { try TorchCheckpoint(url: Fixtures.url("checkpoint.pt")) }

    @Test func everyTensorLoadsExactly() throws {
        let checkpoint = try Self.load()
        let expected = try SafetensorsFile(url: Fixtures.url("checkpoint_expected.safetensors"))
        let found = Dictionary(uniqueKeysWithValues: checkpoint.allTensors())
        #expect(Set(found.keys) == Set(expected.keys))
        for key in expected.keys {
            let want = try expected.tensor(key)
            let got = try #require(found[key], "missing \(key)")
            #expect(got.dtype == want.dtype, "\(key): dtype \(got.dtype) vs \(want.dtype)")
            #expect(got.shape == want.shape, "\(key): shape \(got.shape) vs \(want.shape)")
            #expect(try got.bytes() == want.bytes(), "\(key): values differ")
        }
    }

    @Test func sharedStorageViewsKeepTheirOffsetsAndStrides() throws {
        let views = try #require(try Self.load().value(at: ["views"]).items)
        let transposed = try #require(views[2].tensorValue)
        #expect(transposed.shape == [4, 3])
        #expect(try transposed.toArray(Float.self) == [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11])
        #expect(try #require(views[1].tensorValue).toArray(Float.self) == (4..<12).map(Float.init))
    }

    @Test func plainValuesAndUnknownClassesComeThrough() throws {
        let checkpoint = try Self.load()
        let config = try #require(try checkpoint.value(at: ["config"]).dictionary)
        #expect(config["name"]?.stringValue == "tiny")
        #expect(config["lr"]?.doubleValue == 5e-5)
        #expect(config["layers"]?.items?.compactMap(\.intValue) == [1, 2, 3])
        let nested = try #require(config["nested"]?.dictionary)
        if case .bool(true) = nested["flag"] {} else { Issue.record("flag should be True, got \(String(describing: nested["flag"]))") }
        if case .some(.none) = nested["none"] {} else { Issue.record("none should be None") }
        #expect(config["tuple"]?.items?.count == 3)
        #expect(try checkpoint.value(at: ["epoch"]).intValue == 3)
        #expect(try checkpoint.value(at: ["negative"]).intValue == -123_456_789_012)
        if case .bigInt(let bytes) = try checkpoint.value(at: ["big"]) { #expect(bytes.count == 9) } else { Issue.record("2**70 should be a big integer") }
        guard case .object(let object) = try checkpoint.value(at: ["extra"]) else {
            Issue.record("the unknown class should load as an opaque object"); return
        }
        #expect(object.name == "UnknownThing")
        #expect(object.state?.dictionary?["note"]?.stringValue == "opaque")
    }

    @Test func stateDictLoadsIntoAModuleWithTheSameKeys() throws {
        let state = try Self.load().stateDict(at: ["model"])
        #expect(state.keys.sorted() == ["0.bias", "0.weight", "1.bias", "1.num_batches_tracked", "1.running_mean",
                                        "1.running_var", "1.weight", "3.bias", "3.weight"])
        #expect(state["1.num_batches_tracked"]?.dtype == .int64)
        final class Flatten: Module, UnaryLayer { func forward(_ x: Tensor) throws -> Tensor { try x.flatten(start: 1) } }
        let model = Sequential([try Conv2d(1, 2, kernelSize: 3), try BatchNorm2d(2), Flatten(), try Linear(2, 2)])
        try model.load(stateDict: state)
        #expect(try model.layers[0].parameter(named: "weight")!.bytes() == state["0.weight"]!.bytes())
    }

    @Test func optimizerStateNestsIntegerKeys() throws {
        let optimizer = try #require(try Self.load().value(at: ["optimizer"]).dictionary)
        let state = try #require(optimizer["state"])
        guard case .dict(let entries) = state else { Issue.record("optimizer state should be a dict"); return }
        #expect(entries.entries.count == 6)
        #expect(optimizer["param_groups"]?.items?.count == 1)
    }

    @Test func truncatedArchiveIsAnErrorNamingTheProblem() throws {
        let bytes = try Data(contentsOf: Fixtures.url("checkpoint.pt"))
        let url = temporaryFile("truncated.pt")
        try bytes.prefix(bytes.count / 2).write(to: url)
        #expect {
            _ = try TorchCheckpoint(url: url)
        } throws: { error in
            "\(error)".contains("truncated") && "\(error)".contains("truncated.pt")
        }
    }

    @Test func aFileThatIsNotAZipArchiveIsRejected() throws {
        let url = temporaryFile("not-a-zip.pt")
        try Data("hello, this is not a checkpoint".utf8).write(to: url)
        #expect(throws: TorchError.self) { _ = try TorchCheckpoint(url: url) }
    }
}
