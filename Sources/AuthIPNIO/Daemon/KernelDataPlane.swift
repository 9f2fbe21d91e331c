import AuthIP
import AuthIPAudit
import AuthIPWire
import AuthIPXFRM
import Foundation
import Logging
import Synchronization

/// A daemon's delegate with the Linux kernel's IPsec as its data plane: each SA the endpoint
/// installs or removes goes to the kernel (`XFRMDataPlane`) before it is printed; everything
/// else goes to the printing delegate. An SA the kernel refuses fails its Quick Mode SA: the
/// endpoint removes it (the peer told) and nothing of it stays in the kernel.
final class KernelDataPlane: EndpointDriverDelegate {
    let dataPlane: XFRMDataPlane
    private let printer: ConsoleDelegate
    private let logger: Logger
    private let monitor = Mutex<XFRMMonitor?>(nil)

    init(printer: ConsoleDelegate, logger: Logger) throws {
        self.printer = printer
        self.logger = logger
        dataPlane = try XFRMDataPlane(log: { logger.warning("xfrm: \($0)") })
    }

    /// The UDP_ENCAP option the NAT traversal sockets need.
    static var natTraversalSocketOptions: [SocketOptionSetting] {
        let option = XFRMDataPlane.espInUDPSocketOption
        return [SocketOptionSetting(level: option.level, name: option.name, value: option.value)]
    }

    /// Removes a crashed run's leftovers, installs the rules' traps, and starts listening for
    /// ACQUIRE and EXPIRE, which go to `driver`.
    func start(rules: [ConnectionSecurityRule], driver: ShardedDriver) throws {
        let removed = try dataPlane.start(rules: rules)
        if removed > 0 { logger.notice("xfrm: removed \(removed) policies and SAs an earlier run left") }
        let logger = self.logger
        let monitor = try XFRMMonitor(
            dataPlane: dataPlane,
            deliver: { inputs in
                for input in inputs {
                    logger.debug("xfrm: from the kernel: \(input)")
                    driver.submit(input)
                }
            },
            log: { logger.warning("xfrm: \($0)") })
        monitor.start()
        self.monitor.withLock { $0 = monitor }
        logger.notice("xfrm: \(dataPlane.installedPolicies.count) policies installed")
    }

    /// The traps of a reloaded configuration.
    func reload(rules: [ConnectionSecurityRule]) {
        do { try dataPlane.reload(rules: rules) } catch { logger.error("xfrm: reload: \(error)") }
    }

    /// After the driver's shutdown: stops listening and removes whatever is left.
    func stop() {
        monitor.withLock { $0 }?.stop()
        dataPlane.stop()
    }

    func endpointDriver(_ driver: EndpointDriver, install sa: IPsecSA) {
        do {
            try dataPlane.install(sa)
        } catch {
            logger.error(
                "xfrm: QM SA \(sa.quickModeSAID) not installed: \(error)",
                metadata: ["spi": "\(String(sa.spi, radix: 16))", "direction": "\(sa.direction.rawValue)"])
            driver.submit(.removeQuickModeSA(id: sa.quickModeSAID))
            return
        }
        printer.endpointDriver(driver, install: sa)
    }

    func endpointDriver(
        _ driver: EndpointDriver, removeSAWithSPI spi: UInt32, direction: IPsecSA.Direction, quickModeSAID: UInt64
    ) {
        dataPlane.remove(spi: spi, direction: direction, quickModeSAID: quickModeSAID)
        printer.endpointDriver(driver, removeSAWithSPI: spi, direction: direction, quickModeSAID: quickModeSAID)
    }

    func endpointDriver(_ driver: EndpointDriver, record event: AuditEvent, at time: Date) {
        printer.endpointDriver(driver, record: event, at: time)
    }

    func endpointDriver(
        _ driver: EndpointDriver, failedToSendTo destination: EndpointAddress, because error: EndpointDriverError
    ) {
        printer.endpointDriver(driver, failedToSendTo: destination, because: error)
    }

    func endpointDriver(_ driver: EndpointDriver, failedToSaveCRLCache error: EndpointDriverError) {
        printer.endpointDriver(driver, failedToSaveCRLCache: error)
    }

    func endpointDriver(_ driver: EndpointDriver, calibrated calibration: Calibration) {
        printer.endpointDriver(driver, calibrated: calibration)
    }
}
