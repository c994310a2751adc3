import Foundation
import Testing
@testable import MammoImaging

@Suite struct PNGTests {
    func temporary(_ name: String) -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mammofm-imaging-\(getpid())")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.appendingPathComponent(name)
    }

    @Test(arguments: [8, 16])
    func grayscaleRoundTrip(bitDepth: Int) throws {
        let maximum = bitDepth == 8 ? 255 : 65535
        let pixels = (0..<(37 * 23)).map { UInt16(($0 * 7919) % (maximum + 1)) }
        let image = GrayscaleImage(width: 37, height: 23, bitDepth: bitDepth, pixels: pixels)
        let url = temporary("roundtrip-\(bitDepth).png")
        try image.writePNG(url)
        let back = try GrayscaleImage.readPNG(url)
        #expect(back == image)
        let tensor = try back.tensor()
        #expect(tensor.shape == [1, 23, 37])
        #expect(try tensor.max().item() == Double(pixels.max()!))
    }

    @Test func damagedFilesAreErrorsNamingTheFile() throws {
        let url = temporary("not.png")
        try Data("definitely not a png".utf8).write(to: url)
        #expect { _ = try GrayscaleImage.readPNG(url) } throws: { "\($0)".contains("not.png") && "\($0)".contains("bad signature") }
        let good = temporary("truncated.png")
        try GrayscaleImage(width: 64, height: 64, bitDepth: 16, pixels: (0..<4096).map { UInt16($0 * 13 % 65536) }).writePNG(good)
        let bytes = try Data(contentsOf: good)
        try bytes.prefix(bytes.count / 2).write(to: good)
        #expect(throws: ImagingError.self) { _ = try GrayscaleImage.readPNG(good) }
    }
}
