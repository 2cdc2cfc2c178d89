/// Encodes any `Encodable` straight into a `Value`.
///
/// Hand-written for the same reason as `JSONWriter`: `JSONEncoder` checks every member
/// against the types it writes specially (dates, data, URLs: dynamic casts) and keeps a
/// coding path per member; measured in spool-mcp and a worker under load, the spool's
/// records cost about 0.2 ms of CPU per `run` that way. Here a member of a plain type is
/// stored as it comes. What differs from `JSONEncoder`'s defaults: `Date`, `Data` and `URL`
/// encode as their own `encode(to:)` says (none of Spool's records holds one), and an
/// unsigned integer beyond `Int.max` is refused rather than written.
public struct ValueEncoder {
    public init() {}

    public func encode(_ value: some Encodable) throws -> Value {
        try TreeEncoder.slot(for: value, parent: nil, key: nil).value
    }

    /// `value` as compact JSON with sorted keys (the spool's files), as `JSONWriter` writes a
    /// `Value`, without building one.
    public func sortedJSON(_ value: some Encodable) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        try TreeEncoder.slot(for: value, parent: nil, key: nil).write(to: &out)
        return out
    }
}

/// What a container or member holds while the value is being encoded: containers are
/// shared by reference, as an `Encoder` hands them out more than once.
private enum Slot {
    case value(Value)
    case object(ObjectBox)
    case array(ArrayBox)

    var value: Value {
        switch self {
        case .value(let value): value
        case .object(let box): .object(Dictionary(box.members.lazy.map { ($0.key, $0.value.value) }, uniquingKeysWith: { _, last in last }))
        case .array(let box): .array(box.items.map(\.value))
        }
    }

    /// As sorted JSON.
    func write(to out: inout [UInt8]) {
        switch self {
        case .value(let value): JSONWriter.write(value, to: &out, sortedKeys: true)
        case .array(let box): JSONWriter.writeArray(box.items, to: &out) { item, out in item.write(to: &out) }
        case .object(let box): JSONWriter.writeObject(box.sorted(), to: &out) { member, out in member.write(to: &out) }
        }
    }
}

/// An object's members in the order they came (a list, not a dictionary: hashing every
/// key cost more than the rest of the encoding); a key set twice keeps its last value.
/// Keys sort as Swift orders strings: by their UTF-8 bytes for the ASCII keys records have.
private final class ObjectBox {
    var members: [(key: String, value: Slot)] = []

    func put(_ key: String, _ slot: Slot) { members.append((key, slot)) }

    /// The members sorted by key, each key once (its last value).
    func sorted() -> [(key: String, value: Slot)] {
        // Records have a few dozen members at most: an insertion sort, stable, so that of a
        // key set twice the last value ends up last, and is kept.
        var sorted = members
        for index in sorted.indices.dropFirst() {
            var place = index
            let member = sorted[index]
            while place > 0 && member.key < sorted[place - 1].key {
                sorted[place] = sorted[place - 1]
                place -= 1
            }
            if place != index { sorted[place] = member }
        }
        var unique: [(key: String, value: Slot)] = []
        unique.reserveCapacity(sorted.count)
        for member in sorted {
            if unique.last?.key == member.key { unique[unique.count - 1] = member } else { unique.append(member) }
        }
        return unique
    }
}

private final class ArrayBox {
    var items: [Slot] = []
}

private final class TreeEncoder: Encoder {
    let parent: TreeEncoder?
    let key: (any CodingKey)?
    var slot: Slot?

    init(parent: TreeEncoder?, key: (any CodingKey)?) {
        self.parent = parent
        self.key = key
    }

    /// Built only when asked for (an error's context): most members never need it.
    var codingPath: [any CodingKey] {
        var path: [any CodingKey] = []
        var node: TreeEncoder? = self
        while let current = node {
            if let key = current.key { path.append(key) }
            node = current.parent
        }
        return path.reversed()
    }

