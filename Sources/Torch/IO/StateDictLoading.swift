extension Module {
    /// Copies `weights` into this module's parameters and buffers by state-dict key.
    ///
    /// Strict (the default): throws `TorchError.stateDictMismatch` naming every missing key, every
    /// unused key and every shape mismatch, and changes nothing. Non-strict: loads each key whose
    /// name and shape match and returns the report of the rest.
    @discardableResult
    public func load(stateDict weights: [String: Tensor], strict: Bool = true) throws -> StateDictReport {
        let own = stateDict()
        var report = StateDictReport()
        var matched: [(Tensor, Tensor)] = []
        let ownKeys = Set(own.map(\.0))
        for (key, target) in own {
            guard let source = weights[key] else { report.missingKeys.append(key); continue }
            if source.shape != target.shape {
                report.shapeMismatches.append(.init(key: key, expected: target.shape, found: source.shape))
            } else {
                matched.append((target, source))
            }
        }
        report.unexpectedKeys = weights.keys.filter { !ownKeys.contains($0) }.sorted()
        if strict && !report.isClean { throw TorchError.stateDictMismatch(report) }
        for (target, source) in matched { try target.copy_(source) }
        return report
    }
}
