import ArgumentParser
import AuthIP
import AuthIPAudit
import AuthIPSADatabase
import AuthIPScenarios
import AuthIPSimulation
import AuthIPWire
import Foundation

/// `authip demo`: a DirectAccess server and a laptop on the simulated network, built from
/// nothing (a throw-away PKI, the embedded directory, a throw-away KDC): both tunnels, a
/// manage-out connection, then the laptop reported stolen. Prints what an administrator would
/// look at: the SA tables and the Security log.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a DirectAccess server and a laptop: both tunnels, manage out, then block the stolen laptop.")

    @Flag(help: "Print the events as Windows event XML instead of their message text.")
    var xml = false

    func run() throws {
        var printed: [String: Int] = [:]
        func section(_ title: String) { print("\n" + title + "\n" + String(repeating: "=", count: title.count)) }
        func events(_ lab: DirectAccessLab) {
            var new: [(Date, String, AuditEvent)] = []
            for node in lab.simulation.nodes {
                for entry in node.events.dropFirst(printed[node.name, default: 0]) {
                    new.append((entry.time, node.name, entry.event))
                }
                printed[node.name] = node.events.count
            }
            for (time, name, event) in new.sorted(by: { ($0.0, $0.1) < ($1.0, $1.1) }) {
                let seconds = String(format: "%.3f", time.timeIntervalSince(DirectAccessLab.start))
                print("\n--- \(name), event \(event.descriptor.eventID), t+\(seconds) s ---")
                print(event.message.replacingOccurrences(of: "\r\n", with: "\n"))
            }
        }
        func tables(_ lab: DirectAccessLab, _ title: String) {
            guard let server = lab.serverNode else { return }
            print("\n> netsh advfirewall monitor show mmsa   (\(title), on DASERVER)")
            print(server.endpoint.database.mainModeTable())
            print("> netsh advfirewall monitor show qmsa   (\(title), on DASERVER)")
            print(server.endpoint.database.quickModeTable())
        }

        section("swift-authip: a DirectAccess server and a laptop on a simulated network")
        let pki = try ThrowawayPKI(now: DirectAccessLab.start)
        print("PKI       root \(pki.authority.certificate.subject); server \(pki.server.certificate.subject)")
        let realm: KerberosRealm?
        switch KerberosRealm.shared {
        case .success(let running):
            realm = running
            print("Kerberos  realm DA.TEST, krb5kdc on 127.0.0.1:\(running.port); alice has a ticket")
        case .failure(let error):
            realm = nil
            print("Kerberos  not available (\(error)); the intranet tunnel will fail")
        }
        var lab = try DirectAccessLab(DirectAccessLab.Options(clients: 1), pki: pki, realm: realm)
        print(
            "Server    DASERVER, public 131.107.0.2 and 131.107.0.3 → tunnel endpoints \(lab.serverSetup.infrastructureTunnelEndpoint) "
                + "and \(lab.serverSetup.intranetTunnelEndpoint)")
        print("Laptop    CLIENT1 at \(lab.clientAddresses[0]) (6to4), computer account CLIENT1$, user alice")

        section("1. The laptop starts: the infrastructure tunnel (computer certificate + NTLMv2 as CLIENT1$)")
        lab.connect(0, through: .infrastructure)
        lab.run(for: .seconds(5))
        events(lab)
        tables(lab, "infrastructure tunnel up")

        section("2. alice logs on: the intranet tunnel (computer certificate + alice's Kerberos ticket)")
        lab.connect(0, through: .intranet)
        lab.run(for: .seconds(5))
        events(lab)
        tables(lab, "both tunnels up")

        section(
            "3. Manage out: the helpdesk at \(DirectAccessLab.helpdesk) (ISATAP management prefix) opens RDP to the laptop"
        )
        lab.manageOut(from: DirectAccessLab.helpdesk, to: 0)
        lab.run(for: .seconds(5))
        events(lab)
        print("\nAn intranet host outside the management prefix, 2001:db8:1:5::99, tries the same:")
        lab.manageOut(from: IPAddress("2001:db8:1:5::99")!, to: 0)
        lab.run(for: .seconds(5))
        events(lab)

        section("4. The laptop is reported stolen: block CLIENT1")
        if let server = lab.server {
            lab.simulation.inject(.block(WildcardPattern("*CLIENT1*")!, until: nil), into: server)
        }
        lab.run(for: .seconds(5))
        events(lab)
        tables(lab, "right after the block")
        print("The laptop's own tables:")
        print(lab.clientNode(0).endpoint.database.mainModeTable())

        section("5. The stolen laptop tries to reconnect")
        lab.connect(0, through: .infrastructure)
        lab.run(for: .seconds(60))
        events(lab)
        tables(lab, "after the attempt")

        let server = lab.serverNode
        let refused = server?.events.contains { $0.event.failureCode == .errorIpsecIkeAuthorizationFailure } == true
        let tunnels = server?.events.filter { $0.event.descriptor.eventID == 4981 }.count ?? 0
        section("Result")
        let managedOut =
            server?.events.contains {
                if case .quickModeEstablished(let event) = $0.event { return event.role == .initiator }
                return false
            } == true
        print(
            "tunnels established: \(tunnels) of 2; manage out: \(managedOut ? "yes" : "no"); "
                + "stolen laptop's SAs left: \(server?.endpoint.database.mainModeCount ?? -1); reconnection refused: \(refused ? "yes" : "no")"
        )
        guard tunnels == 2, managedOut, refused, server?.endpoint.database.mainModeCount == 0 else { throw ExitCode(1) }
    }
}
