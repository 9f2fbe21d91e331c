import AuthIP
import AuthIPAccounts
import AuthIPGSS
import AuthIPTrust
import AuthIPWire
import CoreMetrics
import Foundation
import Logging
import NIOCore

extension EndpointDriver {
    /// The longest a single timer is armed for; a later wake-up is re-armed when it fires.
    private static let longestTimer: TimeInterval = 3_600

    /// Gives the endpoint one input now and carries out what it asks; returns the writes of the
    /// datagrams it sent.
    @discardableResult
    func handle(_ input: EndpointInput) -> [EventLoopFuture<Void>] {
        let now = clock()
        let outputs = state.value.endpoint.handle(input, now: now)
        recorder?.record(input, at: now, outputs: outputs)
        var writes: [EventLoopFuture<Void>] = []
        for output in outputs {
            switch output {
            case let .send(bytes, from, to):
                if let write = send(bytes, from: from, to: to) { writes.append(write) }
            case .installSA(let sa):
                logger.info(
                    "installing SA",
                    metadata: [
                        "spi": "\(String(format: "%08x", sa.spi))", "direction": "\(sa.direction)",
                        "quickModeSA": "\(sa.quickModeSAID)", "from": "\(sa.outerSource)",
                        "to": "\(sa.outerDestination)",
                    ])
                delegate.endpointDriver(self, install: sa)
            case let .removeSA(spi, direction, quickModeSAID):
                logger.info(
                    "removing SA",
                    metadata: [
                        "spi": "\(String(format: "%08x", spi))", "direction": "\(direction)",
                        "quickModeSA": "\(quickModeSAID)",
                    ])
                delegate.endpointDriver(self, removeSAWithSPI: spi, direction: direction, quickModeSAID: quickModeSAID)
            case .audit(let event):
                if case ("main_mode", let established)? = DaemonMetrics.negotiation(event.descriptor.eventID) {
                    state.value.health.mainModes.record(established: established, at: now)
                }
                if let (established, began) = state.value.setups.end(event) {
                    CoreMetrics.Timer(
                        label: "authip_main_mode_setup_seconds",
                        dimensions: [("result", established ? "established" : "failed")]
                    ).recordElapsed(since: began)
                }
                delegate.endpointDriver(self, record: event, at: now)
            case let .fetchCRL(url, deadline):
                fetchCRL(url, deadline: deadline, now: now)
            case let .lookUpAccount(query, deadline):
                lookUp(query, deadline: deadline)
            case let .validateNTLM(request, deadline):
                validate(request, deadline: deadline)
            case .wakeUp(let date):
                scheduleWakeUp(at: date)
            case .calibrated(let calibration):
                delegate.endpointDriver(self, calibrated: calibration)
            }
        }
        return writes
    }

    private func send(
        _ message: [UInt8], from local: EndpointAddress, to peer: EndpointAddress
    ) -> EventLoopFuture<Void>? {
        guard let sockets = state.value.sockets else { return nil }
        switch sockets.send(message, from: local, to: peer) {
        case .failure(let error):
            delegate.endpointDriver(self, failedToSendTo: peer, because: error)
            return nil
        case .success(let write):
            logger.debug("sending", metadata: Self.negotiation(message, peer: peer, local: local))
            state.value.setups.note(message, peer: peer.ip, at: .now)
            write.whenFailure { error in
                self.delegate.endpointDriver(self, failedToSendTo: peer, because: .sendFailed(reason: "\(error)"))
            }
            return write
        }
    }

    /// Replaces the timer with one for `date`.
    private func scheduleWakeUp(at date: Date) {
        state.value.wakeUp?.task.cancel()
        let delay = min(max(0, date.timeIntervalSince(clock())), Self.longestTimer)
        let task = eventLoop.scheduleTask(in: .nanoseconds(Int64(delay * 1e9))) { self.wakeUpFired(for: date) }
        state.value.wakeUp = DriverState.WakeUp(date: date, task: task)
    }

    private func wakeUpFired(for date: Date) {
        guard state.value.sockets != nil else { return }
        // The loop's monotonic clock may run ahead of the driver's; the endpoint would find
        // nothing due yet and not ask again, so wait for the rest.
        guard date.timeIntervalSince(clock()) <= 0 else {
            scheduleWakeUp(at: date)
            return
        }
        state.value.wakeUp = nil
        handle(.timer)
    }

    /// At most this many CRL downloads wait or run at once; more are answered as failed at
    /// once. (The endpoint asks once per URL however many negotiations wait for it.)
    static let maximumCRLDownloads = 8

    /// Downloads a CRL within the endpoint's deadline and hands the result back on the loop.
    private func fetchCRL(_ url: String, deadline: Date, now: Date) {
        guard state.value.crlDownloadsInFlight < Self.maximumCRLDownloads else {
            eventLoop.execute {
                guard self.state.value.sockets != nil else { return }
                self.handle(
                    .crlFetched(
                        url: url, result: .failed("\(Self.maximumCRLDownloads) CRL downloads are already in flight")))
            }
            return
        }
        state.value.crlDownloadsInFlight += 1
        let budget = Duration.milliseconds(Int64(max(0, deadline.timeIntervalSince(now)) * 1000))
        let started = ContinuousClock.now
        crlDownloader.download(url, within: budget, on: eventLoop)
            .whenSuccess { result in
                let outcome: String
                if case .failed(let reason) = result {
                    outcome = "failed"
                    self.state.value.health.crlDownloads.record(failure: "\(url): \(reason)", at: self.clock())
                    self.logger.warning("CRL not downloaded", metadata: ["url": "\(url)", "reason": "\(reason)"])
                } else {
                    outcome = "downloaded"
                    self.state.value.health.crlDownloads.record(failure: nil, at: self.clock())
                    self.logger.debug("CRL downloaded", metadata: ["url": "\(url)"])
                }
                CoreMetrics.Timer(label: "authip_crl_download_seconds", dimensions: [("result", outcome)])
                    .recordElapsed(since: started)
                self.state.value.crlDownloadsInFlight -= 1
                guard self.state.value.sockets != nil else { return }
                self.handle(.crlFetched(url: url, result: result))
                self.saveCRLCaches()
            }
    }

