import AuthIPAudit
import AuthIPJSON
import AuthIPTestSupport
import Foundation
import Testing

/// The model against the reference itself (`TestVectors/reference`): each event's header
/// values, fields, field types and allowed `%%NNNN` values, and the failure-reason table.
@Suite("Model against the reference")
struct ReferenceConformanceTests {
    /// One event of each ID, taken from the vectors.
    static func eventsByID() throws -> [UInt16: AuditEvent] {
        var events: [UInt16: AuditEvent] = [:]
        for vector in try EventVector.all() { events[vector.record.event.descriptor.eventID] = vector.record.event }
        return events
    }

    @Test("Each descriptor has the reference's version, task, keywords, subcategory, fields, types and values")
    func descriptorsMatchReference() throws {
        let reference = try Reference.load("ipsec-events.json")
        let events = try Self.eventsByID()
        #expect(events.count == 19)
        for (id, event) in events {
            let entry = try #require(reference[String(id)], "event \(id) missing from the reference")
            let descriptor = event.descriptor
            #expect(Int64(descriptor.version) == entry["version"]?.integerValue, "\(id)")
            #expect(Int64(descriptor.task) == entry["task"]?.integerValue, "\(id)")
            #expect(descriptor.keywords.hexValue == entry["keywords"]?.stringValue, "\(id)")
            #expect(descriptor.keywords.displayName == entry["keywords_meaning"]?.stringValue, "\(id)")
            #expect(descriptor.subcategory == entry["subcategory"]?.stringValue, "\(id)")
            let names = entry["fields"]?.arrayValue?.compactMap(\.stringValue) ?? []
            #expect(descriptor.fields.map(\.name) == names, "\(id)")
            for field in descriptor.fields {
                #expect(
                    field.type.manifestName == entry["field_types"]?[field.name]?.stringValue, "\(id) \(field.name)")
                let allowed = Reference.parameterIDs(entry["value_strings"]?[field.name])
                #expect(field.parameters.map(Set.init) == allowed, "\(id) \(field.name)")
            }
        }
    }

    @Test("Every failure reason is the reference's code, symbol and text, and none is missing")
    func failureReasonsMatchReference() throws {
        let tables = try Reference.load("ipsec-events-tables.json")
        var expected: [UInt32: (String, String)] = [:]
        for entry in tables["ike_win32_errors"]?.arrayValue ?? [] {
            let code = try #require(entry["code"]?.integerValue)
            expected[UInt32(code)] = (try entry.string("name"), try entry.string("text"))
        }
        for entry in tables["cert_and_sspi_hresults"]?.arrayValue ?? [] {
            let code = try #require(UInt32(try entry.string("hresult").dropFirst(2), radix: 16))
            expected[code] = (try entry.string("name"), try entry.string("text"))
        }
        #expect(FailureReason.all.count == expected.count)
        for reason in FailureReason.all {
            let entry = try #require(expected[reason.code], "\(reason.code) not in the reference")
            #expect(reason.name == entry.0)
            #expect(reason.text == entry.1)
        }
    }
}

/// `TestVectors/reference`: the Windows event schema and error tables the model follows.
enum Reference {
    static let directory = TestVectors.directory.appendingPathComponent("reference")

    static func load(_ name: String) throws -> JSONValue {
        try JSONValue(parsing: try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8))
    }

    /// The message IDs of a `value_strings` map (`{"%%8222": "IKEv1", ...}`), or nil.
    static func parameterIDs(_ map: JSONValue?) -> Set<UInt32>? {
        guard case .object(let members)? = map else { return nil }
        return Set(members.compactMap { UInt32($0.0.dropFirst(2)) })
    }
}

extension AuditFieldType {
    /// The type's name in the provider manifest.
    var manifestName: String {
        switch self {
        case .unicodeString: return "UnicodeString"
        case .uint32: return "UInt32"
        case .uint64: return "UInt64"
        }
    }
}
