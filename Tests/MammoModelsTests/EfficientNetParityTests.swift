import Foundation
import Testing
import Torch
@testable import MammoModels

/// EfficientNet against efficientnet_pytorch 0.7.1 and timm (fixture: efficientnet.safetensors).
@Suite(.serialized) struct EfficientNetParityTests {
    static let fixture = Result { try SafetensorsFile(url: ModelFixtures.url("efficientnet.safetensors")) }

    func check(_ prefix: String, model: EfficientNet, train: Bool, endpoints: [Int] = [], gradients: [String],
               keyMap: [String: String] = [:]) throws {
        let file = try Self.fixture.get()
        model.train(train)
        let x = try file.tensor("\(prefix).input").requiresGrad(true)
        Torch.manualSeed(99)
        let features = try model.extractFeatures(x).features
        Torch.manualSeed(98)
        let output: Tensor
        var taps: [Int: Tensor] = [:]
        if endpoints.isEmpty {
            output = try model.forward(x)
        } else {
            let extracted = try model.extractFeatures(x, endpoints: Set(endpoints))
            taps = extracted.endpoints
            output = try model.classifier!(FeaturePooling.average(extracted.features))
        }
        #expect(try maxAbsDifference(features, file.tensor("\(prefix).features")) <= 1e-4, "\(prefix) features")
        #expect(try maxAbsDifference(output, file.tensor("\(prefix).output")) <= 1e-4, "\(prefix) output")
        for index in endpoints {
            #expect(try maxAbsDifference(try #require(taps[index]), file.tensor("\(prefix).endpoint.\(index)")) <= 1e-4, "\(prefix) block \(index)")
        }
        var loss = try (features * file.tensor("\(prefix).upstream.features")).sum()
        if file.entries["\(prefix).upstream.output"] != nil {
            loss = try loss + (output * file.tensor("\(prefix).upstream.output")).sum()
        } else {
            loss = try loss + output.sum()
        }
        try loss.backward()
        let inputGradient = try file.tensor("\(prefix).grad.input")
        let inputScale = Swift.max(1, try inputGradient.abs().max().item())
        #expect(try maxAbsDifference(try #require(x.grad), inputGradient) <= 1e-4 * inputScale, "\(prefix) input gradient")
        let parameters = Dictionary(uniqueKeysWithValues: model.namedParameters())
        // Gradients: 1e-4 absolute, scaled by the gradient's own magnitude when that exceeds 1 (in
        // training, batch norm over a 4 x 3 map amplifies gradients to ~1e3, where float32 keeps ~1e-5
        // relative).
        for name in gradients {
            let parameter = try #require(parameters[keyMap[name] ?? name], "no parameter \(name)")
            let expected = try file.tensor("\(prefix).grad.\(name)")
            let difference = try maxAbsDifference(try #require(parameter.grad), expected)
            let scale = Swift.max(1, try expected.abs().max().item())
            #expect(difference <= 1e-4 * scale, "\(prefix) gradient of \(name): \(difference) at scale \(scale)")
        }
        if train {
            #expect(try maxAbsDifference(model.bn1.runningMean, file.tensor("\(prefix).after.running_mean")) <= 1e-5)
            #expect(try maxAbsDifference(model.bn1.runningVar, file.tensor("\(prefix).after.running_var")) <= 1e-5)
        }
    }

    @Test(arguments: [false, true])
    func b0(train: Bool) throws {
        let model = try EfficientNet(config: .variant("b0", numClasses: 1000))
        try deterministicWeights(model)
        try check("b0.\(train ? "train" : "eval")", model: model, train: train,
                  gradients: ["_conv_stem.weight", "_blocks.3._depthwise_conv.weight", "_blocks.10._se_reduce.bias",
                              "_blocks.12._bn2.bias", "_bn1.weight", "_fc.bias"])
    }

    @Test(arguments: [false, true])
    func b2SingleChannel(train: Bool) throws {
        let model = try EfficientNet(config: .variant("b2", inputChannels: 1, numClasses: 3))
        #expect(model.blocks.count == 23 && model.featureChannels == 1408)
        try deterministicWeights(model)
        try check("b2.\(train ? "train" : "eval")", model: model, train: train, endpoints: train ? [] : [15, 21],
                  gradients: ["_conv_stem.weight", "_blocks.15._bn2.weight", "_fc.bias"])
    }

    @Test func timmTFEfficientNetB0ThroughTheKeyMapping() throws {
        let file = try Self.fixture.get()
        let keys = try JSONDecoder().decode([String: [Int]].self, from: Data(file.metadata["timm_b0.keys"]!.utf8))
        let timmWeights = try deterministicWeights(shapes: keys.map { ($0.key, $0.value, $0.key.hasSuffix("num_batches_tracked") ? .int64 : .float32) })
        var config = try EfficientNetConfig.variant("b0", numClasses: 5, padding: .dynamic)
        config.dropConnectRate = 0
        let model = try EfficientNet(config: config)
        try model.load(stateDict: TimmEfficientNetKeys.map(timmWeights))
        try check("timm_b0", model: model, train: false, gradients: ["conv_stem.weight", "blocks.1.0.conv_pw.weight"],
                  keyMap: ["conv_stem.weight": "_conv_stem.weight", "blocks.1.0.conv_pw.weight": "_blocks.1._expand_conv.weight"])
    }

    @Test func b5FeatureMapAtTheReferenceResolutionIs48By29() throws {
        let config = try EfficientNetConfig.variant("b5")
        #expect(config.blockCount == 39 && config.featureChannels == 2048 && config.nominalImageSize == 456)
        // The spatial size follows from the strides alone: ceil(1520 / 32) x ceil(912 / 32).
        #expect((sameOutputSize(1520, stride: 32), sameOutputSize(912, stride: 32)) == (48, 29))
        let b2 = try EfficientNetConfig.variant("b2")
        #expect(b2.blockCount == 23 && b2.featureChannels == 1408)
    }

    @Test func architectureIsRecoveredFromShapes() throws {
        for name in ["b0", "b2", "b5"] {
            let model = try EfficientNet(config: .variant(name, inputChannels: 1))
            let shapes = Dictionary(uniqueKeysWithValues: model.stateDict().map { ($0.0, $0.1.shape) })
            #expect(try EfficientNetConfig.infer(fromShapes: shapes) == model.config)
        }
        var custom = try EfficientNetConfig.variant("b0")
        custom.widthCoefficient = 0.25
        custom.depthCoefficient = 0.34
        let shapes = Dictionary(uniqueKeysWithValues: try EfficientNet(config: custom).stateDict().map { ($0.0, $0.1.shape) })
        let inferred = try EfficientNetConfig.infer(fromShapes: shapes)
        #expect(inferred.blockLayout == custom.blockLayout && inferred.variant == "custom")
    }

    @Test func gemPoolingMatchesTheFormula() throws {
        let x = try Tensor([1, 2, 3, 4] as [Float], shape: [1, 1, 2, 2])
        let pooled = try FeaturePooling.gem(p: 3, eps: 1e-6)(x).item()
        #expect(Swift.abs(pooled - pow((1 + 8 + 27 + 64) / 4.0, 1.0 / 3)) < 1e-5)
    }
}

@Suite struct BertParityTests {
    @Test func twoLayerBertWithPaddingMatchesTransformers() throws {
        let file = try SafetensorsFile(url: ModelFixtures.url("bert.safetensors"))
        let config = try BertConfig.load(ModelFixtures.url("bert_config.json"))
        #expect(config.numAttentionHeads == 4 && config.intermediateSize == 37)
        let model = try BertModel(config: config)
        try deterministicWeights(model)
        model.eval()
        let states = try model.forward(inputIds: file.tensor("input_ids"), attentionMask: file.tensor("attention_mask"),
                                       tokenTypeIds: file.tensor("token_type_ids"))
        #expect(try maxAbsDifference(states, file.tensor("last_hidden_state")) <= 1e-5)
        #expect(try maxAbsDifference(model.pooledOutput(states), file.tensor("pooler_output")) <= 1e-5)
    }

