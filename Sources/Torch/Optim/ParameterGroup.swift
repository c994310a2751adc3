/// Parameters that share optimiser settings, as a torch.optim param group.
public struct ParameterGroup {
    public var parameters: [Tensor]
    /// The current learning rate (schedules rewrite it each step).
    public var learningRate: Double
    /// The learning rate a schedule scales from.
    public var baseLearningRate: Double
    public var weightDecay: Double

    public init(_ parameters: [Tensor], learningRate: Double, weightDecay: Double = 0) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.baseLearningRate = learningRate
        self.weightDecay = weightDecay
    }

    /// Two groups, open_clip style: weight decay for matrices and kernels, none for parameters
    /// with at most one dimension (biases, norm scales, logit scale). Frozen parameters are left out.
    public static func decaySplit(_ parameters: [Tensor], learningRate: Double, weightDecay: Double) -> [ParameterGroup] {
        let trainable = parameters.filter(\.requiresGrad)
        return [
            ParameterGroup(trainable.filter { $0.rank >= 2 }, learningRate: learningRate, weightDecay: weightDecay),
            ParameterGroup(trainable.filter { $0.rank <= 1 }, learningRate: learningRate, weightDecay: 0),
        ].filter { !$0.parameters.isEmpty }
    }
}