    /// Writes the CRL caches that took downloads in memory, on the CRL pool: the endpoint
    /// itself never touches a disk. A cache that cannot be written is reported to the delegate
    /// and stays in memory, to be written after the next download.
    func saveCRLCaches() {
        guard eventLoop.inEventLoop else { return eventLoop.execute { self.saveCRLCaches() } }
        let caches = state.value.crlCaches.filter { $0.directory != nil && $0.hasUnsavedChanges }
        guard !caches.isEmpty else { return }
        crlThreadPool.runIfActive(eventLoop: eventLoop) {
            caches.compactMap { cache -> EndpointDriverError? in
                do {
                    try cache.saveIfChanged()
                    return nil
                } catch {
                    return .crlCacheNotSaved(directory: cache.directory?.path ?? "-", reason: "\(error)")
                }
            }
        }.whenSuccess { failures in
            for failure in failures { self.delegate.endpointDriver(self, failedToSaveCRLCache: failure) }
        }
    }

    /// The distinct caches with a directory among the certificate methods of every rule.
    /// Each CRL cache of the configuration's certificate methods once, in rule order.
    static func crlCaches(of configuration: EndpointConfiguration) -> [CRLCache] {
        var seen: Set<ObjectIdentifier> = []
        var caches: [CRLCache] = []
        for rule in configuration.rules {
            let sets = [rule.mainModeAuthentication] + (rule.extendedMode.map { [$0.authentication] } ?? [])
            for case .certificate(let tls) in sets.flatMap(\.methods)
            where seen.insert(ObjectIdentifier(tls.crlCache)).inserted {
                caches.append(tls.crlCache)
            }
        }
        return caches
    }

    /// At most this many directory look-ups and domain-controller checks wait or run on the
    /// thread pool at once; more are answered "unavailable" at once, so that unauthenticated
    /// peers cannot fill the pool (which CRL downloads share).
    static let maximumDirectoryCalls = 16

    private func lookUp(_ query: AccountQuery, deadline: Date) {
        guard let directory else { return }
        inBackground(
            "authip_directory_lookup_seconds", deadline: deadline, sharedWithShards: true,
            unavailable: AccountLookup.unavailable,
            failure: { if case .unavailable(let reason) = $0 { reason } else { nil } },
            { directory.lookUp(query, timeout: $0) }
        ) {
            .accountLookedUp(query, $0)
        }
    }

    private func validate(_ request: NTLMValidationRequest, deadline: Date) {
        guard let domainController else { return }
        inBackground(
            "authip_domain_controller_seconds", deadline: deadline, unavailable: NTLMValidation.unavailable,
            failure: { if case .unavailable(let reason) = $0 { reason } else { nil } },
            { domainController.validate(request, timeout: $0) }
        ) {
            .ntlmValidated(request, $0)
        }
    }

    /// Runs a blocking call on the thread pool with what is left of the endpoint's deadline when
    /// it starts (none left: not at all), and hands its answer back on the loop; how long it
    /// took goes to the swift-metrics timer `timer`, and whether the service answered (`failure`
    /// gives the reason it did not) to the driver's health.
    private func inBackground<Answer: Sendable>(
        _ timer: String, deadline: Date, sharedWithShards: Bool = false,
        unavailable: @escaping @Sendable (String) -> Answer,
        failure: @escaping @Sendable (Answer) -> String?,
        _ work: @escaping @Sendable (Duration) -> Answer,
        answer input: @escaping @Sendable (Answer) -> EndpointInput
    ) {
        guard state.value.directoryCallsInFlight < Self.maximumDirectoryCalls else {
            eventLoop.execute {
                guard self.state.value.sockets != nil else { return }
                self.handle(input(unavailable("\(Self.maximumDirectoryCalls) directory calls are already in flight")))
            }
            return
        }
        state.value.directoryCallsInFlight += 1
        let clock = self.clock
        let started = ContinuousClock.now
        threadPool.runIfActive(eventLoop: eventLoop) { () -> Answer in
            let left = deadline.timeIntervalSince(clock())
            guard left > 0 else { return unavailable("the deadline passed before the call could start") }
            return work(.milliseconds(Int64(left * 1000)))
        }
        .recover { error in unavailable("the call did not run: \(error)") }
        .whenSuccess { answer in
            CoreMetrics.Timer(label: timer).recordElapsed(since: started)
            self.state.value.directoryCallsInFlight -= 1
            let reason = failure(answer)
            self.state.value.health.directory.record(failure: reason, at: self.clock())
            if let reason {
                self.logger.warning(
                    "directory unavailable",
                    metadata: ["call": "\(timer.dropFirst(7).dropLast(8))", "reason": "\(reason)"])
            } else {
                self.logger.debug("directory answered", metadata: ["call": "\(timer.dropFirst(7).dropLast(8))"])
            }
            guard self.state.value.sockets != nil else { return }
            self.handle(input(answer))
            // The other shards' caches learn it too: the directory cache is the daemon's.
            if sharedWithShards, reason == nil { self.sharesAnswer?(input(answer)) }
        }
    }
}
