import AuthIPAudit
import AuthIPJSON
import AuthIPTestSupport
import Foundation

/// A vector of `TestVectors/audit/events.json`: a record built from typed input, and the XML,
/// message text and JSON Windows would show for it, written by hand from the reference.
struct EventVector {
    let name: String
    let record: AuditRecord
    let expectedXML: String
    let expectedMessage: String
    /// The expected JSON without `RenderingInfo.Message` (which is `expectedMessage`).
    let expectedJSON: JSONValue

    static func all() throws -> [EventVector] {
        try TestVectors.vectors("audit/events.json").map(EventVector.init)
    }

    init(_ vector: JSONValue) throws {
        name = vector.name
        let header = try vector.member("record")
        let origin = try AuditOrigin(
            computer: try header.string("computer"), processID: try header.number("processID"),
            threadID: try header.number("threadID"))
        let activity = try header.optionalString("activityID").map { text in
            guard let uuid = UUID(uuidString: text) else { throw AuditVectorError(field: "activityID") }
            return uuid
        }
        record = AuditRecord(
            recordID: try header.number("recordID"),
            time: AuditTime(nanosecondsSinceUnixEpoch: try header.number("timeNanoseconds")),
            activityID: activity, origin: origin,
            event: try Self.event(id: try vector.int("eventID"), input: try vector.member("input")))
        expectedXML = try vector.member("xml").arrayValue.orThrow("xml").map { try $0.stringValue.orThrow("xml") }
            .joined()
        expectedMessage = try vector.member("message").arrayValue.orThrow("message")
            .map { try $0.stringValue.orThrow("message") }.joined(separator: "\r\n")
        expectedJSON = try vector.member("json")
    }

