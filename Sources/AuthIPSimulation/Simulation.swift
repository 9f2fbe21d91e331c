import AuthIP
import AuthIPAccounts
import AuthIPCrypto
import AuthIPGSS
import AuthIPKeySchedule
import AuthIPSADatabase
import AuthIPTrust
import AuthIPWire
import Foundation

/// Endpoints on a virtual clock and an in-memory network that can lose, duplicate, reorder
/// and delay datagrams. Everything is driven by the seed: a run repeats exactly.
public struct Simulation {
    public private(set) var now: Date
    public private(set) var nodes: [SimulatedNode] = []
    public var conditions: NetworkConditions
    /// Answers the CRL downloads endpoints ask for, after `crlLatency`; nil answers every
    /// download with a failure (an unreachable distribution point).
    public var crlServer: ((String) -> CRLDownload)?
    public var crlLatency: Duration = .milliseconds(50)
    /// Answers the account look-ups endpoints ask for (a remote directory), after
    /// `directoryLatency`; nil never answers, as a directory that is down.
    public var directoryServer: ((AccountQuery) -> AccountLookup)?
    public var directoryLatency: Duration = .milliseconds(5)
    /// Checks the NTLM responses endpoints hand to their domain controller, after
    /// `directoryLatency`; nil never answers, as a domain controller that is down.
    public var domainController: ((NTLMValidationRequest) -> NTLMValidation)?
    /// Datagrams delivered, lost and duplicated so far.
    public private(set) var delivered = 0
    public private(set) var lost = 0
    public private(set) var duplicated = 0

    /// A man in the middle for tests of this package: sees each datagram with the sender's
    /// session keys and returns what travels instead (nil: nothing).
    package var interceptor:
        ((_ datagram: TracedDatagram, _ senderKeys: [CookiePair: CryptoPayloadProtection]) -> [UInt8]?)?

    /// When off, nodes count their events instead of keeping them (long runs).
    public var recordsEvents = true

    /// When set, every datagram sent is kept in `trace`.
    public var recordsTraffic = false
    public private(set) var trace: [TracedDatagram] = []

    private var nats: [IPAddress: IPAddress] = [:]
    private var natMappings: [EndpointAddress: EndpointAddress] = [:]
    private var natReverse: [EndpointAddress: EndpointAddress] = [:]
    private var nextNATPort: UInt16 = 40_000

    private var random: SeededRandomSource
    private var queue = PendingQueue()
    private var wakeUps = DeadlineQueue<Int>()
    private var nodeByAddress: [IPAddress: Int] = [:]
    private var sequence = 0

    public init(
        seed: UInt64, conditions: NetworkConditions = .ideal, start: Date = Date(timeIntervalSince1970: 1_795_000_000)
    ) {
        random = SeededRandomSource(seed: seed)
        self.conditions = conditions
        now = start
    }

    /// Adds an endpoint reachable at `addresses`; returns its index.
    @discardableResult
    public mutating func add(_ name: String, _ endpoint: Endpoint, addresses: [IPAddress]) -> Int {
        nodes.append(SimulatedNode(name: name, endpoint: endpoint, addresses: Set(addresses)))
        for address in addresses { nodeByAddress[address] = nodes.count - 1 }
        return nodes.count - 1
    }

    /// Puts the node address `inside` behind a NAT whose public address is `outside`: what it
    /// sends leaves from `outside` with a port of the NAT's choosing, and answers to that port
    /// come back to it.
    public mutating func addNAT(inside: IPAddress, outside: IPAddress) {
        nats[inside] = outside
    }

    public func node(named name: String) -> SimulatedNode? { nodes.first { $0.name == name } }

    /// Hands an input to a node now.
    public mutating func inject(_ input: EndpointInput, into node: Int) {
        deliver(input, to: node)
    }

    /// Runs until `deadline` (virtual), or until nothing is left to do.
    public mutating func run(until deadline: Date) {
        while let next = nextTime(), next <= deadline {
            step(at: next)
        }
        now = max(now, deadline)
    }

    /// Runs for a virtual duration.
    public mutating func run(for duration: Duration) {
        run(
            until: now.addingTimeInterval(
                TimeInterval(duration.components.seconds) + TimeInterval(duration.components.attoseconds) / 1e18))
    }

    private mutating func nextTime() -> Date? {
        switch (queue.first?.time, wakeUps.earliest()) {
        case (let a?, let b?): return min(a, b)
        case (let a?, nil): return a
        case (nil, let b?): return b
        default: return nil
        }
    }

    private mutating func step(at time: Date) {
        now = max(now, time)
        if let first = queue.first, first.time <= now {
            let pending = queue.removeFirst()
            deliver(pending.input, to: pending.node)
            return
        }
        for index in wakeUps.due(at: now) { deliver(.timer, to: index) }
    }

