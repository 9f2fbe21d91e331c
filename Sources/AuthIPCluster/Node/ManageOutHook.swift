import AuthIPWire
import Foundation
import Logging

/// The deployment's program that steers manage-out traffic to the node holding a client
/// (Docs/Cluster.md, "Manage out behind a balancer"): run as `HOOK CLIENT OWNER OWNER_ADDRESS`
/// (the address empty when the owner registered none), without a shell, its exit status
/// logged.
struct ManageOutHook {
    var path: String
    var logger: Logger

    func run(client: IPAddress, owner: String, ownerAddress: IPAddress?) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = [client.description, owner, ownerAddress?.description ?? ""]
        process.standardInput = FileHandle.nullDevice
        let logger = self.logger
        let path = self.path
        process.terminationHandler = { process in
            let status = process.terminationStatus
            if status == 0 {
                logger.notice("cluster: manage out to \(client) steered to node \(owner) by \(path)")
            } else {
                logger.warning("cluster: \(path) for \(client) (node \(owner)) exited with status \(status)")
            }
        }
        do {
            try process.run()
        } catch {
            logger.warning("cluster: cannot run \(path): \(error)")
        }
    }
}
