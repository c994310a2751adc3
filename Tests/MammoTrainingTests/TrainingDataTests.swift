import Foundation
import MammoImaging
import MammoModels
import MammoText
import MammoSynth
@testable import MammoTraining
import Testing
import TestSupport
import Torch
@testable import MammoData

/// A small synthetic cohort, preprocessed to PNGs named by image id (made once per test process).
enum TinyCohort {
    static let root = FileManager.default.temporaryDirectory.appendingPathComponent("mammofm-training-\(getpid())")
    static var csv: URL { root.appendingPathComponent("cohort/mammoclip/pretrain.csv") }
    static var vindr: URL { root.appendingPathComponent("cohort/vindr/finding_annotations.csv") }
    static var images: URL { root.appendingPathComponent("prepared/images") }

    static let ready: Result<Void, Error> = Result { try PreparedCohort.make(at: root, patients: 12, seed: 3) }

    /// A configuration for tiny fast runs on this cohort.
    static func config(output: String) -> PretrainConfig {
        var c = PretrainConfig()
        c.model.inputHeight = 64
        c.model.inputWidth = 40
        c.model.maxTextLength = 48
        c.data.csv = csv.path
        c.data.images = images.path
        c.data.trainSplits = ["train", "validation"]
        c.data.validationSplits = ["test"]
        c.data.vocabularySize = 400
        c.training.epochs = 2
        c.training.batchSize = 4
        c.training.learningRate = 2e-3
        c.training.warmupEpochs = 0.2
        c.training.workers = 2
        c.training.checkpointEvery = 3
        c.output = FileManager.default.temporaryDirectory.appendingPathComponent("mammofm-training-\(getpid())-\(output)").path
        try? FileManager.default.removeItem(atPath: c.output)
        return c
    }
}

@Suite(.serialized) struct TrainingDataTests {
    @Test func pythonListLiteralsParse() {
        #expect(PythonLiteral.strings("['a.png', 'b.png']") == ["a.png", "b.png"])
        #expect(PythonLiteral.strings("[\"it's\", 'x\\'y']") == ["it's", "x'y"])
        #expect(PythonLiteral.strings("plain text") == ["plain text"])
        #expect(PythonLiteral.strings("[]") == [])
    }

