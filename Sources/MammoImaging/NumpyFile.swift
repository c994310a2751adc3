import Foundation
import Torch

/// Writes NumPy `.npy` files (format 1.0), so any tool can read MammoFM's arrays.
public enum NumpyFile {
    static func descriptor(_ dtype: DType) throws -> String {
        switch dtype {
        case .uint8: return "|u1"
        case .int8: return "|i1"
        case .int16: return "<i2"
        case .int32: return "<i4"
        case .int64: return "<i8"
        case .float16: return "<f2"
        case .float32: return "<f4"
        case .float64: return "<f8"
        case .bool: return "|b1"
        default: throw TorchError.invalidArgument("no .npy type for \(dtype)")
        }
    }

    /// Writes `tensor` (little-endian, C order); `uint16` stores int tensors as unsigned 16-bit.
    public static func write(_ tensor: Tensor, to url: URL, asUInt16: Bool = false) throws {
        let descr = asUInt16 ? "<u2" : try descriptor(tensor.dtype)
        let shape = tensor.shape
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        // Magic (6) + version (2) + length (2) + header, padded with spaces to a multiple of 64, ending in \n.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        withUnsafeBytes(of: UInt16(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(header.utf8))
        if asUInt16 {
            let values = try tensor.to(.int32).toArray(Int32.self).map { UInt16(truncatingIfNeeded: $0).littleEndian }
            values.withUnsafeBytes { data.append(contentsOf: $0) }
        } else {
            data.append(contentsOf: try tensor.contiguous().bytes())
        }
        try writeAtomically(data, to: url)
    }
}
