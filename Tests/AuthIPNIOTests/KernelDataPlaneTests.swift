import AuthIPTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Two daemons with `"dataPlane": "xfrm"` in a network namespace of their own (`unshare
/// --net`), over its loopback. This machine's kernel takes policies but has no ESP: each SA
/// install is refused, which must fail that Quick Mode SA cleanly, named in the log, with
/// nothing of it left in the kernel. A kernel with ESP installs them instead; either way a
/// stop leaves nothing. (Traffic through ESP: scripts/kernel-lab.sh, in a VM.)
@Suite(
    "Daemons with the XFRM data plane",
    .enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare"), "needs root"))
struct KernelDataPlaneTests {
    @Test("A refused SA fails its Quick Mode SA, named with its SPI and errno; traps come and go with the daemons")
    func refusedInstall() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "authip-xfrm-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let (_, responder, initiator) = try LoopbackConfiguration.write(.certificate(), in: directory)
        for file in [responder, initiator] {
            let text = try String(contentsOf: file, encoding: .utf8)
            try text.replacingOccurrences(of: "\"dataPlane\": \"none\"", with: "\"dataPlane\": \"xfrm\"")
                .write(to: file, atomically: true, encoding: .utf8)
        }
        let authip = ChildProcess.authip.path
        let script = """
            set -u
            cd '\(directory.path)'
            ip link set lo up
            '\(authip)' responder --config '\(responder.path)' --duration 30 > responder.out 2> responder.err &
            responder=$!
            for i in $(seq 1 100); do grep -q 'listening on' responder.err && break; sleep 0.1; done
            ip xfrm policy > policies-running.txt
            '\(authip)' initiator --config '\(initiator.path)' --exit-when-established --duration 8 \\
              > initiator.out 2> initiator.err
            echo $? > initiator.status
            ip xfrm state > states-after-initiator.txt
            kill -TERM $responder
            wait $responder
            ip xfrm policy > policies-after.txt
            ip xfrm state > states-after.txt
            """
        let run = try ChildProcess(
            "namespace", executable: URL(fileURLWithPath: "/usr/bin/unshare"),
            arguments: ["--net", "sh", "-c", script], in: directory)
        #expect(run.waitForExit(seconds: 60) == 0, "\(run.standardError)")
        func read(_ name: String) -> String {
            (try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)) ?? ""
        }
        // ESP SAs with an SPI (the kernel's larval ACQUIRE entries have none and expire by themselves).
        func espSAs(_ name: String) -> [String] {
            read(name).components(separatedBy: "\n").filter {
                $0.contains("proto esp spi") && !$0.contains("spi 0x00000000")
            }
        }
        let responderLog = read("responder.err"), initiatorLog = read("initiator.err")
        // The responder's trap (127.0.0.1 toward 127.0.0.0/8) and the two bypasses.
        #expect(
            read("policies-running.txt").components(separatedBy: "dir out").count - 1 == 3,
            "\(read("policies-running.txt"))")
        if initiatorLog.contains("not installed") {
            // No ESP here: both sides name the refused SA, and the negotiation does not count as established.
            for log in [initiatorLog, responderLog] {
                #expect(
                    log.contains(
                        /xfrm: QM SA \d+ not installed: add SA spi 0x[0-9a-f]+ to 127\.0\.0\.\d \(QM SA \d+, (in|out)bound\): .+ \(errno \d+\)/
                    ),
                    "\(log)")
            }
            #expect(read("initiator.status").hasPrefix("0") == false, "\(initiatorLog)")
            #expect(espSAs("states-after-initiator.txt").isEmpty, "no SA of a refused Quick Mode stays")
        } else {
            #expect(read("initiator.status").hasPrefix("0"), "\(initiatorLog)")
        }
        #expect(read("policies-after.txt").isEmpty, "\(read("policies-after.txt"))")
        #expect(espSAs("states-after.txt").isEmpty, "\(read("states-after.txt"))")
    }
}
