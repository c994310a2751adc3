import Foundation

/// A value decoded from a Python pickle stream. Lists, dicts and objects are reference types, as in
/// Python, because the stream fills them in after they are first referenced.
public enum PickleValue: CustomStringConvertible {
    case none
    case bool(Bool)
    case int(Int)
    /// An integer too large for 64 bits: its little-endian two's-complement bytes.
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple(PickleTuple)
    case list(PickleList)
    case dict(PickleDict)
    /// A reference to a Python class or function by module and name.
    case global(module: String, name: String)
    /// An instance of a class this reader does not interpret: kept, not rejected.
    case object(PickleObject)
    case tensor(Tensor)
    /// The marker the stream pushes for MARK (never seen by callers).
    case mark

    /// The dictionary's entries keyed by string (non-string keys are skipped).
    public var dictionary: [String: PickleValue]? {
        guard case .dict(let d) = self else { return nil }
        var result: [String: PickleValue] = [:]
        for (k, v) in d.entries { if case .string(let s) = k { result[s] = v } }
        return result
    }

    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }
    public var intValue: Int? { if case .int(let i) = self { return i }; if case .bool(let b) = self { return b ? 1 : 0 }; return nil }
    public var doubleValue: Double? { if case .float(let f) = self { return f }; return intValue.map(Double.init) }
    public var tensorValue: Tensor? { if case .tensor(let t) = self { return t }; return nil }
    public var items: [PickleValue]? {
        if case .list(let l) = self { return l.items }
        if case .tuple(let t) = self { return t.items }
        return nil
    }

    public var description: String {
        switch self {
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .bigInt(let b): return "<int of \(b.count) bytes>"
        case .float(let f): return String(f)
        case .string(let s): return "'\(s)'"
        case .bytes(let b): return "<\(b.count) bytes>"
        case .tuple(let t): return "(" + t.items.map(\.description).joined(separator: ", ") + (t.items.count == 1 ? ",)" : ")")
        case .list(let l): return "[" + l.items.map(\.description).joined(separator: ", ") + "]"
        case .dict(let d): return "{" + d.entries.map { "\($0.0): \($0.1)" }.joined(separator: ", ") + "}"
        case .global(let m, let n): return "\(m).\(n)"
        case .object(let o): return "<\(o.module).\(o.name) object>"
        case .tensor(let t): return "tensor(shape: \(t.shape), dtype: \(t.dtype))"
        case .mark: return "<mark>"
        }
    }
}

/// A tuple. Containers are classes whose deinit hands their contents to `PickleTeardown`, so
/// freeing a value nested however deeply never recurses.
public final class PickleTuple {
    public private(set) var items: [PickleValue]
    init(_ items: [PickleValue]) { self.items = items }
    deinit { PickleTeardown.adopt(&items) }
}

public final class PickleList {
    public var items: [PickleValue]
    init(_ items: [PickleValue] = []) { self.items = items }
    deinit { PickleTeardown.adopt(&items) }
}

/// A dict in insertion order.
public final class PickleDict {
    public var entries: [(PickleValue, PickleValue)] = []
    /// Attributes set on the dict object itself (an OrderedDict's `_metadata`).
    public var attributes: PickleValue?
    init() {}
    deinit {
        var contents = entries.flatMap { [$0.0, $0.1] } + (attributes.map { [$0] } ?? [])
        entries = []
        attributes = nil
        PickleTeardown.adopt(&contents)
    }
}

/// Frees pickle values without recursion: a container being freed moves its contents here (it
/// holds them no more), and the first such deinit on a thread releases them one at a time in a
/// loop; the deinits that loop sets off only move their own contents into the queue.
enum PickleTeardown {
    private final class Queue { var pending: [PickleValue] = []; var draining = false }
    private static let key = "mammofm.pickle-teardown"

    static func adopt(_ values: inout [PickleValue]) {
        guard !values.isEmpty else { return }
        let queue: Queue
        if let existing = Thread.current.threadDictionary[key] as? Queue { queue = existing } else {
            queue = Queue()
            Thread.current.threadDictionary[key] = queue
        }
        queue.pending.append(contentsOf: values)
        values.removeAll()
        guard !queue.draining else { return }
        queue.draining = true
        while !queue.pending.isEmpty { _ = queue.pending.removeLast() }
        queue.draining = false
    }
}

