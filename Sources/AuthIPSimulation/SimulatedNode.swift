import AuthIP
import AuthIPAudit
import AuthIPWire
import Foundation

/// One endpoint in a simulation, with what it asked for: its events, its data-plane SAs and
/// its wake-up time.
public struct SimulatedNode {
    public let name: String
    public var endpoint: Endpoint
    /// The addresses datagrams reach this node at.
    public var addresses: Set<IPAddress>
    /// Every audit event, with the virtual time it was emitted.
    public internal(set) var events: [(time: Date, event: AuditEvent)] = []
    /// The data plane: installed SAs by QMSAID and direction.
    public internal(set) var installedSAs: [UInt64: [IPsecSA.Direction: IPsecSA]] = [:]
    /// Every datagram it sent.
    public internal(set) var sentDatagrams = 0
    var wakeUp: Date?

    init(name: String, endpoint: Endpoint, addresses: Set<IPAddress>) {
        self.name = name
        self.endpoint = endpoint
        self.addresses = addresses
    }

    /// The event IDs in order.
    public var eventIDs: [UInt16] { events.map { $0.event.descriptor.eventID } }

    /// How many one-direction SAs the data plane holds.
    public var installedSACount: Int { installedSAs.values.reduce(0) { $0 + $1.count } }
}