    @Test func mammoClipCSVReadsBreastsAndDrawsLikeTheReference() throws {
        try TinyCohort.ready.get()
        let train = try ImageTextDataset.mammoClipCSV(TinyCohort.csv, imageRoot: TinyCohort.images, splits: ["train"])
        let test = try ImageTextDataset.mammoClipCSV(TinyCohort.csv, imageRoot: TinyCohort.images, splits: ["test"])
        #expect(!train.samples.isEmpty && !test.samples.isEmpty)
        #expect(Set(train.samples.map(\.patientID)).isDisjoint(with: Set(test.samples.map(\.patientID))))
        for sample in train.samples {
            #expect(sample.cc.count == 1 && sample.mlo.count == 1 && sample.texts.count == 2 && sample.paraphrases.count == 2)
            #expect(sample.texts.allSatisfy { $0 == $0.lowercased() && !$0.contains("[") })
        }
        var rng = SeededRandom(seed: 1, salt: 1)
        var orders = Set<String>()
        for _ in 0..<20 {
            let (a, b, t1, t2) = train.samples[0].draw(&rng, training: true)
            #expect(Set([a, b]) == Set([train.samples[0].cc[0], train.samples[0].mlo[0]]))
            #expect(!t1.isEmpty && !t2.isEmpty)
            orders.insert(a.lastPathComponent)
        }
        #expect(orders.count == 2, "CC and MLO come in both orders")
        let fixed = train.samples[0].draw(&rng, training: false)
        #expect(fixed.0 == train.samples[0].cc[0] && fixed.2 == train.samples[0].texts[0])

        // Without a split column the fold column selects rows.
        let rows = try CSVFile.read(TinyCohort.csv)
        let splitIndex = try #require(rows[0].firstIndex(of: "split")), foldIndex = try #require(rows[0].firstIndex(of: "fold"))
        let noSplit = TinyCohort.root.appendingPathComponent("folds.csv")
        try CSVFile.write(rows.map { row in row.enumerated().filter { $0.offset != splitIndex }.map(\.element) }, to: noSplit)
        let foldZero = try ImageTextDataset.mammoClipCSV(noSplit, imageRoot: TinyCohort.images, splits: [], folds: { $0 == 0 })
        #expect(foldZero.samples.count == rows.dropFirst().filter { $0[foldIndex] == "0" }.count && !foldZero.samples.isEmpty)

        // Clear errors for a missing column and a missing image.
        let bad = TinyCohort.root.appendingPathComponent("bad.csv")
        try CSVFile.write([["patient_id", "image"], ["P1", "['x.png']"]], to: bad)
        #expect(throws: InputError.badFile(path: bad.path, reason: "missing column 'text' (columns: patient_id, image)")) {
            try ImageTextDataset.mammoClipCSV(bad, imageRoot: TinyCohort.images, splits: ["train"])
        }
        try CSVFile.write([["patient_id", "image", "text"], ["P1", "['x.png']", "['some report text here']"]], to: bad)
        do {
            _ = try ImageTextDataset.mammoClipCSV(bad, imageRoot: TinyCohort.images, splits: ["train"])
            Issue.record("a missing image was accepted")
        } catch let error as InputError {
            #expect("\(error)".contains("image 'x.png' not found"))
        }
    }

    @Test func augmentationIsSeededAndMovesBoxesWithThePixels() throws {
        let augmenter = Augmenter()
        let (h, w) = (64, 48)
        // A bright square on a dark image.
        var pixels = [Float](repeating: 0, count: h * w)
        for y in 20..<30 { for x in 10..<18 { pixels[y * w + x] = 1 } }
        let image = try Tensor(pixels, shape: [1, 1, h, w])
        var identity = Augmenter()
        (identity.horizontalFlip, identity.verticalFlip, identity.affine, identity.elastic) = (0, 0, 0, 0)
        var rng = SeededRandom(seed: 5, salt: 2)
        let same = try identity.apply(identity.draw(&rng, width: w, height: h), to: image)
        #expect(try maxDifference(same, image) < 1e-5)
        var flips = identity
        (flips.horizontalFlip, flips.verticalFlip) = (1, 0)
        #expect(try maxDifference(flips.apply(flips.draw(&rng, width: w, height: h), to: image), image.flip([3])) < 1e-5)

        for seed in 0..<12 {
            var a = SeededRandom(seed: UInt64(seed), salt: 3), b = SeededRandom(seed: UInt64(seed), salt: 3)
            var noElastic = augmenter
            noElastic.elastic = 0
            let draw = noElastic.draw(&a, width: w, height: h)
            let out = try noElastic.apply(draw, to: image)
            #expect(try maxDifference(out, noElastic.apply(noElastic.draw(&b, width: w, height: h), to: image)) == 0, "seeded")
            guard let box = noElastic.transform(box: (10, 20, 18, 30), draw, width: w, height: h) else { continue }
            // Every clearly bright output pixel lies in the transformed box (one pixel of resampling slack).
            let values = try out.toArray(Float.self)
            for y in 0..<h {
                for x in 0..<w where values[y * w + x] > 0.5 {
                    #expect(Double(x) + 0.5 >= box.x0 - 1 && Double(x) + 0.5 <= box.x1 + 1 && Double(y) + 0.5 >= box.y0 - 1 && Double(y) + 0.5 <= box.y1 + 1,
                            "seed \(seed): bright pixel (\(x), \(y)) outside \(box)")
                }
            }
        }
        // The elastic part stays small at the reference's settings (alpha 10, sigma 15).
        let offsets = try augmenter.elasticOffsets(seed: 9, height: h, width: w)
        #expect(try offsets.abs().max().item() * Double(w) / 2 < 1.0)
    }

    @Test func loaderGivesTheSameBatchesInOrderWithAnyWorkerCount() throws {
        let make: @Sendable (Int) throws -> [Int] = { n in
            var rng = SeededRandom(seed: 7, salt: 4, UInt64(n))
            usleep(UInt32(rng.integer(0...2000)))
            return [n, rng.integer(0...1000)]
        }
        func all(_ workers: Int) throws -> [[Int]] {
            let loader = BatchLoader<[Int]>(start: 3, end: 40, workers: workers, prefetch: 3, make: make)
            var out: [[Int]] = []
            while let b = try loader.next() { out.append(b) }
            return out
        }
        let one = try all(1)
        #expect(one.map { $0[0] } == Array(3..<40))
        #expect(try all(4) == one)
        let failing = BatchLoader<Int>(start: 0, end: 5, workers: 2, prefetch: 2) { n in
            if n == 2 { throw TrainingError.badData(path: "x", reason: "broken") }
            return n
        }
        #expect(try failing.next() == 0)
        #expect(try failing.next() == 1)
        #expect(throws: TrainingError.self) { try failing.next() }
        failing.stop()
    }

    @Test func configurationReadsYAMLWithOverridesAndRejectsUnknownKeys() throws {
        let url = TinyCohort.root.appendingPathComponent("run.yaml")
        try FileManager.default.createDirectory(at: TinyCohort.root, withIntermediateDirectories: true)
        try "model:\n  preset: tiny\ntraining:\n  batch_size: 12\n  clip_norm: 1.0\naugmentation:\n  elastic: 0\n".write(to: url, atomically: true, encoding: .utf8)
        let config = try PretrainConfig.load(yaml: url, overrides: ["training.learning_rate=0.01", "output=/tmp/x", "data.train_splits=[a, b]"])
        #expect(config.training.batchSize == 12 && config.training.clipNorm == 1.0 && config.augmentation.elastic == 0)
        #expect(config.training.learningRate == 0.01 && config.output == "/tmp/x" && config.data.trainSplits == ["a", "b"])
        #expect(config.training.epochs == 15, "defaults fill the rest")
        #expect(throws: TrainingError.self) { try PretrainConfig.load(yaml: nil, overrides: ["training.batch_sise=3"]) }
        #expect(throws: TrainingError.self) { try PretrainConfig.load(yaml: nil, overrides: ["trainer.epochs=3"]) }
        #expect(throws: TrainingError.self) { try PretrainConfig.load(yaml: nil, overrides: ["training.epochs=many"]) }
        // Text tower overrides reach the model configuration; bad values name the key.
        let text = try PretrainConfig.load(yaml: nil, overrides: ["model.text_layers=1", "model.text_pooling=mean"])
        let model = try Pretrainer.modelConfig(text.model, vocabularySize: 300)
        #expect(model.text.bert.numHiddenLayers == 1 && model.text.pooling == .mean && model.text.bert.vocabSize == 300)
        #expect(try Pretrainer.modelConfig(PretrainConfig.Model(), vocabularySize: 300).text.pooling == .eos, "the preset's pooling by default")
        // No transformer layers: mean-pooled word + position embeddings, still a working text tower.
        var embeddingsOnly = text.model
        embeddingsOnly.textLayers = 0
        let bagOfWords = try MammoClip(config: Pretrainer.modelConfig(embeddingsOnly, vocabularySize: 300))
        let ids = try Tensor([2, 17, 40, 3, 0, 2, 9, 3, 0, 0] as [Int64], shape: [2, 5])
        let mask = try Tensor([1, 1, 1, 1, 0, 1, 1, 1, 0, 0] as [Int64], shape: [2, 5])
        let embedded = try bagOfWords.encodeText(inputIds: ids, attentionMask: mask)
        #expect(embedded.shape == [2, 64] && bagOfWords.namedParameters().allSatisfy { !$0.0.contains("encoder.layer.") })
        // Image tower scaling: a wider tiny EfficientNet (16-channel stem at width 0.5).
        let wide = try PretrainConfig.load(yaml: nil, overrides: ["model.image_width_coefficient=0.5", "model.image_depth_coefficient=0.5"])
        let wideConfig = try Pretrainer.modelConfig(wide.model, vocabularySize: 300)
        #expect(wideConfig.image.efficientNet.widthCoefficient == 0.5 && wideConfig.image.efficientNet.depthCoefficient == 0.5)
        #expect(wideConfig.image.efficientNet.variant == "custom" && wideConfig.image.efficientNet.roundFilters(32) == 16)
        // An unknown pooling fails when the configuration is read, with the allowed values.
        #expect { _ = try PretrainConfig.load(yaml: nil, overrides: ["model.text_pooling=max"]) } throws: {
            "\($0)".contains("model.text_pooling") && "\($0)".contains("eos")
        }
        for bad in ["model.text_layers=-1", "model.image_width_coefficient=0", "model.image_depth_coefficient=-1"] {
            let config = try PretrainConfig.load(yaml: nil, overrides: [bad])
            #expect(throws: TrainingError.self) { try Pretrainer.modelConfig(config.model, vocabularySize: 300) }
        }
        for name in ["tiny", "tiny-quick", "b2", "b5"] {
            let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("configs/pretrain/\(name).yaml")
            #expect(throws: Never.self) { try PretrainConfig.load(yaml: file, overrides: []) }
        }
    }
}