/// An object of a class the reader keeps opaque: its class, constructor arguments and state.
public final class PickleObject {
    public let module: String
    public let name: String
    public private(set) var arguments: [PickleValue]
    public var state: PickleValue?
    init(module: String, name: String, arguments: [PickleValue]) {
        self.module = module
        self.name = name
        self.arguments = arguments
    }
    deinit {
        var contents = arguments + (state.map { [$0] } ?? [])
        arguments = []
        state = nil
        PickleTeardown.adopt(&contents)
    }
}

/// Decodes the pickle protocols 0-5 opcode set that `torch.save` and ordinary Python objects use.
/// Class construction is delegated: `construct` turns a (module, name, arguments) call into a value
/// (returning nil keeps it as an opaque object), `persistentLoad` resolves persistent ids.
struct Unpickler {
    let data: UnsafeRawBufferPointer
    let source: String
    let construct: (String, String, [PickleValue]) throws -> PickleValue?
    let persistentLoad: (PickleValue) throws -> PickleValue

    private var position = 0
    private var stack: [PickleValue] = []
    private var markStack: [Int] = []
    private var memo: [Int: PickleValue] = [:]

    init(data: UnsafeRawBufferPointer, source: String,
         construct: @escaping (String, String, [PickleValue]) throws -> PickleValue?,
         persistentLoad: @escaping (PickleValue) throws -> PickleValue) {
        self.data = data
        self.source = source
        self.construct = construct
        self.persistentLoad = persistentLoad
    }

    private func fail(_ reason: String) -> TorchError { .pickle(path: source, reason: reason) }

