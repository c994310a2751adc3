import Foundation
import MammoData
@testable import MammoDetection
import MammoEvaluation
import MammoImaging
import MammoModels
import Testing
import TestSupport
import Torch

@Suite struct DetectorAugmentationTests {
    /// Under the reference's geometric augmentation each image's bright lesion stays inside its
    /// transformed box, and the box is tight around it (the affine part moves both the same way).
    @Test func boxesFollowTheirLesionsThroughAffineAndElasticTransforms() throws {
        try DetectionFixture.ready.get()
        let folder = DetectionFixture.root.appendingPathComponent("augmentation-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let size = 64
        var samples: [DetectorSample] = []
        for (i, lesion) in [(20, 14, 34, 30), (6, 40, 18, 58), (40, 8, 58, 20), (28, 30, 44, 50)].enumerated() {
            var pixels = [UInt16](repeating: 10, count: size * size)
            for y in lesion.1..<lesion.3 { for x in lesion.0..<lesion.2 { pixels[y * size + x] = 250 } }
            let url = folder.appendingPathComponent("L\(i).png")
            try GrayscaleImage(width: size, height: size, bitDepth: 8, pixels: pixels).writePNG(url)
            let box = BoundingBox(xmin: Double(lesion.0), ymin: Double(lesion.1), xmax: Double(lesion.2), ymax: Double(lesion.3))
            samples.append(DetectorSample(image: .init(imageID: "L\(i)", patientID: "P", split: .train, density: nil, lesions: []), url: url,
                                          mapping: BoxMapping(geometry: .identity(width: size, height: size)), targets: [(box, 0)]))
        }
        let loaded = try MammoClipLoader.load(DetectionFixture.model)
        var settings = DetectorTraining()
        settings.geometric = true
        let trainer = try DetectorTrainer(findings: [.mass], tower: loaded.model.config.image, weights: nil, startingModelHash: nil,
                                          imagesFolder: folder, inputHeight: size, inputWidth: size, pyramidWidth: 16, settings: settings)
        var moved = 0
        for round in 0..<3 {
            var rng: SeededRandom? = SeededRandom(seed: UInt64(round), salt: 203)
            let (images, targets) = try trainer.batch(ArraySlice(samples), rng: &rng)
            let values = try images.select(dim: 1, index: 0).contiguous().toArray(Float.self)
            for (i, target) in targets.enumerated() {
                let plane = values[(i * size * size)..<((i + 1) * size * size)]
                let low = plane.min()!, high = plane.max()!
                var bright: [(Int, Int)] = []
                for y in 0..<size { for x in 0..<size where plane[plane.startIndex + y * size + x] > (low + high) / 2 { bright.append((x, y)) } }
                guard let box = target.first?.box else { continue }   // pushed out of the image
                #expect(!bright.isEmpty)
                // Every bright pixel inside the box (a pixel's slack for resampling and the elastic part).
                #expect(bright.allSatisfy { Float($0.0) >= box[0] - 1.5 && Float($0.0) + 1 <= box[2] + 1.5
                                            && Float($0.1) >= box[1] - 1.5 && Float($0.1) + 1 <= box[3] + 1.5 }, "image \(i) round \(round)")
                // The box is the rotated rectangle's hull: the lesion covers a good part of it.
                let area = Double((box[2] - box[0]) * (box[3] - box[1]))
                #expect(Double(bright.count) > 0.3 * area, "image \(i) round \(round): \(bright.count) bright pixels in a box of \(area)")
                if box != [Float(samples[i].targets[0].box.xmin), Float(samples[i].targets[0].box.ymin),
                           Float(samples[i].targets[0].box.xmax), Float(samples[i].targets[0].box.ymax)] { moved += 1 }
            }
        }
        #expect(moved >= 8)
    }
}