@Suite(.serialized) struct ImageLabelDataTests {
    @Test func vindrAnnotationsBecomeBreastSamplesWithPromptTexts() throws {
        try TinyCohort.ready.get()
        let data = try ImageTextDataset.vindr(TinyCohort.vindr, imageRoot: TinyCohort.images, splits: ["training", "test"])
        let rows = try CSVFile.read(TinyCohort.vindr)
        let studies = Set(rows.dropFirst().map { $0[0] + "/" + $0[3] })
        #expect(data.samples.count == studies.count)
        var withMass = 0
        for sample in data.samples {
            let findings = try #require(sample.ccFindings).union(try #require(sample.mloFindings))
            var rng = SeededRandom(seed: 2, salt: 2)
            let (_, _, t1, t2) = sample.draw(&rng, training: false)
            let side = sample.laterality == "L" ? "left" : "right"
            #expect(t1.contains("\(side) breast") || t1 == "no mammographic evidence of malignancy")
            if findings.contains("Mass") {
                withMass += 1
                #expect((t1 + t2).contains("there is a mass"))
            } else {
                #expect(!(t1 + t2).contains("there is a mass"))
            }
        }
        #expect(withMass > 0)
        let bad = TinyCohort.root.appendingPathComponent("bad-vindr.csv")
        try CSVFile.write([["study_id", "image_id"], ["S", "I"]], to: bad)
        #expect(throws: InputError.self) { try ImageTextDataset.vindr(bad, imageRoot: TinyCohort.images, splits: ["training"]) }
    }

