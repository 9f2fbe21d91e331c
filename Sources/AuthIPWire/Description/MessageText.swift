import AuthIPJSON

extension Message {
    /// A readable multi-line dump: the header on two lines, then one block per payload.
    public var textDump: String {
        let json = self.json
        var lines = [
            "AuthIP \(header.exchangeType) message, \(json["length"]?.integerValue ?? 0) bytes, "
                + "message ID \(header.messageID)\(header.flags.contains(.encrypted) ? ", encrypted" : "")",
            "  cookies \(Hex.cookie(header.initiatorCookie)) / \(Hex.cookie(header.responderCookie)), "
                + "version \(header.majorVersion).\(header.minorVersion)",
        ]
        for (index, payload) in payloads.enumerated() {
            lines.append("  [\(index)] \(payload.type.name) (\(payload.type.rawValue))")
            if case .object(let members) = payload.json {
                for (key, value) in members where key != "type" && key != "name" {
                    Self.append(key: key, value: value, indent: 6, to: &lines)
                }
            }
        }
        return lines.joined(separator: "\n")
    }

    private static func append(key: String, value: JSONValue, indent: Int, to lines: inout [String]) {
        let pad = String(repeating: " ", count: indent)
        switch value {
        case .array(let elements) where elements.contains(where: { if case .object = $0 { true } else { false } }):
            lines.append("\(pad)\(key):")
            for element in elements {
                guard case .object(let members) = element else { continue }
                let scalars = members.filter { if case .array = $0.1 { false } else { true } }
                lines.append("\(pad)  - " + scalars.map { "\($0.0) \(scalarText($0.1))" }.joined(separator: ", "))
                for (k, v) in members where scalars.allSatisfy({ $0.0 != k }) {
                    append(key: k, value: v, indent: indent + 4, to: &lines)
                }
            }
        case .array(let elements):
            lines.append("\(pad)\(key): " + elements.map(scalarText).joined(separator: ", "))
        default:
            lines.append("\(pad)\(key): \(scalarText(value))")
        }
    }

    private static func scalarText(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): return s.isEmpty ? "-" : s
        default: return value.compactText
        }
    }
}
