import Foundation
import Testing
@testable import Torch

@Suite struct SafetensorsTests {
    @Test func roundTripKeepsDtypesShapesValuesAndMetadata() throws {
        let url = temporaryFile("roundtrip.safetensors")
        let tensors: [(String, Tensor)] = [
            ("a.float", try Tensor([1.5, -2, 3] as [Float], shape: [3])),
            ("b.half", try Tensor([1, 2, 3, 4] as [Float], shape: [2, 2]).to(.float16)),
            ("c.bf16", try Tensor([0.25, 8] as [Float]).to(.bfloat16)),
            ("d.long", try Tensor([Int64.max, -1] as [Int64])),
            ("e.bool", try Tensor([true, false, true])),
            ("f.empty", try Tensor.zeros([0, 3])),
            ("g.scalar", try Tensor.scalar(7)),
        ]
        try Safetensors.write(tensors, metadata: ["format": "pt"], to: url)
        let file = try SafetensorsFile(url: url)
        #expect(file.metadata == ["format": "pt"])
        #expect(file.keys == tensors.map(\.0))
        for (name, tensor) in tensors {
            let back = try file.tensor(name)
            #expect(back.dtype == tensor.dtype && back.shape == tensor.shape)
            #expect(try back.bytes() == tensor.bytes(), "\(name)")
        }
    }

    @Test func pytorchWrittenFileReads() throws {
        let file = try SafetensorsFile(url: Fixtures.url("checkpoint_expected.safetensors"))
        #expect(try file.tensor("dtypes.uint8").toArray(UInt8.self) == [0, 255])
        #expect(try file.tensor("dtypes.int64").toArray(Int64.self) == [-5, 7])
    }

    @Test func corruptHeaderIsAnErrorNamingTheFile() throws {
        let url = temporaryFile("corrupt.safetensors")
        var data = Data()
        withUnsafeBytes(of: UInt64(16).littleEndian) { data.append(contentsOf: $0) }
        data.append(Data("{not json at all".utf8))
        try data.write(to: url)
        #expect {
            _ = try SafetensorsFile(url: url)
        } throws: { error in
            "\(error)".contains("corrupt.safetensors") && "\(error)".contains("header is not a JSON object")
        }
    }

    @Test func headerLongerThanTheFileIsRejected() throws {
        let url = temporaryFile("short.safetensors")
        var data = Data()
        withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { data.append(contentsOf: $0) }
        try data.write(to: url)
        #expect { _ = try SafetensorsFile(url: url) } throws: { "\($0)".contains("exceeds the file size") }
    }

    @Test func byteRangeThatDisagreesWithTheShapeIsRejected() throws {
        let url = temporaryFile("range.safetensors")
        let header = #"{"x":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}"#
        var data = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(Data(header.utf8))
        data.append(Data(count: 16))
        try data.write(to: url)
        #expect { _ = try SafetensorsFile(url: url) } throws: { "\($0)".contains("needs 16 bytes") }
    }

    @Test func missingKeyNamesTheKey() throws {
        let file = try SafetensorsFile(url: Fixtures.url("checkpoint_expected.safetensors"))
        #expect { _ = try file.tensor("no.such.key") } throws: { "\($0)".contains("no.such.key") }
    }
}
