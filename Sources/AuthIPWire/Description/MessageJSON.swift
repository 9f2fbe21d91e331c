import AuthIPJSON

extension Message {
    /// The message as JSON, the form `authip decode` prints and the wire vectors record:
    /// header fields, then the payloads in wire order, each with its `type` number and `name`.
    public var json: JSONValue {
        .object([
            ("initiatorCookie", .string(Hex.cookie(header.initiatorCookie))),
            ("responderCookie", .string(Hex.cookie(header.responderCookie))),
            ("version", .string("\(header.majorVersion).\(header.minorVersion)")),
            ("exchangeType", .number(header.exchangeType.rawValue)),
            ("exchangeName", .string(header.exchangeType.name ?? "")),
            ("flags", .number(header.flags.rawValue)),
            ("messageID", .number(header.messageID)),
            ("length", .number(serialized().count)),
            ("payloads", .array(payloads.map(\.json))),
        ])
    }
}

extension Payload {
    /// The payload as JSON: `type`, `name`, then its fields.
    public var json: JSONValue {
        .object([("type", .number(type.rawValue)), ("name", .string(type.name))] + fields)
    }

    private var fields: [(String, JSONValue)] {
        switch self {
        case .securityAssociation(let sa):
            return [
                ("doi", .number(sa.doi)), ("situation", .number(sa.situation)),
                ("proposals", .array(sa.proposals.map(\.json))),
            ]
        case .keyExchange(let p): return Self.opaque(p.data)
        case .hash(let p): return Self.opaque(p.data)
        case .nonce(let p): return Self.opaque(p.data)
        case .natDiscovery(let p): return Self.opaque(p.data)
        case .keyDictation(let p): return Self.opaque(p.data)
        case .keyDictationWeight(let p): return [("weight", .number(p.weight))]
        case .identification(let id):
            return [
                ("idType", .number(id.identity.kind.rawValue)), ("idTypeName", .string(id.identity.kind.name)),
                ("protocol", .number(id.ipProtocol)), ("port", .number(id.port)),
                ("identity", .string(id.identity.description)),
            ]
        case .natOriginalAddress(let p): return [("address", .string(p.address.description))]
        case .notify(let n): return n.jsonFields
        case .vendorID(let v):
            return [
                ("vendor", .string(v.knownVendor?.description ?? Hex.encode(v.data))),
                ("known", .bool(v.knownVendor != nil)), ("data", .string(Hex.encode(v.data))),
            ]
        case .gss(let g):
            return [
                ("status", .number(g.status)), ("flags", .number(g.flags.rawValue)),
                ("flagNames", .array(g.flags.names.map(JSONValue.string))),
                ("tokenLength", .number(g.token.count)), ("token", .string(Hex.encode(g.token))),
            ]
        case .fragment(let f):
            var fields: [(String, JSONValue)] = [
                ("fragmentID", .number(f.fragmentID)), ("number", .number(f.number)), ("last", .bool(f.isLast)),
            ]
            if f.otherFlags != 0 { fields.append(("ignoredFlags", .number(f.otherFlags))) }
            return fields + Self.opaque(f.data)
        case .crypto(let c):
            var fields: [(String, JSONValue)] = [
                ("sequenceNumber", .number(c.sequenceNumber)), ("iv", .string(Hex.encode(c.iv))),
                ("encrypted", .bool(c.protectedContent != nil)),
            ]
            if c.encryptedNextPayload != .none {
                // Tolerated (Docs/InteropProfile.md): the first inner type is in the trailer.
                fields.append(("nextPayload", .number(c.encryptedNextPayload.rawValue)))
            }
            if let content = c.protectedContent {
                fields.append(("protectedLength", .number(content.count)))
                fields.append(("protectedContent", .string(Hex.encode(content))))
            }
            return fields
        case .gssIdentity(let g): return [("principalName", .string(g.principalName))]
        case .unknown(let p): return [("skipped", .bool(true))] + Self.opaque(p.data)
        case .auth(let a):
            return [
                ("methods", .array(a.methods.map { .number($0.rawValue) })),
                ("methodNames", .array(a.methods.map { .string($0.name) })),
            ]
        }
    }

    private static func opaque(_ data: [UInt8]) -> [(String, JSONValue)] {
        [("length", .number(data.count)), ("data", .string(Hex.encode(data)))]
    }
}

extension Proposal {
    var json: JSONValue {
        .object([
            ("number", .number(number)), ("protocolID", .number(protocolID.rawValue)),
            ("protocolName", .string(protocolID.name)), ("spi", .string(Hex.encode(spi))),
            ("transforms", .array(transforms.map { $0.json(protocolID: protocolID) })),
        ])
    }
}

extension Transform {
    func json(protocolID: ProtocolID) -> JSONValue {
        .object([
            ("number", .number(number)), ("transformID", .number(transformID)),
            ("attributes", .array(attributes.map { $0.json(protocolID: protocolID) })),
        ])
    }
}

extension TransformAttribute {
    func json(protocolID: ProtocolID) -> JSONValue {
        let name = protocolID == .isakmp ? MainModeAttribute.name(type) : QuickModeAttribute.name(type)
        var fields: [(String, JSONValue)] = [("type", .number(type))]
        if let name { fields.append(("name", .string(name))) }
        switch value {
        case .basic(let v):
            fields.append(("value", .number(v)))
            if protocolID != .isakmp, type == QuickModeAttribute.encapsulationMode, let mode = EncapsulationMode.name(v)
            {
                fields.append(("valueName", .string(mode)))
            }
        case .variable(let bytes):
            fields.append(("value", .string(Hex.encode(bytes))))
        }
        return .object(fields)
    }
}

extension NotifyPayload {
    var jsonFields: [(String, JSONValue)] {
        var fields: [(String, JSONValue)] = [
            ("doi", .number(doi)), ("protocolID", .number(protocolID)), ("flags", .number(flags.rawValue)),
            ("reliable", .bool(flags.contains(.reliable))), ("messageType", .number(messageType.rawValue)),
            ("messageName", .string(messageType.name)),
        ]
        switch content {
        case .exchangeInfo(let f): fields.append(("exchangeInfoFlags", .number(f.rawValue)))
        case .status(let code): fields.append(("statusCode", .number(code)))
        case .dosCookie(let cookie): fields.append(("cookie", .string(Hex.cookie(cookie))))
        case .acknowledgement(let seq): fields.append(("sequenceNumber", .number(seq)))
        case .acquire(let mode, let f):
            fields.append(("encapsulationMode", .number(mode)))
            fields.append(("acquireFlags", .number(f)))
        case .quickModeSynchronize, .noProposalChosen, .other: break
        }
        if let fixed = messageType.dataLength, data.count > fixed {
            // Tolerated: Windows appends to some notifies (Docs/InteropProfile.md).
            fields.append(("trailingData", .string(Hex.encode(Array(data.dropFirst(fixed))))))
        }
        fields.append(("data", .string(Hex.encode(data))))
        return fields
    }
}
