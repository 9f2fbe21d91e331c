import AuthIP
import AuthIPAudit
import AuthIPWire
import Foundation

/// One endpoint in a simulation, with what it asked for: its events and its data-plane SAs.
public struct SimulatedNode {
    public let name: String
    public var endpoint: Endpoint
    /// The addresses datagrams reach this node at.
    public var addresses: Set<IPAddress>
    /// Every audit event, with the virtual time it was emitted (unless the simulation's
    /// `recordsEvents` is off), and how many of each ID there were.
    public internal(set) var events: [(time: Date, event: AuditEvent)] = []
    public internal(set) var eventCounts: [UInt16: Int] = [:]
    /// What the endpoint calibrated against its peers, in order.
    public internal(set) var calibrations: [Calibration] = []
    /// The data plane: installed SAs by QMSAID and direction.
    public internal(set) var installedSAs: [UInt64: [IPsecSA.Direction: IPsecSA]] = [:]
    /// Every datagram it sent.
    public internal(set) var sentDatagrams = 0

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
