import AuthIP
import AuthIPTrust
import AuthIPWire
import Foundation
import NIOCore

/// What an `EndpointDriver` changes as it runs; touched on its event loop only. A class, so
/// that reading one member through the loop-bound box does not copy the rest.
final class DriverState {
    var endpoint: Endpoint
    /// The CRL caches of the configuration's certificate methods, each once (the control
    /// socket's `crl` commands; those with a directory are saved after downloads).
    var crlCaches: [CRLCache]
    var phase: Phase = .idle
    /// The timer for the endpoint's last `wakeUp(at:)`.
    var wakeUp: WakeUp?
    /// Directory look-ups and domain-controller checks on the thread pool.
    var directoryCallsInFlight = 0
    /// CRL downloads running.
    var crlDownloadsInFlight = 0
    /// How downloads, directory calls and Main Modes have gone, for `authip status`.
    var health = DriverHealth()
    /// When the Main Modes under way began, for the setup latency histograms.
    var setups = SetupClock()
    /// Datagrams that arrived on this shard's sockets but belong to another shard (the
    /// kernel's steering could not place them).
    var datagramsHandedOn = 0
    /// Whether first messages of new negotiations are dropped (the node is drained), and how
    /// many were.
    var refusesNewNegotiations = false
    var firstMessagesDropped = 0

    init(endpoint: Endpoint, crlCaches: [CRLCache]) {
        self.endpoint = endpoint
        self.crlCaches = crlCaches
    }

    enum Phase {
        /// Created; no socket yet.
        case idle
        /// Binding the sockets.
        case starting
        /// Receiving and sending on these sockets, by the address and port each is bound to.
        case running(DatagramSockets)
        /// The last datagrams are being written and the sockets closed; done when this completes.
        case stopping(EventLoopFuture<Void>)
        case stopped
    }

    struct WakeUp {
        var date: Date
        var task: Scheduled<Void>
    }

    var sockets: DatagramSockets? {
        if case .running(let sockets) = phase { return sockets }
        return nil
    }
}
