import ServiceLifecycle
import UnixSignals

/// The running daemon as a swift-service-lifecycle service: its `ServiceGroup` turns SIGTERM
/// and SIGINT into a graceful shutdown (the run's outcome is settled, and the driver then
/// tells its peers before it stops), and SIGHUP asks for a reload. It ends when the group
/// shuts down or is cancelled (the run stopped for another reason).
struct DaemonService: Service {
    /// Settles the run's outcome: called once on graceful shutdown.
    let shutDown: @Sendable () -> Void
    /// Called on every SIGHUP.
    let reload: @Sendable () -> Void
    /// Called once the service runs, its signals trapped.
    let started: @Sendable () -> Void

    func run() async throws {
        let hangUps = await UnixSignalsSequence(trapping: .sighup)
        started()
        await withGracefulShutdownHandler {
            await cancelWhenGracefulShutdown {
                for await _ in hangUps { reload() }
            }
        } onGracefulShutdown: {
            shutDown()
        }
    }
}
