import Dispatch
import Foundation

/// SIGINT, SIGTERM (stop) and SIGHUP (reload) handed to a handler instead of their default
/// action, for as long as the value lives; SIGPIPE ignored (a syslog receiver that closes its
/// TLS stream must not end the daemon).
final class DaemonSignals {
    private static let numbers = [SIGINT, SIGTERM, SIGHUP]
    private let sources: [any DispatchSourceSignal]

    init(_ handler: @escaping @Sendable (Int32) -> Void) {
        signal(SIGPIPE, SIG_IGN)
        sources = Self.numbers.map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { handler(number) }
            source.resume()
            return source
        }
    }

    deinit {
        for source in sources { source.cancel() }
        for number in Self.numbers { signal(number, SIG_DFL) }
    }
}
