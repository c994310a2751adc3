import Foundation
import Testing
@testable import Torch

/// Bad input is a thrown error with a message that names the problem; nothing crashes or leaks.
@Suite struct ErrorAndMemoryTests {
    @Test func conv2dChannelMismatchIsExplained() throws {
        let x = try Tensor.zeros([1, 3, 8, 8])
        let weight = try Tensor.zeros([4, 2, 3, 3])
        #expect { _ = try Functional.conv2d(x, weight: weight) } throws: { error in
            "\(error)".contains("3 channels") && "\(error)".contains("[4, 2, 3, 3]")
        }
    }

    @Test func engineErrorsComeBackAsMessagesWithoutBacktrace() throws {
        let a = try Tensor.zeros([2, 3]), b = try Tensor.zeros([4, 5])
        do {
            _ = try a.matmul(b)
            Issue.record("matmul of incompatible shapes should throw")
        } catch let TorchError.engine(operation, message) {
            #expect(operation.contains("matmul"))
            #expect(message.contains("cannot be multiplied"))
            #expect(!message.contains("Exception raised from"), "the backtrace should be stripped: \(message)")
        }
        #expect(throws: TorchError.self) { _ = try Tensor.zeros([2, 3]).view([7]) }
        #expect(throws: TorchError.self) { _ = try Tensor.zeros([2]).item() }
        #expect(throws: TorchError.self) { _ = try Tensor.zeros([2]).select(dim: 0, index: 5) }
        #expect(throws: TorchError.self) { _ = try Tensor([1, 2, 3] as [Float], shape: [2, 2]) }
    }

    @Test func missingKeyUnusedKeyAndShapeMismatchAreReportedTogether() throws {
        let layer = try Linear(3, 2)
        let weights: [String: Tensor] = ["weight": try Tensor.zeros([2, 4]), "extra": try Tensor.zeros([1])]
        do {
            try layer.load(stateDict: weights)
            Issue.record("a strict load of mismatching weights should throw")
        } catch let TorchError.stateDictMismatch(report) {
            #expect(report.missingKeys == ["bias"])
            #expect(report.unexpectedKeys == ["extra"])
            #expect(report.shapeMismatches == [.init(key: "weight", expected: [2, 3], found: [2, 4])])
            #expect("\(TorchError.stateDictMismatch(report))".contains("missing keys: bias"))
        }
        let partial = try layer.load(stateDict: ["bias": try Tensor.ones([2]), "extra": try Tensor.zeros([1])], strict: false)
        #expect(partial.missingKeys == ["weight"] && partial.unexpectedKeys == ["extra"])
        #expect(try layer.bias!.toArray(Float.self) == [1, 1])
    }

    @Test func hundredThousandTensorsKeepMemoryFlat() throws {
        for _ in 0..<1_000 { _ = try Tensor.ones([16]) + 1 }
        let before = try residentMemory()
        for i in 0..<100_000 {
            let t = try Tensor.full([64], value: Double(i))
            _ = try t * 2
        }
        let grown = try residentMemory() - before
        #expect(grown < 50 << 20, "resident memory grew by \(grown >> 20) MB")
    }
}
