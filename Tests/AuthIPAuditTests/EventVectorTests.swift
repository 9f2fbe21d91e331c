import AuthIPAudit
import AuthIPJSON
import Testing

/// Every event of `TestVectors/audit/events.json`, rendered and compared with the XML, message
/// text and JSON written by hand from the reference. A changed field, field order or value
/// encoding changes one of the three strings.
@Suite("Audit event vectors")
struct EventVectorTests {
    static let vectors: [EventVector] = (try? EventVector.all()) ?? []

    @Test("The vectors cover all 19 event IDs")
    func coversEveryEvent() throws {
        let all = try EventVector.all()
        let ids = Set(all.map { $0.record.event.descriptor.eventID })
        #expect(
            ids == [
                4646, 4650, 4651, 4652, 4653, 4654, 4655, 4976, 4977, 4978,
                4979, 4980, 4981, 4982, 4983, 4984, 5451, 5452, 5453,
            ])
    }

    @Test("Windows event XML", arguments: vectors)
    func windowsXML(_ vector: EventVector) {
        #expect(vector.record.windowsXML == vector.expectedXML, "\(vector.name)")
    }

    @Test("Event Viewer message text", arguments: vectors)
    func message(_ vector: EventVector) {
        #expect(vector.record.event.message == vector.expectedMessage, "\(vector.name)")
    }

    @Test("JSON", arguments: vectors)
    func json(_ vector: EventVector) throws {
        #expect(vector.record.json == vector.expectedJSONWithMessage, "\(vector.name)")
        // The compact text is what the durable log stores; it must read back to the same value.
        #expect(try JSONValue(parsing: vector.record.json.compactText) == vector.expectedJSONWithMessage)
    }
}

extension EventVector: CustomTestStringConvertible {
    var testDescription: String { name }

    /// `expectedJSON` with `RenderingInfo.Message` put first in `RenderingInfo`.
    var expectedJSONWithMessage: JSONValue {
        guard case .object(var members) = expectedJSON,
            let index = members.firstIndex(where: { $0.0 == "RenderingInfo" }),
            case .object(let rendering) = members[index].1
        else { return expectedJSON }
        members[index].1 = .object([("Message", .string(expectedMessage))] + rendering)
        return .object(members)
    }
}