    private mutating func read(_ count: Int) throws -> UnsafeRawBufferPointer {
        guard count >= 0, position <= data.count - count else { throw fail("stream ends inside an opcode at byte \(position)") }
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: data[position..<(position + count)])
    }

    private mutating func byte() throws -> UInt8 { try read(1)[0] }
    private mutating func uint(_ count: Int) throws -> Int {
        let b = try read(count)
        var value = 0
        for i in (0..<count).reversed() { value = value << 8 | Int(b[i]) }
        return value
    }
    private mutating func line() throws -> String {
        guard let end = data[position...].firstIndex(of: UInt8(ascii: "\n")) else { throw fail("unterminated text line at byte \(position)") }
        let text = String(decoding: data[position..<end], as: UTF8.self)
        position = end + 1
        return text
    }
    private mutating func utf8(_ count: Int) throws -> PickleValue { .string(String(decoding: try read(count), as: UTF8.self)) }

    private mutating func pop() throws -> PickleValue {
        guard let v = stack.popLast() else { throw fail("stack underflow at byte \(position)") }
        return v
    }
    private mutating func popMark() throws -> [PickleValue] {
        guard let m = markStack.popLast(), m <= stack.count else { throw fail("MARK missing at byte \(position)") }
        let items = Array(stack[m...])
        stack.removeSubrange(m...)
        return items
    }
    private func top() throws -> PickleValue {
        guard let v = stack.last else { throw fail("stack underflow at byte \(position)") }
        return v
    }

    private static func decodeLong(_ bytes: UnsafeRawBufferPointer) -> PickleValue {
        if bytes.isEmpty { return .int(0) }
        if bytes.count <= 8 {
            var value: UInt64 = 0
            for i in (0..<bytes.count).reversed() { value = value << 8 | UInt64(bytes[i]) }
            let shift = UInt64(64 - 8 * bytes.count)
            return .int(Int(Int64(bitPattern: value << shift) >> Int64(shift)))
        }
        return .bigInt(Array(bytes))
    }

    private mutating func call(_ callable: PickleValue, _ arguments: [PickleValue]) throws -> PickleValue {
        guard case .global(let module, let name) = callable else {
            throw fail("cannot call \(callable) at byte \(position)")
        }
        if let value = try construct(module, name, arguments) { return value }
        return .object(PickleObject(module: module, name: name, arguments: arguments))
    }

    /// How deeply values may nest (dicts of lists of ...): far beyond any checkpoint, small enough
    /// that walking, printing and freeing a value by recursion is safe on any thread's stack.
    static let maximumNesting = 100
    /// How many values a walk of the result may visit, counting shared values once per path to them.
    static let maximumExpandedSize = 10_000_000

    /// Decodes the stream up to STOP. The result, and everything the stream built, is checked to be
    /// acyclic and nested at most `maximumNesting` deep, so walking or printing it by recursion is
    /// safe; what fails the check is taken apart (cycles broken) before the error is thrown.
    mutating func load() throws -> PickleValue {
        var result: PickleValue?
        do {
            let value = try loadUnchecked()
            result = value
            try Self.checkStructure([value] + stack + Array(memo.values), source: source)
            return value
        } catch {
            // Cyclic lists and dicts would otherwise never be freed.
            var work = (result.map { [$0] } ?? []) + stack + Array(memo.values)
            result = nil
            stack = []
            memo = [:]
            Self.dismantle(&work)
            throw error
        }
    }

    /// The values a value holds directly.
    private static func children(_ value: PickleValue) -> [PickleValue] {
        switch value {
        case .tuple(let t): return t.items
        case .list(let l): return l.items
        case .dict(let d): return d.entries.flatMap { [$0.0, $0.1] } + (d.attributes.map { [$0] } ?? [])
        case .object(let o): return o.arguments + (o.state.map { [$0] } ?? [])
        default: return []
        }
    }

    /// The identity of a mutable container (the only values that can close a cycle).
    private static func identity(_ value: PickleValue) -> ObjectIdentifier? {
        switch value {
        case .list(let l): return ObjectIdentifier(l)
        case .dict(let d): return ObjectIdentifier(d)
        case .object(let o): return ObjectIdentifier(o)
        case .tuple(let t): return ObjectIdentifier(t)
        default: return nil
        }
    }

    /// Iterative depth-first walk: refuses cycles, nesting beyond `maximumNesting` and walks that
    /// would visit more than `maximumExpandedSize` values.
    static func checkStructure(_ roots: [PickleValue], source: String) throws {
        struct Frame { let value: PickleValue; let children: [PickleValue]; var next = 0; var height = 0; var size = 1 }
        var done: [ObjectIdentifier: (height: Int, size: Int)] = [:]
        var onPath = Set<ObjectIdentifier>()
        func fail(_ reason: String) -> TorchError { .pickle(path: source, reason: reason) }
        for root in roots {
            var frames = [Frame(value: root, children: children(root))]
            if let id = identity(root) { if done[id] != nil { continue }; onPath.insert(id) }
            while !frames.isEmpty {
                let top = frames.count - 1
                if frames[top].next < frames[top].children.count {
                    let child = frames[top].children[frames[top].next]
                    frames[top].next += 1
                    if let id = identity(child) {
                        if onPath.contains(id) { throw fail("a container holds itself (a cyclic structure); checkpoints never do") }
                        if let known = done[id] {
                            frames[top].height = Swift.max(frames[top].height, known.height + 1)
                            frames[top].size = Swift.min(maximumExpandedSize + 1, frames[top].size + known.size)
                            continue
                        }
                        onPath.insert(id)
                    }
                    guard frames.count < maximumNesting else { throw fail("values nest more than \(maximumNesting) levels deep") }
                    frames.append(Frame(value: child, children: children(child)))
                } else {
                    let finished = frames.removeLast()
                    if let id = identity(finished.value) { onPath.remove(id); done[id] = (finished.height, finished.size) }
                    guard finished.height <= maximumNesting else { throw fail("values nest more than \(maximumNesting) levels deep") }
                    guard finished.size <= maximumExpandedSize else {
                        throw fail("shared values expand to more than \(maximumExpandedSize) values when walked")
                    }
                    if let parent = frames.indices.last {
                        frames[parent].height = Swift.max(frames[parent].height, finished.height + 1)
                        frames[parent].size = Swift.min(maximumExpandedSize + 1, frames[parent].size + finished.size)
                    }
                }
            }
        }
    }

    /// Empties containers one at a time, breaking cycles (freeing itself never recurses: see
    /// `PickleTeardown`). `work` is consumed.
    static func dismantle(_ work: inout [PickleValue]) {
        while let value = work.popLast() {
            switch value {
            case .tuple(let t): work += t.items
            case .list(let l): work += l.items; l.items = []
            case .dict(let d):
                for (k, v) in d.entries { work.append(k); work.append(v) }
                d.entries = []
                if let a = d.attributes { work.append(a); d.attributes = nil }
            case .object(let o):
                work += o.arguments
                if let state = o.state { work.append(state); o.state = nil }
            default: break
            }
        }
    }

    private mutating func loadUnchecked() throws -> PickleValue {
        while true {
            let opcode = try byte()
            switch opcode {
            case 0x80: _ = try byte()                                  // PROTO
            case 0x95: _ = try read(8)                                 // FRAME
            case UInt8(ascii: "."): return try pop()                   // STOP
            case UInt8(ascii: "("): markStack.append(stack.count)      // MARK
            case UInt8(ascii: "N"): stack.append(.none)
            case 0x88: stack.append(.bool(true))
            case 0x89: stack.append(.bool(false))
            case UInt8(ascii: "K"): stack.append(.int(Int(try byte())))
            case UInt8(ascii: "M"): stack.append(.int(try uint(2)))
            case UInt8(ascii: "J"): stack.append(.int(Int(Int32(truncatingIfNeeded: try uint(4)))))
            case 0x8a: let n = Int(try byte()); stack.append(Self.decodeLong(try read(n)))
            case 0x8b: let n = try uint(4); stack.append(Self.decodeLong(try read(n)))
            case UInt8(ascii: "G"):
                let b = try read(8)
                var bits: UInt64 = 0
                for i in 0..<8 { bits = bits << 8 | UInt64(b[i]) }
                stack.append(.float(Double(bitPattern: bits)))
            case UInt8(ascii: "I"):
                let text = try line()
                if text == "00" { stack.append(.bool(false)) } else if text == "01" { stack.append(.bool(true)) }
                else { guard let v = Int(text) else { throw fail("bad INT '\(text)'") }; stack.append(.int(v)) }
            case UInt8(ascii: "L"):
                let text = try line()
                guard let v = Int(text.hasSuffix("L") ? String(text.dropLast()) : text) else { throw fail("LONG '\(text)' exceeds 64 bits") }
                stack.append(.int(v))
            case UInt8(ascii: "F"):
                let text = try line()
                guard let v = Double(text) else { throw fail("bad FLOAT '\(text)'") }
                stack.append(.float(v))
            case UInt8(ascii: "X"): let n = try uint(4); stack.append(try utf8(n))
            case 0x8c: let n = Int(try byte()); stack.append(try utf8(n))
            case 0x8d: let n = try uint(8); stack.append(try utf8(n))
            case UInt8(ascii: "T"): let n = try uint(4); stack.append(.string(String(decoding: try read(n), as: UTF8.self)))
            case UInt8(ascii: "U"): let n = Int(try byte()); stack.append(.string(String(decoding: try read(n), as: UTF8.self)))
            case UInt8(ascii: "S"):
                var text = try line()
                if text.count >= 2, let q = text.first, q == "'" || q == "\"" { text = String(text.dropFirst().dropLast()) }
                stack.append(.string(text))
            case UInt8(ascii: "V"): stack.append(.string(try line()))
            case UInt8(ascii: "B"): let n = try uint(4); stack.append(.bytes(Array(try read(n))))
            case UInt8(ascii: "C"): let n = Int(try byte()); stack.append(.bytes(Array(try read(n))))
            case 0x8e, 0x96: let n = try uint(8); stack.append(.bytes(Array(try read(n))))
            case UInt8(ascii: ")"): stack.append(.tuple(PickleTuple([])))
            case UInt8(ascii: "t"): stack.append(.tuple(PickleTuple(try popMark())))
            case 0x85: stack.append(.tuple(PickleTuple([try pop()])))
            case 0x86: let b = try pop(), a = try pop(); stack.append(.tuple(PickleTuple([a, b])))
            case 0x87: let c = try pop(), b = try pop(), a = try pop(); stack.append(.tuple(PickleTuple([a, b, c])))
            case UInt8(ascii: "]"): stack.append(.list(PickleList()))
            case UInt8(ascii: "l"): stack.append(.list(PickleList(try popMark())))
            case 0x8f: stack.append(.list(PickleList()))                // EMPTY_SET, kept as a list
            case 0x91: stack.append(.list(PickleList(try popMark())))   // FROZENSET
            case UInt8(ascii: "}"): stack.append(.dict(PickleDict()))
            case UInt8(ascii: "d"):
                let items = try popMark()
                let d = PickleDict()
                for i in stride(from: 0, to: items.count - 1, by: 2) { d.entries.append((items[i], items[i + 1])) }
                stack.append(.dict(d))
            case UInt8(ascii: "a"):
                let v = try pop()
                guard case .list(let l) = try top() else { throw fail("APPEND to a non-list at byte \(position)") }
                l.items.append(v)
            case UInt8(ascii: "e"), 0x90:                               // APPENDS, ADDITEMS
                let items = try popMark()
                guard case .list(let l) = try top() else { throw fail("APPENDS to a non-list at byte \(position)") }
                l.items += items
            case UInt8(ascii: "s"):
                let v = try pop(), k = try pop()
                guard case .dict(let d) = try top() else { throw fail("SETITEM on a non-dict at byte \(position)") }
                d.entries.append((k, v))
            case UInt8(ascii: "u"):
                let items = try popMark()
                guard case .dict(let d) = try top() else { throw fail("SETITEMS on a non-dict at byte \(position)") }
                guard items.count % 2 == 0 else { throw fail("SETITEMS with an odd item count at byte \(position)") }
                for i in stride(from: 0, to: items.count, by: 2) { d.entries.append((items[i], items[i + 1])) }
            case UInt8(ascii: "q"): memo[Int(try byte())] = try top()
            case UInt8(ascii: "r"): memo[try uint(4)] = try top()
            case 0x94: memo[memo.count] = try top()                     // MEMOIZE
            case UInt8(ascii: "p"):
                guard let i = Int(try line()) else { throw fail("bad PUT index") }
                memo[i] = try top()
            case UInt8(ascii: "h"), UInt8(ascii: "j"), UInt8(ascii: "g"):
                let index: Int
                if opcode == UInt8(ascii: "h") { index = Int(try byte()) }
                else if opcode == UInt8(ascii: "j") { index = try uint(4) }
                else { guard let i = Int(try line()) else { throw fail("bad GET index") }; index = i }
                guard let v = memo[index] else { throw fail("memo entry \(index) is not defined (byte \(position))") }
                stack.append(v)
            case UInt8(ascii: "c"):
                let module = try line(), name = try line()
                stack.append(.global(module: module, name: name))
            case 0x93:
                let name = try pop(), module = try pop()
                guard let m = module.stringValue, let n = name.stringValue else { throw fail("STACK_GLOBAL needs two strings") }
                stack.append(.global(module: m, name: n))
            case UInt8(ascii: "R"):
                let args = try pop(), callable = try pop()
                stack.append(try call(callable, args.items ?? []))
            case 0x81:                                                  // NEWOBJ
                let args = try pop(), cls = try pop()
                stack.append(try call(cls, args.items ?? []))
            case 0x92:                                                  // NEWOBJ_EX
                _ = try pop()
                let args = try pop(), cls = try pop()
                stack.append(try call(cls, args.items ?? []))
            case UInt8(ascii: "b"):                                     // BUILD
                let state = try pop()
                switch try top() {
                case .object(let o): o.state = state
                case .dict(let d): d.attributes = state
                default: break // tensors and others: the state (e.g. backward hooks) is not needed
                }
            case UInt8(ascii: "Q"): stack.append(try persistentLoad(try pop()))
            case UInt8(ascii: "P"): stack.append(try persistentLoad(.string(try line())))
            case UInt8(ascii: "0"): _ = try pop()
            case UInt8(ascii: "1"): _ = try popMark()
            case UInt8(ascii: "2"): stack.append(try top())
            case 0x97, 0x98: throw fail("out-of-band buffers (pickle protocol 5) are not supported")
            default:
                throw fail(String(format: "unknown opcode 0x%02x at byte %d", opcode, position - 1))
            }
        }
    }
}