    /// None: no record of the spool's reads it.
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    /// `value` encoded by an encoder of its own; a value that encodes nothing is `{}`, as
    /// with `JSONEncoder`.
    static func slot(for value: some Encodable, parent: TreeEncoder?, key: (any CodingKey)?) throws -> Slot {
        let encoder = TreeEncoder(parent: parent, key: key)
        try value.encode(to: encoder)
        return encoder.slot ?? .object(ObjectBox())
    }

    func objectBox() -> ObjectBox {
        if case .object(let box)? = slot { return box }
        let box = ObjectBox()
        slot = .object(box)
        return box
    }

    func arrayBox() -> ArrayBox {
        if case .array(let box)? = slot { return box }
        let box = ArrayBox()
        slot = .array(box)
        return box
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(KeyedContainer<Key>(encoder: self, box: objectBox()))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        UnkeyedContainer(encoder: self, box: arrayBox())
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleContainer(encoder: self)
    }
}

/// The primitives every container takes, as `Value`s.
private enum Primitive {
    static func double(_ number: Double, _ path: @autoclosure () -> [any CodingKey]) throws -> Value {
        guard number.isFinite else {
            throw EncodingError.invalidValue(number, EncodingError.Context(codingPath: path(), debugDescription: "\(number) is not a JSON number"))
        }
        return .double(number)
    }

