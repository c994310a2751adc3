/// A building block of a model: it owns parameters, buffers and child modules under names that
/// ARE the PyTorch state-dict keys, so weights load by name with no renaming tables.
///
/// Subclasses create their tensors and children, then register them under their PyTorch names:
///
///     final class Attention: Module {
///         let query: Linear
///         init(width: Int) throws {
///             query = try Linear(width, width)
///             super.init()
///             register("query", query)   // keys: query.weight, query.bias
///         }
///     }
open class Module {
    private var parameterSlots: [(name: String, tensor: Tensor?)] = []
    private var bufferSlots: [(name: String, tensor: Tensor, persistent: Bool)] = []
    private var childSlots: [(name: String, module: Module)] = []

    /// Whether the module (and its children) behave as in training: dropout active, batch norm
    /// using and updating batch statistics.
    public private(set) var isTraining = true

    public init() {}

    // MARK: registration

    /// Registers a trainable tensor (or an absent optional one, such as a missing bias).
    public func register(parameter name: String, _ tensor: Tensor?) {
        precondition(!name.contains("."), "parameter names cannot contain '.': \(name)")
        parameterSlots.append((name, tensor))
    }

    /// Registers a state tensor that is not trained (running statistics); persistent buffers are
    /// part of the state dict.
    public func register(buffer name: String, _ tensor: Tensor, persistent: Bool = true) {
        bufferSlots.append((name, tensor, persistent))
    }

    /// Registers a child module; its keys are prefixed with `name.`.
    public func register(_ name: String, _ child: Module) {
        childSlots.append((name, child))
    }

    // MARK: traversal

    /// The direct children with their names.
    public var children: [(name: String, module: Module)] { childSlots }

    /// Every module in the tree (self first) with its dotted path.
    public func namedModules(prefix: String = "") -> [(String, Module)] {
        var result: [(String, Module)] = [(prefix, self)]
        for (name, child) in childSlots {
            result += child.namedModules(prefix: prefix.isEmpty ? name : "\(prefix).\(name)")
        }
        return result
    }

    /// Every parameter with its state-dict key, in PyTorch's order.
    public func namedParameters() -> [(String, Tensor)] {
        namedModules().flatMap { path, module in
            module.parameterSlots.compactMap { slot in slot.tensor.map { (key(path, slot.name), $0) } }
        }
    }

    public func parameters() -> [Tensor] { namedParameters().map(\.1) }

    /// Parameters that currently require gradients.
    public func trainableParameters() -> [Tensor] { parameters().filter(\.requiresGrad) }

    public func namedBuffers(persistentOnly: Bool = false) -> [(String, Tensor)] {
        namedModules().flatMap { path, module in
            module.bufferSlots.filter { !persistentOnly || $0.persistent }.map { (key(path, $0.name), $0.tensor) }
        }
    }

    /// Parameters and persistent buffers by key, in the order torch's state_dict() gives them.
    public func stateDict() -> [(String, Tensor)] {
        namedModules().flatMap { path, module in
            module.parameterSlots.compactMap { slot in slot.tensor.map { (key(path, slot.name), $0) } }
                + module.bufferSlots.filter(\.persistent).map { (key(path, $0.name), $0.tensor) }
        }
    }

    /// Total number of parameter elements.
    public var parameterCount: Int { parameters().reduce(0) { $0 + $1.elementCount } }

    private func key(_ path: String, _ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

    // MARK: modes

    /// Switches this module and its children to training (or evaluation) behaviour.
    open func train(_ on: Bool = true) {
        for (_, module) in namedModules() { module.isTraining = on }
    }

    public func eval() { train(false) }

    /// Stops (or restarts) gradient computation for every parameter, e.g. to lock a tower.
    public func freeze(_ frozen: Bool = true) throws {
        for p in parameters() { try p.requiresGrad(!frozen) }
    }

    /// Clears the gradients of every parameter.
    public func zeroGrad(setToNone: Bool = true) throws {
        for p in parameters() { try p.zeroGrad(setToNone: setToNone) }
    }

    /// Converts or moves every parameter and buffer in place, as torch's Module.to: the tensors
    /// keep their identity (references held elsewhere stay valid); only floating-point tensors
    /// change dtype.
    public func to(_ dtype: DType? = nil, device: Device? = nil) throws {
        for tensor in parameters() + namedBuffers().map(\.1) {
            let target = tensor.dtype.isFloatingPoint ? dtype : nil
            try tensor.setData(try tensor.detach().to(target, device: device))
        }
    }

    /// This module's own parameter called `name`.
    public func parameter(named name: String) -> Tensor? { parameterSlots.first { $0.name == name }?.tensor }

    /// This module's own buffer called `name`.
    public func buffer(named name: String) -> Tensor? { bufferSlots.first { $0.name == name }?.tensor }
}

/// A module with one input and one output, usable in `Sequential`.
public protocol UnaryLayer: Module {
    func forward(_ x: Tensor) throws -> Tensor
}

extension UnaryLayer {
    public func callAsFunction(_ x: Tensor) throws -> Tensor { try forward(x) }
}