    private mutating func deliver(_ input: EndpointInput, to index: Int) {
        let outputs = nodes[index].endpoint.handle(input, now: now)
        for output in outputs { carry(output, from: index) }
    }

    private mutating func carry(_ output: EndpointOutput, from index: Int) {
        switch output {
        case .send(var bytes, var source, var destination):
            nodes[index].sentDatagrams += 1
            if let interceptor {
                guard
                    let replaced = interceptor(
                        TracedDatagram(
                            time: now, sender: nodes[index].name, bytes: bytes, from: source, to: destination),
                        nodes[index].endpoint.sessionProtections)
                else { return }
                bytes = replaced
            }
            if recordsTraffic {
                trace.append(
                    TracedDatagram(time: now, sender: nodes[index].name, bytes: bytes, from: source, to: destination))
            }
            source = translateOutbound(source)
            if let inside = natReverse[destination] { destination = inside }
            guard let target = nodeByAddress[destination.ip] else { return }
            transmit(.datagram(bytes, from: source, to: destination), to: target)
        case .installSA(let sa):
            nodes[index].installedSAs[sa.quickModeSAID, default: [:]][sa.direction] = sa
        case .removeSA(_, let direction, let id):
            nodes[index].installedSAs[id]?[direction] = nil
            if nodes[index].installedSAs[id]?.isEmpty == true { nodes[index].installedSAs[id] = nil }
        case .audit(let event):
            nodes[index].eventCounts[event.descriptor.eventID, default: 0] += 1
            if recordsEvents { nodes[index].events.append((now, event)) }
        case .fetchCRL(let url, _):
            let result = crlServer?(url) ?? .failed("the distribution point is unreachable")
            schedule(.crlFetched(url: url, result: result), to: index, after: crlLatency.seconds)
        case .validateNTLM(let request, _):
            if let domainController {
                schedule(.ntlmValidated(request, domainController(request)), to: index, after: directoryLatency.seconds)
            }
        case .lookUpAccount(let query, _):
            if let directoryServer {
                schedule(.accountLookedUp(query, directoryServer(query)), to: index, after: directoryLatency.seconds)
            }
        case .wakeUp(let time):
            wakeUps.schedule(index, at: time)
        case .calibrated(let calibration):
            nodes[index].calibrations.append(calibration)
        }
    }

    /// The public address and port a NAT gives a datagram from `source`.
    private mutating func translateOutbound(_ source: EndpointAddress) -> EndpointAddress {
        guard let outside = nats[source.ip] else { return source }
        if let mapped = natMappings[source] { return mapped }
        let mapped = EndpointAddress(outside, port: nextNATPort)
        nextNATPort &+= 1
        natMappings[source] = mapped
        natReverse[mapped] = source
        return mapped
    }

    private mutating func transmit(_ input: EndpointInput, to target: Int) {
        if chance(conditions.loss) {
            lost += 1
            return
        }
        let copies = chance(conditions.duplication) ? 2 : 1
        duplicated += copies - 1
        for _ in 0..<copies {
            var delay = conditions.latency.seconds + conditions.jitter.seconds * uniform()
            if chance(conditions.reordering) { delay += conditions.latency.seconds * (1 + 2 * uniform()) }
            delivered += 1
            schedule(input, to: target, after: delay)
        }
    }

    private mutating func schedule(_ input: EndpointInput, to node: Int, after delay: TimeInterval) {
        sequence += 1
        queue.insert(PendingQueue.Entry(time: now.addingTimeInterval(delay), order: sequence, node: node, input: input))
    }

    private mutating func uniform() -> Double { Double(random.next() >> 11) / Double(1 << 53) }

    private mutating func chance(_ probability: Double) -> Bool { probability > 0 && uniform() < probability }
}

extension Duration {
    var seconds: TimeInterval { TimeInterval(components.seconds) + TimeInterval(components.attoseconds) / 1e18 }
}

/// A datagram as a node sent it.
public struct TracedDatagram: Sendable {
    public var time: Date
    public var sender: String
    public var bytes: [UInt8]
    public var from: EndpointAddress
    public var to: EndpointAddress
}

/// The datagrams and answers in flight, earliest first (ties in the order they were sent).
struct PendingQueue {
    struct Entry {
        var time: Date
        var order: Int
        var node: Int
        var input: EndpointInput

        func precedes(_ other: Entry) -> Bool { (time, order) < (other.time, other.order) }
    }

    private var heap: [Entry] = []

    var first: Entry? { heap.first }

    mutating func insert(_ entry: Entry) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func removeFirst() -> Entry {
        heap.swapAt(0, heap.count - 1)
        let entry = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].precedes(heap[smallest]) { smallest = left }
            if right < heap.count, heap[right].precedes(heap[smallest]) { smallest = right }
            guard smallest != parent else { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return entry
    }
}
