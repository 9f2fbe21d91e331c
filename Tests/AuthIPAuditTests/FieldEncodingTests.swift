import AuthIPAudit
import Testing

/// Each value sits in a field of its type: literal text only in plain UnicodeString fields,
/// `%%NNNN` only in enumerated fields and only with an ID the field allows, numbers only in
/// UInt32/UInt64 fields. A value moved to another field almost always breaks one of these.
@Suite("Field types and enumerations")
struct FieldEncodingTests {
    @Test("Every value fits its field's type and allowed values", arguments: EventVectorTests.vectors)
    func valuesFitFields(_ vector: EventVector) {
        let event = vector.record.event
        let fields = event.descriptor.fields
        #expect(event.eventData.map(\.name) == fields.map(\.name))
        for (field, (_, value)) in zip(fields, event.eventData) {
            switch value {
            case .text:
                #expect(field.type == .unicodeString && field.parameters == nil, "\(field.name) holds text")
            case .parameter(let id):
                #expect(
                    field.type == .unicodeString && field.parameters?.contains(id) == true,
                    "\(field.name) holds %%\(id)")
            case .uint32:
                #expect(field.type == .uint32, "\(field.name) holds a UInt32")
            case .uint64:
                #expect(field.type == .uint64, "\(field.name) holds a UInt64")
            }
        }
    }

    @Test("Each enumeration has exactly the values its fields allow")
    func enumerationsMatchFields() throws {
        var allowed: [String: Set<UInt32>] = [:]
        for vector in EventVectorTests.vectors {
            let descriptor = vector.record.event.descriptor
            for field in descriptor.fields {
                guard let parameters = field.parameters else { continue }
                allowed["\(descriptor.eventID).\(field.name)"] = Set(parameters)
            }
        }
        func ids<P: AuditParameter>(_: P.Type) -> Set<UInt32> { Set(P.allCases.map(\.rawValue)) }
        #expect(allowed["4646.notification"] == ids(DoSPreventionNotification.self))
        #expect(allowed["4653.KeyModName"] == ids(KeyingModule.self))
        #expect(allowed["5451.KeyingModuleName"] == ids(KeyingModule.self))
        #expect(allowed["4653.FailurePoint"] == ids(FailurePoint.self))
        #expect(allowed["4653.MMAuthMethod"] == ids(AuthenticationMethod.self))
        #expect(allowed["4984.EMAuthMethod"] == ids(AuthenticationMethod.self))
        #expect(allowed["4653.State"] == ids(MainModeState.self))
        #expect(allowed["4654.State"] == ids(QuickModeState.self))
        #expect(allowed["4984.State"] == ids(ExtendedModeState.self))
        #expect(allowed["4653.Role"] == ids(NegotiationRole.self))
        #expect(allowed["4653.MMImpersonationState"] == ids(ImpersonationState.self))
        #expect(allowed["4984.EMImpersonationState"] == ids(ImpersonationState.self))
        #expect(allowed["4650.MMCipherAlg"] == ids(CipherAlgorithm.self))
        #expect(allowed["5451.CipherType"] == ids(CipherAlgorithm.self))
        #expect(allowed["4650.MMIntegrityAlg"] == ids(IntegrityAlgorithm.self))
        #expect(allowed["5451.AhAuthType"] == ids(IntegrityAlgorithm.self))
        #expect(allowed["5451.EspAuthType"] == ids(IntegrityAlgorithm.self))
        #expect(allowed["4650.DHGroup"] == ids(DiffieHellmanGroupParameter.self))
        #expect(allowed["4654.Mode"] == ids(IPsecMode.self))
        #expect(allowed["5451.Mode"] == ids(IPsecMode.self))
    }

    @Test("Every enumerated value has Event Viewer text")
    func everyParameterHasText() {
        func texts<P: AuditParameter>(_: P.Type) -> [String] { P.allCases.map(\.displayText) }
        let all =
            texts(KeyingModule.self) + texts(FailurePoint.self) + texts(AuthenticationMethod.self)
            + texts(MainModeState.self) + texts(QuickModeState.self) + texts(ExtendedModeState.self)
            + texts(NegotiationRole.self) + texts(ImpersonationState.self) + texts(CipherAlgorithm.self)
            + texts(IntegrityAlgorithm.self) + texts(DiffieHellmanGroupParameter.self) + texts(IPsecMode.self)
            + texts(DoSPreventionNotification.self)
        #expect(all.allSatisfy { !$0.hasPrefix("%%") })
        #expect(KeyingModule.authIP.displayText == "AuthIP")
        #expect(ExtendedModeState.sentSecondPayload.displayText == "Sent second (SSPI) payload")
    }

    @Test("Field names are valid RFC 5424 PARAM-NAMEs (1-32 printable characters, no = ] \" or space)")
    func fieldNamesFitSyslog() {
        for vector in EventVectorTests.vectors {
            for field in vector.record.event.descriptor.fields {
                let scalars = field.name.unicodeScalars
                #expect((1...32).contains(scalars.count), "\(field.name)")
                #expect(scalars.allSatisfy { (0x21...0x7E).contains($0.value) && !"=]\" ".unicodeScalars.contains($0) })
            }
        }
    }
}
