import Foundation
import Testing
import Torch
@testable import MammoImaging

/// The `mammoclip` profile against the reference's own preprocessing code run with OpenCV (fixtures:
/// Fixtures/mammoclip_profile, from generate_profile_fixtures.py).
@Suite(.serialized) struct MammoClipProfileTests {
    struct Crop: Decodable { let rows: [Int]; let columns: [Int] }
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/mammoclip_profile")
    static let crops = Result { try JSONDecoder().decode([String: Crop].self, from: Data(contentsOf: folder.appendingPathComponent("crops.json"))) }
    /// The fixture names; an unreadable or empty list becomes one case that fails, never zero cases.
    static var names: [String] { fixtureNames { try crops.get().keys.sorted() } }

    @Test func fixtureListIsReadableAndComplete() throws {
        #expect(try Self.crops.get().count >= 9)
    }

    @Test(arguments: names)
    func matchesTheReferenceWithinOneGreyLevel(_ name: String) throws {
        let crop = try #require(try Self.crops.get()[name])
        let source = name.hasPrefix("mg_") ? SyntheticFixtures.url(name) : DicomTestFiles.url(name, package: "data")
        let image = try DicomImage(contentsOf: source)
        let (pixels, geometry) = try MammoClipProfile.apply(image)
        #expect(pixels.shape == [1520, 912] && pixels.dtype == .uint8)
        let reference = try GrayscaleImage.readPNG(Self.folder.appendingPathComponent(name.replacingOccurrences(of: ".dcm", with: ".png")))
        let expected = try reference.tensor().squeeze(0)
        let difference = try (pixels.to(.float32) - expected).abs()
        let worst = try difference.max().item()
        let share = try difference.gt(0).to(.float32).mean().item()
        #expect(worst <= 1, "\(name): largest difference \(worst) grey levels")
        print("\(name): max difference \(worst), \(String(format: "%.4f", share * 100))% of pixels differ")
        // The crop box exactly (trimmed-image indices + the 5-pixel border = original pixels).
        #expect(geometry.cropY0 - 5 == crop.rows[0] && geometry.cropY1 - 5 == crop.rows[1])
        #expect(geometry.cropX0 - 5 == crop.columns[0] && geometry.cropX1 - 5 == crop.columns[1])
        #expect(geometry.cropIsContiguous == (crop.rows[1] - crop.rows[0] == crop.rows[2] && crop.columns[1] - crop.columns[0] == crop.columns[2]))
    }

    @Test func geometryMapsBothWays() {
        let g = PreprocessingGeometry(profile: "standard", sourceWidth: 2000, sourceHeight: 3000, cropX0: 100, cropY0: 50, cropX1: 1100,
                                      cropY1: 2550, cropIsContiguous: true, flipped: true, scaleX: 0.5, scaleY: 0.6,
                                      padding: [4, 0, 4, 0], outputWidth: 508, outputHeight: 1500)
        let model = g.toModel(x: 300, y: 1050)
        #expect(Swift.abs(model.x - (4 + (1000 - 200) * 0.5)) < 1e-9 && Swift.abs(model.y - 600) < 1e-9)
        let back = g.toSource(x: model.x, y: model.y)
        #expect(Swift.abs(back.x - 300) < 1e-9 && Swift.abs(back.y - 1050) < 1e-9)
    }

    @Test func runLengthsFollowTheReference() {
        // The reference's helper on its own example (worked by hand from its numpy code).
        let ones = [0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0].map { $0 == 1 }
        #expect(MammoClipProfile.runLengths(ones) == [-1, 2, 2, -1, 1, -1, -1, 3, 3, 3, -1])
        #expect(MammoClipProfile.longestRuns(ones) == [7, 8, 9])
    }
}
