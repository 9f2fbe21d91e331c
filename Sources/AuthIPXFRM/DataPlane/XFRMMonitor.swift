import AuthIP
import CXFRM
import Foundation
import Synchronization

/// Listens to the kernel's ACQUIRE and EXPIRE notifications on a thread of its own and reads
/// the SAs' byte counts at an interval, handing what they mean to `deliver` as endpoint inputs.
public final class XFRMMonitor: Sendable {
    private let dataPlane: XFRMDataPlane
    private let socket: NetlinkSocket
    private let interval: Duration
    private let deliver: @Sendable ([EndpointInput]) -> Void
    private let log: @Sendable (String) -> Void
    private let started = Atomic<Bool>(false)
    private let stopped = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    /// Opens the listening socket (in the data plane's network namespace: the caller's).
    public init(
        dataPlane: XFRMDataPlane, countingEvery interval: Duration = .seconds(10),
        deliver: @escaping @Sendable ([EndpointInput]) -> Void, log: @escaping @Sendable (String) -> Void
    ) throws(NetlinkError) {
        self.dataPlane = dataPlane
        socket = try NetlinkSocket(
            groups: [UInt32(XFRMNLGRP_ACQUIRE.rawValue), UInt32(XFRMNLGRP_EXPIRE.rawValue)], timeout: .seconds(1))
        self.interval = interval
        self.deliver = deliver
        self.log = log
    }

    /// Starts the thread.
    public func start() {
        guard !started.exchange(true, ordering: .relaxed) else { return }
        let thread = Thread { [self] in
            defer { finished.signal() }
            var nextCount = ContinuousClock.now + interval
            while !stopped.load(ordering: .relaxed) {
                do throws(NetlinkError) {
                    for message in try socket.receive() {
                        guard let notification = try XFRMNotification(message) else { continue }
                        let inputs = dataPlane.inputs(for: notification)
                        if !inputs.isEmpty { deliver(inputs) }
                    }
                } catch {
                    switch error {
                    case .timedOut: break
                    case .socket(_, ENOBUFS):
                        log("the kernel dropped notifications (ACQUIRE or EXPIRE) the daemon did not read in time")
                    default: log("\(error)")
                    }
                }
                if ContinuousClock.now >= nextCount {
                    let counts = dataPlane.byteCounts()
                    if !counts.isEmpty { deliver(counts) }
                    nextCount = ContinuousClock.now + interval
                }
            }
        }
        thread.name = "authip-xfrm"
        thread.start()
    }

    /// Stops the thread and waits for it (at most its one-second read timeout).
    public func stop() {
        guard !stopped.exchange(true, ordering: .relaxed), started.load(ordering: .relaxed) else { return }
        finished.wait()
    }
}
