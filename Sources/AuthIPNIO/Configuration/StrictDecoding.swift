/// Any member name, to list the members an object has.
private struct MemberName: CodingKey {
    let stringValue: String
    let intValue: Int? = nil
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension Decoder {
    /// Fails on a member `Keys` does not name, so that a misspelt field is an error rather than
    /// a silent default.
    func rejectUnknownMembers<Keys: CodingKey>(_ keys: Keys.Type) throws {
        let members = try container(keyedBy: MemberName.self)
        for member in members.allKeys where Keys(stringValue: member.stringValue) == nil {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(codingPath: codingPath + [member], debugDescription: "is not a known field"))
        }
    }
}

extension KeyedDecodingContainer {
    /// A string member turned into a value by `parse`; `expected` says what it should be.
    func decode<Value>(_ key: Key, as expected: String, _ parse: (String) -> Value?) throws -> Value {
        let text = try decode(String.self, forKey: key)
        guard let value = parse(text) else {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: self, debugDescription: "is \"\(text)\", not \(expected)")
        }
        return value
    }

    /// The same for an optional member.
    func decodeIfPresent<Value>(_ key: Key, as expected: String, _ parse: (String) -> Value?) throws -> Value? {
        guard contains(key) else { return nil }
        return try decode(key, as: expected, parse)
    }

    /// An array member that must hold at least one element.
    func decodeNonEmpty<Element: Decodable>(_ type: [Element].Type, forKey key: Key) throws -> [Element] {
        let elements = try decode(type, forKey: key)
        guard !elements.isEmpty else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "is empty")
        }
        return elements
    }

    /// A string array member, each element turned into a value by `parse`.
    func decodeEach<Value>(_ key: Key, as expected: String, _ parse: (String) -> Value?) throws -> [Value] {
        var elements = try nestedUnkeyedContainer(forKey: key)
        var values: [Value] = []
        while !elements.isAtEnd {
            let text = try elements.decode(String.self)
            guard let value = parse(text) else {
                throw DecodingError.dataCorrupted(
                    DecodingError.Context(
                        codingPath: elements.codingPath + [MemberIndex(values.count)],
                        debugDescription: "is \"\(text)\", not \(expected)"))
            }
            values.append(value)
        }
        return values
    }
}

/// An array position in a coding path.
private struct MemberIndex: CodingKey {
    let intValue: Int?
    var stringValue: String { "\(intValue ?? 0)" }
    init(_ index: Int) { intValue = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}