    static func integer<T: BinaryInteger>(_ number: T, _ path: @autoclosure () -> [any CodingKey]) throws -> Value {
        guard let exact = Int(exactly: number) else {
            throw EncodingError.invalidValue(number, EncodingError.Context(codingPath: path(), debugDescription: "\(number) is beyond Int"))
        }
        return .int(exact)
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: TreeEncoder
    let box: ObjectBox

    var codingPath: [any CodingKey] { encoder.codingPath }

    private func put(_ value: Value, _ key: Key) { box.put(key.stringValue, .value(value)) }

    mutating func encodeNil(forKey key: Key) throws { put(.null, key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { put(.bool(value), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { put(.string(value), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { put(try Primitive.double(value, codingPath + [key]), key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { put(try Primitive.double(Double(value), codingPath + [key]), key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { put(.int(value), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { put(.int(Int(value)), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { put(.int(Int(value)), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { put(.int(Int(value)), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { put(.int(Int(value)), key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { put(try Primitive.integer(value, codingPath + [key]), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { put(.int(Int(value)), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { put(.int(Int(value)), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { put(.int(Int(value)), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { put(try Primitive.integer(value, codingPath + [key]), key) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        box.put(key.stringValue, try TreeEncoder.slot(for: value, parent: encoder, key: key))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let nested = TreeEncoder(parent: encoder, key: key)
        box.put(key.stringValue, .object(nested.objectBox()))
        return nested.container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let nested = TreeEncoder(parent: encoder, key: key)
        box.put(key.stringValue, .array(nested.arrayBox()))
        return nested.unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { placed(AnyKey("super")) }

    mutating func superEncoder(forKey key: Key) -> any Encoder { placed(key) }

    private func placed(_ key: any CodingKey) -> any Encoder {
        PlacedEncoder(TreeEncoder(parent: encoder, key: key)) { [box] slot in box.put(key.stringValue, slot) }
    }
}

/// A container's `superEncoder`: what it is given goes into its container's member (or
/// item) through `place`, an object or array at once, a single value as it is encoded.
private final class PlacedEncoder: Encoder {
    let inner: TreeEncoder
    let place: (Slot) -> Void

    init(_ inner: TreeEncoder, place: @escaping (Slot) -> Void) {
        self.inner = inner
        self.place = place
    }

    var codingPath: [any CodingKey] { inner.codingPath }
    var userInfo: [CodingUserInfoKey: Any] { inner.userInfo }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        place(.object(inner.objectBox()))
        return inner.container(keyedBy: type)
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        place(.array(inner.arrayBox()))
        return inner.unkeyedContainer()
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleContainer(encoder: inner, forward: place)
    }
}

private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?

    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { stringValue = String(intValue); self.intValue = intValue }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let encoder: TreeEncoder
    let box: ArrayBox

    var codingPath: [any CodingKey] { encoder.codingPath }
    var count: Int { box.items.count }

    private var nextKey: AnyKey { AnyKey(intValue: box.items.count)! }
    private func put(_ value: Value) { box.items.append(.value(value)) }

    mutating func encodeNil() throws { put(.null) }
    mutating func encode(_ value: Bool) throws { put(.bool(value)) }
    mutating func encode(_ value: String) throws { put(.string(value)) }
    mutating func encode(_ value: Double) throws { put(try Primitive.double(value, codingPath + [nextKey])) }
    mutating func encode(_ value: Float) throws { put(try Primitive.double(Double(value), codingPath + [nextKey])) }
    mutating func encode(_ value: Int) throws { put(.int(value)) }
    mutating func encode(_ value: Int8) throws { put(.int(Int(value))) }
    mutating func encode(_ value: Int16) throws { put(.int(Int(value))) }
    mutating func encode(_ value: Int32) throws { put(.int(Int(value))) }
    mutating func encode(_ value: Int64) throws { put(.int(Int(value))) }
    mutating func encode(_ value: UInt) throws { put(try Primitive.integer(value, codingPath + [nextKey])) }
    mutating func encode(_ value: UInt8) throws { put(.int(Int(value))) }
    mutating func encode(_ value: UInt16) throws { put(.int(Int(value))) }
    mutating func encode(_ value: UInt32) throws { put(.int(Int(value))) }
    mutating func encode(_ value: UInt64) throws { put(try Primitive.integer(value, codingPath + [nextKey])) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        box.items.append(try TreeEncoder.slot(for: value, parent: encoder, key: nextKey))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let nested = TreeEncoder(parent: encoder, key: nextKey)
        box.items.append(.object(nested.objectBox()))
        return nested.container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let nested = TreeEncoder(parent: encoder, key: nextKey)
        box.items.append(.array(nested.arrayBox()))
        return nested.unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        let index = box.items.count
        box.items.append(.object(ObjectBox())) // replaced by what the super encoder holds
        return PlacedEncoder(TreeEncoder(parent: encoder, key: nextKey)) { [box] slot in box.items[index] = slot }
    }
}

private struct SingleContainer: SingleValueEncodingContainer {
    let encoder: TreeEncoder
    /// Where a super encoder's value also goes.
    var forward: ((Slot) -> Void)?

    init(encoder: TreeEncoder, forward: ((Slot) -> Void)? = nil) {
        self.encoder = encoder
        self.forward = forward
    }

    var codingPath: [any CodingKey] { encoder.codingPath }

    private func put(_ value: Value) {
        encoder.slot = .value(value)
        forward?(.value(value))
    }

    mutating func encodeNil() throws { put(.null) }
    mutating func encode(_ value: Bool) throws { put(.bool(value)) }
    mutating func encode(_ value: String) throws { put(.string(value)) }
    mutating func encode(_ value: Double) throws { put(try Primitive.double(value, codingPath)) }
    mutating func encode(_ value: Float) throws { put(try Primitive.double(Double(value), codingPath)) }
    mutating func encode(_ value: Int) throws { put(.int(value)) }
    mutating func encode(_ value: Int8) throws { put(.int(Int(value))) }
    mutating func encode(_ value: Int16) throws { put(.int(Int(value))) }
    mutating func encode(_ value: Int32) throws { put(.int(Int(value))) }
    mutating func encode(_ value: Int64) throws { put(.int(Int(value))) }
    mutating func encode(_ value: UInt) throws { put(try Primitive.integer(value, codingPath)) }
    mutating func encode(_ value: UInt8) throws { put(.int(Int(value))) }
    mutating func encode(_ value: UInt16) throws { put(.int(Int(value))) }
    mutating func encode(_ value: UInt32) throws { put(.int(Int(value))) }
    mutating func encode(_ value: UInt64) throws { put(try Primitive.integer(value, codingPath)) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let slot = try TreeEncoder.slot(for: value, parent: encoder.parent, key: encoder.key)
        encoder.slot = slot
        forward?(slot)
    }
}