    static func event(id: Int, input i: JSONValue) throws -> AuditEvent {
        switch id {
        case 4646: return .dosPreventionModeChanged(try i.parameter("notification"))
        case 4650: return .mainModeEstablished(try i.mainModeEstablished())
        case 4651:
            return .mainModeEstablishedWithCertificates(
                MainModeEstablishedWithCertificates(
                    negotiation: try i.member("negotiation").mainModeEstablished(),
                    localCertificate: try i.certificate("localCertificate"),
                    remoteCertificate: try i.certificate("remoteCertificate")))
        case 4652:
            return .mainModeFailedWithCertificates(
                MainModeFailedWithCertificates(
                    negotiation: try i.member("negotiation").mainModeFailed(),
                    localCertificate: try i.certificate("localCertificate"),
                    remoteCertificate: try i.certificate("remoteCertificate")))
        case 4653: return .mainModeFailed(try i.mainModeFailed())
        case 4654:
            return .quickModeFailed(
                QuickModeFailed(
                    local: try i.traffic("local"), remote: try i.traffic("remote"),
                    ipProtocol: try i.number("ipProtocol"),
                    remotePrivateAddress: try i.address("remotePrivateAddress"),
                    keyingModule: try i.parameter("keyingModule"),
                    failure: try i.failure(), mode: try i.parameter("mode"), state: try i.parameter("state"),
                    role: try i.parameter("role"), messageID: try i.number("messageID"),
                    filterID: try i.number("filterID"),
                    mainModeSAID: try i.number("mainModeSAID"), tunnelID: try i.number("tunnelID"),
                    trafficSelectorID: try i.number("trafficSelectorID")))
        case 4655:
            return .mainModeEnded(
                MainModeEnded(
                    localAddress: try i.address("localAddress"), remoteAddress: try i.address("remoteAddress"),
                    keyingModule: try i.parameter("keyingModule"), saID: try i.number("saID")))
        case 4976: return .invalidMainModePacket(try i.invalidPacket())
        case 4977: return .invalidQuickModePacket(try i.invalidPacket())
        case 4978: return .invalidExtendedModePacket(try i.invalidPacket())
        case 4979:
            return .extendedModeEstablished(
                ExtendedModeEstablished(
                    mainMode: try i.mainModeSA("mainMode"),
                    mainModeAuthenticationMethod: try i.parameter("mainModeAuthenticationMethod"),
                    extendedMode: try i.extendedModeSA("extendedMode"),
                    extendedModeAuthenticationMethod: try i.parameter("extendedModeAuthenticationMethod")))
        case 4980:
            return .extendedModeEstablishedWithExtendedModeCertificates(
                ExtendedModeEstablishedWithExtendedModeCertificates(
                    mainMode: try i.mainModeSA("mainMode"),
                    mainModeAuthenticationMethod: try i.parameter("mainModeAuthenticationMethod"),
                    extendedMode: try i.extendedModeSA("extendedMode"),
                    localExtendedModeCertificate: try i.certificate("localExtendedModeCertificate"),
                    remoteExtendedModeCertificate: try i.certificate("remoteExtendedModeCertificate")))
        case 4981:
            return .extendedModeEstablishedWithMainModeCertificates(
                ExtendedModeEstablishedWithMainModeCertificates(
                    mainMode: try i.mainModeSA("mainMode"),
                    localMainModeCertificate: try i.certificate("localMainModeCertificate"),
                    remoteMainModeCertificate: try i.certificate("remoteMainModeCertificate"),
                    extendedMode: try i.extendedModeSA("extendedMode"),
                    extendedModeAuthenticationMethod: try i.parameter("extendedModeAuthenticationMethod")))
        case 4982:
            return .extendedModeEstablishedWithCertificates(
                ExtendedModeEstablishedWithCertificates(
                    mainMode: try i.mainModeSA("mainMode"),
                    localMainModeCertificate: try i.certificate("localMainModeCertificate"),
                    remoteMainModeCertificate: try i.certificate("remoteMainModeCertificate"),
                    extendedMode: try i.extendedModeSA("extendedMode"),
                    localExtendedModeCertificate: try i.certificate("localExtendedModeCertificate"),
                    remoteExtendedModeCertificate: try i.certificate("remoteExtendedModeCertificate")))
        case 4983:
            return .extendedModeFailedWithCertificates(
                ExtendedModeFailedWithCertificates(
                    local: try i.peer("local"), localCertificate: try i.certificate("localCertificate"),
                    remote: try i.peer("remote"), remoteCertificate: try i.certificate("remoteCertificate"),
                    failure: try i.failure(), state: try i.parameter("state"), role: try i.parameter("role"),
                    impersonation: try i.parameter("impersonation"),
                    quickModeFilterID: try i.number("quickModeFilterID")))
        case 4984:
            return .extendedModeFailed(
                ExtendedModeFailed(
                    local: try i.peer("local"), remote: try i.peer("remote"), failure: try i.failure(),
                    authenticationMethod: try i.parameter("authenticationMethod"), state: try i.parameter("state"),
                    role: try i.parameter("role"), impersonation: try i.parameter("impersonation"),
                    quickModeFilterID: try i.number("quickModeFilterID")))
        case 5451:
            return .quickModeEstablished(
                QuickModeEstablished(
                    local: try i.traffic("local"), remote: try i.traffic("remote"),
                    remotePrivateAddress: try i.address("remotePrivateAddress"), ipProtocol: try i.number("ipProtocol"),
                    keyingModule: try i.parameter("keyingModule"), ahIntegrity: try i.parameter("ahIntegrity"),
                    espIntegrity: try i.parameter("espIntegrity"), cipher: try i.parameter("cipher"),
                    lifetimeSeconds: try i.number("lifetimeSeconds"),
                    lifetimeKilobytes: try i.number("lifetimeKilobytes"),
                    lifetimePackets: try i.number("lifetimePackets"), mode: try i.parameter("mode"),
                    role: try i.parameter("role"),
                    filterID: try i.number("filterID"), mainModeSAID: try i.number("mainModeSAID"),
                    quickModeSAID: try i.number("quickModeSAID"), inboundSPI: try i.number("inboundSPI"),
                    outboundSPI: try i.number("outboundSPI"), tunnelID: try i.number("tunnelID"),
                    trafficSelectorID: try i.number("trafficSelectorID")))
        case 5452:
            return .quickModeEnded(
                QuickModeEnded(
                    local: try i.traffic("local"), remote: try i.traffic("remote"),
                    ipProtocol: try i.number("ipProtocol"),
                    quickModeSAID: try i.number("quickModeSAID"), tunnelID: try i.number("tunnelID"),
                    trafficSelectorID: try i.number("trafficSelectorID")))
        case 5453: return .keyingModulesNotStarted
        default: throw AuditVectorError(field: "eventID \(id)")
        }
    }
}

/// A missing or mistyped input field in an audit vector.
struct AuditVectorError: Error, CustomStringConvertible {
    var field: String
    var description: String { "audit vector field \(field) missing or of the wrong type" }
}

extension Optional {
    func orThrow(_ field: String) throws -> Wrapped {
        guard let self else { throw AuditVectorError(field: field) }
        return self
    }
}

/// Readers for the vector's input fields, named as the Swift properties they fill.
extension JSONValue {
    func member(_ key: String) throws -> JSONValue { try self[key].orThrow(key) }

