extension Module {
    /// Copies `weights` into this module's parameters and buffers by state-dict key.
    ///
    /// Strict (the default): throws `TorchError.stateDictMismatch` naming every missing key, every
    /// unused key and every shape mismatch, and changes nothing. Non-strict: loads each key whose
    /// name and shape match and returns the comparison of the rest.
    @discardableResult
    public func load(stateDict weights: [String: Tensor], strict: Bool = true) throws -> StateDictComparison {
        let own = stateDict()
        var comparison = StateDictComparison()
        var matched: [(Tensor, Tensor)] = []
        let ownKeys = Set(own.map(\.0))
        for (key, target) in own {
            guard let source = weights[key] else { comparison.missingKeys.append(key); continue }
            if source.shape != target.shape {
                comparison.shapeMismatches.append(.init(key: key, expected: target.shape, found: source.shape))
            } else {
                matched.append((target, source))
            }
        }
        comparison.unexpectedKeys = weights.keys.filter { !ownKeys.contains($0) }.sorted()
        if strict && !comparison.isClean { throw TorchError.stateDictMismatch(comparison) }
        for (target, source) in matched { try target.copy_(source) }
        return comparison
    }
}
