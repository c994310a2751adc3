import Foundation
import MammoDetection
import MammoEvaluation
import MammoImaging
import Testing

@Suite struct BoxMappingTests {
    static func geometry(profile: String, flipped: Bool, padding: [Int]) throws -> PreprocessingGeometry {
        let json = """
        {"profile": "\(profile)", "sourceWidth": 2800, "sourceHeight": 3518, "cropX0": 100, "cropY0": 40, "cropX1": 1900, "cropY1": 3478,
         "cropIsContiguous": true, "flipped": \(flipped), "scaleX": 0.08, "scaleY": 0.0744618964514253, "padding": \(padding),
         "outputWidth": \(144 + padding[0] + padding[2]), "outputHeight": \(256 + padding[1] + padding[3])}
        """
        return try JSONDecoder().decode(PreprocessingGeometry.self, from: Data(json.utf8))
    }

    @Test func boxesRoundTripWithinHalfAPixelForBothProfilesFlippedOrNot() throws {
        let lesions = [BoundingBox(xmin: 2355.14, ymin: 1731.64, xmax: 2482.98, ymax: 1852.75), BoundingBox(xmin: 101, ymin: 41, xmax: 117.5, ymax: 60),
                       BoundingBox(xmin: 1200, ymin: 3000, xmax: 1899, ymax: 3477)]
        for profile in ["mammoclip", "standard"] {
            for flipped in [false, true] {
                for padding in [[0, 0, 0, 0], [8, 0, 8, 0]] {
                    let g = try Self.geometry(profile: profile, flipped: flipped, padding: padding)
                    // Same size as the preprocessed image, and resized to the reference's 512 x 512.
                    for mapping in [BoxMapping(geometry: g), BoxMapping(geometry: g, inputWidth: 512, inputHeight: 512)] {
                        for lesion in lesions.dropFirst() {
                            let back = mapping.toSource(mapping.toInput(lesion))
                            #expect(abs(back.xmin - lesion.xmin) < 0.5 && abs(back.xmax - lesion.xmax) < 0.5
                                    && abs(back.ymin - lesion.ymin) < 0.5 && abs(back.ymax - lesion.ymax) < 0.5, "\(profile) flipped \(flipped) \(padding)")
                            let input = mapping.toInput(lesion)
                            #expect(input.xmin < input.xmax && input.ymin < input.ymax)
                        }
                    }
                }
            }
        }
    }

    @Test func aFlipMirrorsWithinTheCrop() throws {
        let g = try Self.geometry(profile: "standard", flipped: true, padding: [0, 0, 0, 0])
        // x 150..200 is 50..100 inside the crop (width 1800): mirrored 1700..1750, times 0.08.
        let input = BoxMapping(geometry: g).toInput(BoundingBox(xmin: 150, ymin: 40, xmax: 200, ymax: 140))
        #expect(abs(input.xmin - 136) < 1e-9 && abs(input.xmax - 140) < 1e-9)
        #expect(abs(input.ymin) < 1e-9 && abs(input.ymax - 100 * 0.0744618964514253) < 1e-9)
    }
}
