import AuthIPWire

/// Why an `EndpointDriver` could not do what was asked.
public enum EndpointDriverError: Error, Hashable, Sendable, CustomStringConvertible {
    /// `start()` was called on a driver that is running or has run.
    case alreadyStarted
    /// An input was submitted to a driver that is not running.
    case notRunning
    /// A socket could not be bound to this local address and port.
    case bindFailed(EndpointAddress, reason: String)
    /// The endpoint sent from an address and port the driver has no socket for.
    case noSocket(EndpointAddress)
    /// The socket refused a datagram.
    case sendFailed(reason: String)
    /// CRLs the endpoint downloaded could not be written to the cache's directory; they stay
    /// in memory and the next download tries again.
    case crlCacheNotSaved(directory: String, reason: String)

    public var description: String {
        switch self {
        case .alreadyStarted: return "the driver has already been started"
        case .notRunning: return "the driver is not running"
        case let .bindFailed(address, reason): return "cannot bind UDP \(address): \(reason)"
        case let .noSocket(address): return "no socket is bound to UDP \(address)"
        case let .sendFailed(reason): return "the datagram was not sent: \(reason)"
        case let .crlCacheNotSaved(directory, reason): return "the CRL cache \(directory) was not saved: \(reason)"
        }
    }
}