    func optionalString(_ key: String) throws -> String? {
        let value = try member(key)
        return value == .null ? nil : try value.stringValue.orThrow(key)
    }

    /// An integer given as a JSON number or as a string: decimal (beyond 2^53) or `0x` hex
    /// (HRESULTs).
    func number<T: FixedWidthInteger>(_ key: String) throws -> T {
        let value = try member(key)
        if let text = value.stringValue {
            if text.hasPrefix("0x") { return try T(text.dropFirst(2), radix: 16).orThrow(key) }
            return try T(text).orThrow(key)
        }
        return try T(exactly: try value.integerValue.orThrow(key)).orThrow(key)
    }

    /// An enumerated value given by its Swift case name.
    func parameter<E: AuditParameter>(_ key: String) throws -> E {
        let name = try string(key)
        return try E.allCases.first { String(describing: $0) == name }.orThrow("\(key): \(name)")
    }

    /// An address given as its network-order bytes in hex, or null.
    func address(_ key: String) throws -> AuditAddress? {
        guard try member(key) != .null else { return nil }
        return try AuditAddress(bytes: try hex(key))
    }

    func certificate(_ key: String) throws -> CertificateSummary? {
        let value = try member(key)
        guard value != .null else { return nil }
        return try CertificateSummary(
            thumbprint: try value.hex("thumbprint"), issuingCA: try value.string("issuingCA"),
            rootCA: try value.string("rootCA"))
    }

    func peer(_ key: String) throws -> NegotiationPeer {
        let value = try member(key)
        return NegotiationPeer(
            principalName: try value.optionalString("principalName"), address: try value.address("address"),
            keyingModulePort: try value.number("keyingModulePort"))
    }

    func traffic(_ key: String) throws -> TrafficEndpoint {
        let value = try member(key)
        return TrafficEndpoint(
            address: try value.address("address"), mask: try value.address("mask"), port: try value.number("port"),
            tunnelEndpoint: try value.address("tunnelEndpoint"))
    }

    func failure() throws -> NegotiationFailure {
        let value = try member("failure")
        return NegotiationFailure(
            point: try value.parameter("point"), reason: try FailureReason(code: try value.number("reason")))
    }

    func mainModeSA(_ key: String) throws -> MainModeSA {
        let value = try member(key)
        let suite = try value.member("suite")
        return MainModeSA(
            local: try value.peer("local"), remote: try value.peer("remote"),
            suite: MainModeSuite(
                cipher: try suite.parameter("cipher"), integrity: try suite.parameter("integrity"),
                diffieHellmanGroup: try suite.parameter("diffieHellmanGroup"),
                lifetimeMinutes: try suite.number("lifetimeMinutes"), quickModeLimit: try suite.number("quickModeLimit")
            ),
            role: try value.parameter("role"), impersonation: try value.parameter("impersonation"),
            filterID: try value.number("filterID"), saID: try value.number("saID"))
    }

    func extendedModeSA(_ key: String) throws -> ExtendedModeSA {
        let value = try member(key)
        return ExtendedModeSA(
            localPrincipalName: try value.optionalString("localPrincipalName"),
            remotePrincipalName: try value.optionalString("remotePrincipalName"),
            impersonation: try value.parameter("impersonation"),
            quickModeFilterID: try value.number("quickModeFilterID"))
    }

    func mainModeEstablished() throws -> MainModeEstablished {
        MainModeEstablished(
            sa: try mainModeSA("sa"), keyingModule: try parameter("keyingModule"),
            authenticationMethod: try parameter("authenticationMethod"))
    }

    func mainModeFailed() throws -> MainModeFailed {
        MainModeFailed(
            local: try peer("local"), remote: try peer("remote"), keyingModule: try parameter("keyingModule"),
            failure: try failure(), authenticationMethod: try parameter("authenticationMethod"),
            state: try parameter("state"), role: try parameter("role"), impersonation: try parameter("impersonation"),
            filterID: try number("filterID"), initiatorCookie: try cookie("initiatorCookie"),
            responderCookie: try cookie("responderCookie"))
    }

    func cookie(_ key: String) throws -> UInt64 { try UInt64(try string(key), radix: 16).orThrow(key) }

    func invalidPacket() throws -> InvalidNegotiationPacket {
        InvalidNegotiationPacket(
            localAddress: try address("localAddress"), remoteAddress: try address("remoteAddress"),
            keyingModule: try parameter("keyingModule"))
    }
}