    /// The same weights saved by torch.save as pytorch_model.bin with "bert." keys and position_ids.
    @Test func huggingFaceFolderWithPickledWeightsLoads() throws {
        let file = try SafetensorsFile(url: ModelFixtures.url("bert.safetensors"))
        let bert = try HuggingFaceBert.load(directory: ModelFixtures.url("hf_bert_bin"))
        let states = try bert.model.forward(inputIds: file.tensor("input_ids"), attentionMask: file.tensor("attention_mask"),
                                            tokenTypeIds: file.tensor("token_type_ids"))
        #expect(try maxAbsDifference(states, file.tensor("last_hidden_state")) <= 1e-5)
        #expect(bert.tokenizer.vocabularySize == 99)
    }

    @Test func poolingPicksTheRightTokens() throws {
        let states = try Tensor.arange(0, 12, dtype: .float32).view([2, 3, 2])
        let mask = try Tensor([1, 1, 1, 1, 1, 0] as [Int64], shape: [2, 3])
        #expect(try TextPooling.eos(states, attentionMask: mask).toArray(Float.self) == [4, 5, 8, 9])
        #expect(try TextPooling.bos(states, attentionMask: mask).toArray(Float.self) == [0, 1, 6, 7])
        #expect(try TextPooling.mean(states, attentionMask: mask).toArray(Float.self) == [2, 3, 7, 8])
    }
}