    @Test func mixedSourcesAreDrawnByWeight() throws {
        let sample = BreastImageText(patientID: "P", laterality: "L", cc: [URL(fileURLWithPath: "/a.png")], mlo: [], other: [],
                                     texts: ["t"], paraphrases: ["t"])
        let a = ImageTextDataset(samples: Array(repeating: sample, count: 100)), b = ImageTextDataset(samples: Array(repeating: sample, count: 50))
        let mixed = ImageTextDataset.mixed([(a, 1), (b, 3)])
        let tokenizer = try WordPieceTokenizer(vocabulary: VocabularyBuilder.build(from: ["t"], size: 20))
        let builder = PretrainingBatchBuilder(dataset: mixed, tokenizer: tokenizer, inputHeight: 8, inputWidth: 8, channels: 3,
                                              maxTextLength: 8, augmenter: Augmenter(), seed: 4)
        var fromB = 0, total = 0
        for epoch in 0..<20 {
            let order = builder.order(epoch: epoch)
            #expect(order.count == 150)
            fromB += order.filter { $0 >= 100 }.count
            total += order.count
        }
        let share = Double(fromB) / Double(total)
        #expect(share > 0.7 && share < 0.8, "share of the weight-3 source: \(share)")
        #expect(builder.order(epoch: 3) == builder.order(epoch: 3))
    }

    /// Label samples that share an image with the held-out split are dropped (patients must not leak
    /// from validation into training through a second table).
    @Test func labelSamplesSharingValidationImagesAreDropped() {
        func breast(_ id: String, _ cc: String, _ mlo: String) -> BreastImageText {
            BreastImageText(patientID: id, laterality: "L", cc: [URL(fileURLWithPath: "/data/images/\(cc).png")],
                            mlo: [URL(fileURLWithPath: "/data/images/./\(mlo).png")], other: [], texts: ["x"], paraphrases: ["x"])
        }
        let labels = ImageTextDataset(samples: [breast("E1", "a", "b"), breast("E2", "c", "d"), breast("E3", "e", "f")])
        let validation = ImageTextDataset(samples: [breast("P1", "x", "d")])
        let (kept, dropped) = labels.excludingImages(of: validation)
        #expect(dropped == 1)
        #expect(kept.samples.map(\.patientID) == ["E1", "E3"])
    }

    /// Grouped batches: every full batch of a key holds that key only, no sample is lost or repeated,
    /// and the same seed gives the same order.
    @Test func batchesGroupedByAttributeShareIt() {
        let names = ["L/C", "R/C", "L/A", "R/B"]
        let keys: [String] = (0..<103).map { (i: Int) -> String in names[i % 4 == 3 && i > 60 ? 0 : i % 4] }
        let order = Array((0..<103).reversed())
        var a = SeededRandom(seed: 5, salt: 13, 0), b = SeededRandom(seed: 5, salt: 13, 0)
        let grouped = BatchComposition.grouped(order, batchSize: 8, key: { keys[$0] }, rng: &a)
        #expect(grouped == BatchComposition.grouped(order, batchSize: 8, key: { keys[$0] }, rng: &b))
        #expect(grouped.sorted() == Array(0..<103))
        let batches = stride(from: 0, to: 96, by: 8).map { Array(grouped[$0..<($0 + 8)]) }
        let pure = batches.filter { Set($0.map { keys[$0] }).count == 1 }
        // Per key: floor(count / 8) pure batches; the remainders form the rest.
        var fullBatches = 0
        for name in names { fullBatches += keys.filter { $0 == name }.count / 8 }
        #expect(pure.count >= fullBatches)
        let sample = BreastImageText(patientID: "P", laterality: "L", cc: [], mlo: [], other: [], texts: [], paraphrases: [], density: "C")
        #expect(BatchComposition.key(sample, by: [.laterality, .density]) == "L/C")
        #expect(BatchComposition.key(sample, by: [.density]) == "C")
    }
}
