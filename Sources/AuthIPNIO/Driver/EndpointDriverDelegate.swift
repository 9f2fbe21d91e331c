import AuthIP
import AuthIPAudit
import AuthIPWire
import Foundation

/// Where an `EndpointDriver` hands everything that is not network I/O: the data plane's SAs,
/// the audit events, and the datagrams it could not send. A daemon plugs its data plane in
/// here. Every method is called on the driver's event loop, in the order the endpoint asked,
/// so an implementation must return quickly and must not block.
public protocol EndpointDriverDelegate: Sendable {
    /// Install one direction of a Quick Mode SA in the data plane.
    func endpointDriver(_ driver: EndpointDriver, install sa: IPsecSA)
    /// Remove the data-plane SA with this SPI and direction.
    func endpointDriver(
        _ driver: EndpointDriver, removeSAWithSPI spi: UInt32, direction: IPsecSA.Direction, quickModeSAID: UInt64)
    /// Record an audit event the endpoint emitted at `time`.
    func endpointDriver(_ driver: EndpointDriver, record event: AuditEvent, at time: Date)
    /// A datagram to `destination` was not sent; the endpoint retransmits as it would after a loss.
    func endpointDriver(
        _ driver: EndpointDriver, failedToSendTo destination: EndpointAddress, because error: EndpointDriverError)
    /// Downloaded CRLs could not be written to a CRL cache's directory (`crlCacheNotSaved`).
    func endpointDriver(_ driver: EndpointDriver, failedToSaveCRLCache error: EndpointDriverError)
    /// The endpoint found what a peer uses where Windows builds differ: worth a log line.
    func endpointDriver(_ driver: EndpointDriver, calibrated calibration: Calibration)
}
