import CTorch
import Foundation

/// Base of the optimisers: parameter groups, per-parameter state tensors, learning-rate
/// schedules and saving/restoring of the state (safetensors + JSON metadata).
open class Optimizer {
    public var groups: [ParameterGroup]
    /// Per parameter (group index, position) the named state tensors, e.g. "exp_avg".
    var state: [[String: Tensor]]
    /// Per parameter the number of steps taken.
    var stepCounts: [Int]

    public init(groups: [ParameterGroup]) {
        self.groups = groups
        let count = groups.reduce(0) { $0 + $1.parameters.count }
        state = Array(repeating: [:], count: count)
        stepCounts = Array(repeating: 0, count: count)
    }

    /// The name written into saved state, checked on restore.
    open var kind: String { "Optimizer" }

    /// Updates one parameter from its gradient. `slot` indexes `state` and `stepCounts`.
    open func update(_ parameter: Tensor, gradient: Tensor, group: ParameterGroup, slot: Int) throws {
        fatalError("subclasses implement update")
    }

    /// One optimisation step over every parameter that has a gradient.
    public func step() throws {
        var slot = 0
        for group in groups {
            for parameter in group.parameters {
                defer { slot += 1 }
                guard let gradient = parameter.grad else { continue }
                stepCounts[slot] += 1
                try update(parameter, gradient: gradient, group: group, slot: slot)
            }
        }
    }

    /// Clears every parameter's gradient.
    public func zeroGrad(setToNone: Bool = true) throws {
        for group in groups { for p in group.parameters { try p.zeroGrad(setToNone: setToNone) } }
    }

    /// Sets each group's learning rate to its base rate times `schedule`'s factor at `step`.
    public func apply(_ schedule: any LearningRateSchedule, step: Int) {
        let factor = schedule.factor(step: step)
        for i in groups.indices { groups[i].learningRate = groups[i].baseLearningRate * factor }
    }

    /// All parameters of all groups, in slot order.
    public var allParameters: [Tensor] { groups.flatMap(\.parameters) }

    /// State tensor `name` of a slot, created as zeros like the parameter on first use.
    func stateTensor(_ name: String, slot: Int, like parameter: Tensor) throws -> Tensor {
        if let t = state[slot][name] { return t }
        let t = try Tensor.zeros(parameter.shape, dtype: parameter.dtype, device: parameter.device)
        state[slot][name] = t
        return t
    }

    // MARK: persistence

    struct Metadata: Codable {
        var kind: String
        var groups: [GroupMetadata]
        var stepCounts: [Int]
        struct GroupMetadata: Codable { var count: Int; var learningRate: Double; var baseLearningRate: Double; var weightDecay: Double }
    }

    /// Writes the optimiser state (moments, step counts, group settings) to a safetensors file.
    public func save(to url: URL) throws {
        var tensors: [(String, Tensor)] = []
        for (slot, entries) in state.enumerated() {
            for (name, t) in entries.sorted(by: { $0.key < $1.key }) { tensors.append(("state.\(slot).\(name)", t)) }
        }
        let metadata = Metadata(kind: kind, groups: groups.map {
            .init(count: $0.parameters.count, learningRate: $0.learningRate, baseLearningRate: $0.baseLearningRate, weightDecay: $0.weightDecay)
        }, stepCounts: stepCounts)
        let json = String(decoding: try JSONEncoder().encode(metadata), as: UTF8.self)
        try Safetensors.write(tensors, metadata: ["mammofm.optimizer": json], to: url)
    }

    /// Restores state saved by `save(to:)` for the same parameters (same groups, counts, shapes).
    public func load(from url: URL) throws {
        let file = try SafetensorsFile(url: url)
        guard let json = file.metadata["mammofm.optimizer"],
              let metadata = try? JSONDecoder().decode(Metadata.self, from: Data(json.utf8)) else {
            throw TorchError.io(path: url.path, reason: "not an optimiser state file (no mammofm.optimizer metadata)")
        }
        guard metadata.kind == kind else {
            throw TorchError.io(path: url.path, reason: "holds \(metadata.kind) state, cannot restore into \(kind)")
        }
        guard metadata.groups.map(\.count) == groups.map(\.parameters.count) else {
            throw TorchError.io(path: url.path, reason: "parameter groups of sizes \(metadata.groups.map(\.count)) do not match \(groups.map(\.parameters.count))")
        }
        let parameters = allParameters
        var restored = Array(repeating: [String: Tensor](), count: parameters.count)
        for key in file.keys {
            let parts = key.split(separator: ".", maxSplits: 2)
            guard parts.count == 3, parts[0] == "state", let slot = Int(parts[1]), slot < parameters.count else {
                throw TorchError.io(path: url.path, reason: "unexpected entry '\(key)'")
            }
            let t = try file.tensor(key)
            guard t.shape == parameters[slot].shape else {
                throw TorchError.io(path: url.path, reason: "'\(key)' has shape \(t.shape), parameter \(slot) has \(parameters[slot].shape)")
            }
            restored[slot][String(parts[2])] = try t.to(parameters[slot].dtype, device: parameters[slot].device)
        }
        state = restored
        stepCounts = metadata.stepCounts
        for (i, g) in metadata.groups.enumerated() {
            groups[i].learningRate = g.learningRate
            groups[i].baseLearningRate = g.baseLearningRate
            groups[i].weightDecay = g.weightDecay
        }
    }
}

