import AuthIP
import AuthIPControl
import Foundation
import Synchronization

/// Reads a daemon's configuration file again for `authip reload` and SIGHUP: the new file must
/// load whole, and may change rules, credentials, policies and settings, but not what the
/// running daemon has bound or opened (addresses, ports, control socket, state directory,
/// audit sinks, Active Directory), which needs a restart.
public final class ConfigurationReloader: Sendable {
    public let path: String
    private let running: Mutex<DriverConfiguration>

    public init(path: String, running: DriverConfiguration) {
        self.path = path
        self.running = Mutex(running)
    }

    /// The file's new configuration, loaded; throws why it is refused.
    func next() throws -> (DriverConfiguration, EndpointConfiguration) {
        let configuration: DriverConfiguration
        do {
            configuration = try DriverConfiguration.load(path: path)
        } catch {
            throw ControlRequest.Refusal("\(error); the running configuration is kept")
        }
        let current = running.withLock { $0 }
        let fixed: [(String, Bool)] = [
            ("localAddresses", configuration.localAddresses == current.localAddresses),
            ("port", configuration.port == current.port),
            ("natTraversalPort", configuration.natTraversalPort == current.natTraversalPort),
            ("controlSocket", configuration.controlSocketPath == current.controlSocketPath),
            ("stateDirectory", configuration.stateDirectoryPath == current.stateDirectoryPath),
            (
                "audit",
                configuration.auditLogPath == current.auditLogPath
                    && configuration.audit?.syslog?.destination == current.audit?.syslog?.destination
            ),
            ("activeDirectory", (configuration.activeDirectory == nil) == (current.activeDirectory == nil)),
            ("metrics", configuration.metrics?.listen == current.metrics?.listen),
            ("logLevel", configuration.logLevel == current.logLevel),
            ("user", configuration.user == current.user && configuration.group == current.group),
            ("dataPlane", configuration.dataPlane == current.dataPlane),
            ("cluster", configuration.cluster == current.cluster),
        ]
        if let changed = fixed.first(where: { !$0.1 }) {
            throw ControlRequest.Refusal(
                "\(changed.0) changed: that needs a restart; the running configuration is kept")
        }
        do {
            return (configuration, try configuration.endpointConfiguration())
        } catch {
            throw ControlRequest.Refusal("\(error); the running configuration is kept")
        }
    }

    func adopt(_ configuration: DriverConfiguration) {
        running.withLock { $0 = configuration }
    }
}