/// Stochastic gradient descent with momentum, dampening and Nesterov momentum (torch.optim.SGD).
public final class SGD: Optimizer {
    public let momentum: Double
    public let dampening: Double
    public let nesterov: Bool

    public init(groups: [ParameterGroup], momentum: Double = 0, dampening: Double = 0, nesterov: Bool = false) throws {
        guard !nesterov || (momentum > 0 && dampening == 0) else {
            throw TorchError.invalidArgument("Nesterov momentum requires a momentum and zero dampening")
        }
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        super.init(groups: groups)
    }

    public convenience init(_ parameters: [Tensor], learningRate: Double, momentum: Double = 0, dampening: Double = 0,
                            weightDecay: Double = 0, nesterov: Bool = false) throws {
        try self.init(groups: [ParameterGroup(parameters, learningRate: learningRate, weightDecay: weightDecay)],
                      momentum: momentum, dampening: dampening, nesterov: nesterov)
    }

    public override var kind: String { "SGD" }

    public override func update(_ parameter: Tensor, gradient: Tensor, group: ParameterGroup, slot: Int) throws {
        let buffer = momentum != 0 ? try stateTensor("momentum_buffer", slot: slot, like: parameter) : nil
        try check(ct_sgd_step(parameter.handle, gradient.handle, buffer?.handle, group.learningRate, momentum, dampening,
                              group.weightDecay, nesterov, stepCounts[slot] == 1), "SGD step")
    }
}

/// Adam (L2 penalty added to the gradient) or AdamW (decoupled weight decay), with the arithmetic
/// of torch.optim's single-tensor implementation.
public final class Adam: Optimizer {
    public let beta1: Double
    public let beta2: Double
    public let eps: Double
    public let decoupledWeightDecay: Bool

    public init(groups: [ParameterGroup], betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8, decoupledWeightDecay: Bool = false) {
        beta1 = betas.0
        beta2 = betas.1
        self.eps = eps
        self.decoupledWeightDecay = decoupledWeightDecay
        super.init(groups: groups)
    }

    /// Adam over one group (torch defaults: weight decay 0).
    public convenience init(_ parameters: [Tensor], learningRate: Double = 1e-3, betas: (Double, Double) = (0.9, 0.999),
                            eps: Double = 1e-8, weightDecay: Double = 0) {
        self.init(groups: [ParameterGroup(parameters, learningRate: learningRate, weightDecay: weightDecay)], betas: betas, eps: eps)
    }

    /// AdamW over the given groups (use `ParameterGroup.decaySplit` to spare biases and norms).
    public static func adamW(groups: [ParameterGroup], betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8) -> Adam {
        Adam(groups: groups, betas: betas, eps: eps, decoupledWeightDecay: true)
    }

    /// AdamW over one group (torch defaults: lr 1e-3, weight decay 1e-2).
    public static func adamW(_ parameters: [Tensor], learningRate: Double = 1e-3, weightDecay: Double = 1e-2,
                             betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8) -> Adam {
        adamW(groups: [ParameterGroup(parameters, learningRate: learningRate, weightDecay: weightDecay)], betas: betas, eps: eps)
    }

    public override var kind: String { decoupledWeightDecay ? "AdamW" : "Adam" }

    public override func update(_ parameter: Tensor, gradient: Tensor, group: ParameterGroup, slot: Int) throws {
        let m = try stateTensor("exp_avg", slot: slot, like: parameter)
        let v = try stateTensor("exp_avg_sq", slot: slot, like: parameter)
        try check(ct_adam_step(parameter.handle, gradient.handle, m.handle, v.handle, group.learningRate, beta1, beta2, eps,
                               group.weightDecay, decoupledWeightDecay, Int64(stepCounts[slot])), "\(kind) step")
    }
}

/// Scales the gradients of `parameters` in place so their joint norm is at most `maxNorm`
/// (torch.nn.utils.clip_grad_norm_); returns the norm before clipping.
@discardableResult
public func clipGradientNorm(_ parameters: [Tensor], maxNorm: Double, normType: Double = 2) throws -> Double {
    let gradients = parameters.compactMap(\.grad)
    var total = 0.0
    try withHandles(gradients) { handles in
        try check(ct_clip_grad_norm(handles, Int32(gradients.count), maxNorm, normType, &total), "clip_grad_norm")
    }
    return total
}
