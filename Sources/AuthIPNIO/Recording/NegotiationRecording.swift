import AuthIP
import AuthIPAudit
import AuthIPCrypto
import AuthIPGSS
import AuthIPJSON
import AuthIPTrust
import AuthIPWire
import Foundation
import Synchronization

/// A daemon run as a vector that `authip vectors run` replays byte for byte
/// (`authip responder --record DIR`): the configuration with the files it names, every input
/// the endpoint was handed with its time, every random byte OpenSSL drew (the engine draws
/// through it), and every output. It holds this side's secrets: its private keys, passwords
/// and the random bytes its keys came from. A Windows client negotiating with a recording
/// responder so gives a vector of what that Windows build sends (Docs/Interop.md).
///
/// Inputs the vector cannot carry (directory and domain-controller answers, administrative
/// removals, byte counts) make it not replayable; it says so, and the replay refuses it.
/// Kerberos negotiations do not replay byte for byte either: MIT Kerberos draws its own
/// random bytes and checks its own clock.
public final class NegotiationRecorder: Sendable {
    private struct State {
        var inputs: [JSONValue] = []
        var outputs: [JSONValue] = []
        var unsupported: Set<String> = []
        var start = Date.distantPast
    }

    private let name: String
    private let configuration: JSONValue
    private let files: [(String, [UInt8])]
    private let state = Mutex(State())

    /// Starts recording: from now on OpenSSL's random bytes are kept. Make it before the
    /// driver, whose endpoint draws its DoS-cookie secret as it is made.
    public init(
        name: String, configurationText: String, baseDirectory: URL
    ) throws(DriverConfigurationError) {
        let configuration: JSONValue
        do {
            configuration = try JSONValue(parsing: configurationText)
        } catch {
            throw .invalidField(field: "configuration", reason: "is not JSON: \(error)")
        }
        self.name = name
        self.configuration = configuration
        self.files = Self.files(named: configuration, in: baseDirectory)
        TLSContext.prepare()
        OpenSSLRandom.useRecording()
    }

    /// The files a configuration names (certificates, keys, keytabs, directories, CRLs): every
    /// string of it that is the path of a file, relative to `baseDirectory` or absolute.
    private static func files(named value: JSONValue, in baseDirectory: URL) -> [(String, [UInt8])] {
        var found: [(String, [UInt8])] = []
        func visit(_ value: JSONValue) {
            switch value {
            case .string(let text) where !text.isEmpty && !text.contains("\n"):
                let url =
                    text.hasPrefix("/") ? URL(fileURLWithPath: text) : baseDirectory.appendingPathComponent(text)
                var isDirectory: ObjCBool = false
                guard !found.contains(where: { $0.0 == text }),
                    FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue,
                    let data = FileManager.default.contents(atPath: url.path), data.count <= 4 << 20
                else { return }
                found.append((text, Array(data)))
            case .array(let items): items.forEach(visit)
            case .object(let members): members.forEach { visit($0.1) }
            default: break
            }
        }
        visit(value)
        return found
    }

    /// The time the endpoint was made with.
    func started(at date: Date) {
        state.withLock { $0.start = date }
    }

    /// One `handle` call: its input, time and outputs.
    func record(_ input: EndpointInput, at now: Date, outputs: [EndpointOutput]) {
        let encoded = Self.encode(input)
        state.withLock { state in
            var members: [(String, JSONValue)] = [("t_us", .number(Self.microseconds(now)))]
            switch encoded {
            case .success(let fields): members += fields
            case .failure(let unsupported):
                members.append(("unsupported", .string(unsupported.kind)))
                state.unsupported.insert(unsupported.kind)
            }
            state.inputs.append(.object(members))
            state.outputs.append(.array(outputs.map { .string(Self.text(of: $0)) }))
        }
    }

    /// The vector so far.
    public var vector: JSONValue {
        let (inputs, outputs, unsupported, start) = state.withLock {
            ($0.inputs, $0.outputs, $0.unsupported, $0.start)
        }
        var recording: [(String, JSONValue)] = [
            ("configuration", configuration),
            (
                "files",
                .object(files.map { ($0.0, .string(Data($0.1).base64EncodedString())) })
            ),
            ("start_us", .number(Self.microseconds(start))),
            ("inputs", .array(inputs)),
            ("random", .string(Data(OpenSSLRandom.recorded).base64EncodedString())),
        ]
        if !unsupported.isEmpty {
            recording.append(
                ("not_replayable", .string("inputs it cannot carry: " + unsupported.sorted().joined(separator: ", "))))
        }
        return .object([
            ("name", .string(name)),
            ("description", .string("A negotiation recorded by authip --record: what was received, sent and logged.")),
            ("recording", .object(recording)),
            ("expect", .object([("outputs", .array(outputs))])),
        ])
    }

    /// Writes the vector as `DIRECTORY/NAME.json`, readable by its owner only (it holds secrets).
    public func write(to directory: URL) throws -> URL {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(name + ".json")
        try Data((vector.prettyText + "\n").utf8).write(to: url, options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
        return url
    }

    // MARK: - Encoding

    private struct Unsupported: Error {
        var kind: String
    }

    static func microseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1e6).rounded()) }

    private static func address(_ address: EndpointAddress) -> JSONValue {
        .object([("ip", .string(address.ip.description)), ("port", .number(address.port))])
    }

    private static func encode(_ input: EndpointInput) -> Result<[(String, JSONValue)], Unsupported> {
        switch input {
        case .datagram(let bytes, let from, let to):
            return .success([
                (
                    "datagram",
                    .object([("from", address(from)), ("to", address(to)), ("hex", .string(Hex.encode(bytes)))])
                )
            ])
        case .timer: return .success([("timer", .bool(true))])
        case .shutdown: return .success([("shutdown", .bool(true))])
        case .acquire(let traffic):
            return .success([
                (
                    "acquire",
                    .object([
                        ("source", .string(traffic.source.description)),
                        ("destination", .string(traffic.destination.description)),
                        ("protocol", .number(traffic.ipProtocol)), ("source_port", .number(traffic.sourcePort)),
                        ("destination_port", .number(traffic.destinationPort)),
                    ])
                )
            ])
        case .crlFetched(let url, .downloaded(let bytes)):
            return .success([("crl", .object([("url", .string(url)), ("hex", .string(Hex.encode(bytes)))]))])
        case .crlFetched(let url, .failed(let reason)):
            return .success([("crl", .object([("url", .string(url)), ("failed", .string(reason))]))])
        case .ntlmValidated: return .failure(Unsupported(kind: "ntlmValidated"))
        case .accountLookedUp: return .failure(Unsupported(kind: "accountLookedUp"))
        case .removeMainModeSAs: return .failure(Unsupported(kind: "removeMainModeSAs"))
        case .removeQuickModeSA: return .failure(Unsupported(kind: "removeQuickModeSA"))
        case .bytesTransferred: return .failure(Unsupported(kind: "bytesTransferred"))
        case .block: return .failure(Unsupported(kind: "block"))
        case .unblock: return .failure(Unsupported(kind: "unblock"))
        case .reconfigure: return .failure(Unsupported(kind: "reconfigure"))
        }
    }

    /// An output as one line, for the comparison of a replay.
    static func text(of output: EndpointOutput) -> String {
        switch output {
        case .send(let bytes, let from, let to): return "send \(from) -> \(to) \(Hex.encode(bytes))"
        case .installSA(let sa):
            return "install \(sa.direction.rawValue) spi \(String(sa.spi, radix: 16)) QM SA \(sa.quickModeSAID) "
                + "\(sa.source) -> \(sa.destination) keys \(Hex.encode(sa.encryptionKey.withUnsafeBytes { Array($0) })) "
                + Hex.encode(sa.integrityKey.withUnsafeBytes { Array($0) })
        case .removeSA(let spi, let direction, let id):
            return "remove \(direction.rawValue) spi \(String(spi, radix: 16)) QM SA \(id)"
        case .audit(let event):
            return "event \(event.descriptor.eventID) "
                + event.eventData.map { "\($0.name)=\($0.value.storedText)" }.joined(separator: "; ")
        case .fetchCRL(let url, let deadline): return "fetch \(url) by \(microseconds(deadline))"
        case .validateNTLM(_, let deadline): return "validate NTLM by \(microseconds(deadline))"
        case .lookUpAccount(let query, let deadline): return "look up \(query.key) by \(microseconds(deadline))"
        case .wakeUp(let date): return "wake up at \(microseconds(date))"
        case .calibrated(let calibration): return "calibrated \(calibration)"
        }
    }
}

/// Replays a `NegotiationRecorder` vector: a new endpoint from the recorded configuration
/// (its files written to a temporary directory), OpenSSL drawing the recorded random bytes,
/// each input handed at its time, each call's outputs compared with the recorded ones.
public enum NegotiationReplay {
    /// A vector that cannot be replayed, and why.
    public struct Refusal: Error, CustomStringConvertible {
        public var description: String
    }

    /// The differences between the recorded outputs and the replay's, empty when they agree.
    public static func check(_ vector: JSONValue) throws -> [String] {
        guard let recording = vector["recording"], let inputs = recording["inputs"]?.arrayValue,
            var configurationText = recording["configuration"]?.compactText,
            let expected = vector["expect"]?["outputs"]?.arrayValue,
            let start = recording["start_us"]?.integerValue,
            let random = recording["random"]?.stringValue.flatMap({ Data(base64Encoded: $0) })
        else { throw Refusal(description: "not a recording: recording, its inputs and expect.outputs are required") }
        if let reason = recording["not_replayable"]?.stringValue {
            throw Refusal(description: "not replayable: \(reason)")
        }

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "authip-replay-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var files: [(String, JSONValue)] = []
        if case .object(let members)? = recording["files"] { files = members }
        for (index, (path, content)) in files.enumerated() {
            guard let data = content.stringValue.flatMap({ Data(base64Encoded: $0) }) else {
                throw Refusal(description: "file \(path) is not base64")
            }
            let url = directory.appendingPathComponent("\(index)-" + URL(fileURLWithPath: path).lastPathComponent)
            try data.write(to: url)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
            configurationText = configurationText.replacingOccurrences(
                of: JSONValue.string(path).compactText, with: JSONValue.string(url.path).compactText)
        }
        let configuration = try DriverConfiguration(json: Data(configurationText.utf8), baseDirectory: directory)
            .endpointConfiguration()

        TLSContext.prepare()
        OpenSSLRandom.useStream(Array(random))
        defer { OpenSSLRandom.useSystem() }
        var endpoint = Endpoint(
            configuration: configuration, random: SystemRandomSource(), now: date(start))
        var differences: [String] = []
        for (index, recorded) in inputs.enumerated() {
            guard let time = recorded["t_us"]?.integerValue, let input = decode(recorded) else {
                throw Refusal(description: "input \(index) cannot be read: \(recorded.compactText)")
            }
            let outputs = endpoint.handle(input, now: date(time)).map {
                JSONValue.string(NegotiationRecorder.text(of: $0))
            }
            let wanted = index < expected.count ? expected[index].arrayValue ?? [] : []
            if outputs != wanted {
                let first = Array(zip(outputs, wanted)).firstIndex { $0 != $1 } ?? min(outputs.count, wanted.count)
                differences.append(
                    "input \(index): output \(first) is "
                        + (first < outputs.count ? outputs[first].compactText : "missing") + ", recorded "
                        + (first < wanted.count ? wanted[first].compactText : "nothing"))
                break
            }
        }
        if OpenSSLRandom.streamRanOut { differences.append("the replay drew more random bytes than were recorded") }
        return differences
    }

    private static func date(_ microseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(microseconds) / 1e6)
    }

    private static func address(_ value: JSONValue?) -> EndpointAddress? {
        guard let ip = value?["ip"]?.stringValue.flatMap({ IPAddress($0) }), let port = value?["port"]?.integerValue,
            let port = UInt16(exactly: port)
        else { return nil }
        return EndpointAddress(ip, port: port)
    }

    private static func decode(_ value: JSONValue) -> EndpointInput? {
        if let datagram = value["datagram"] {
            guard let from = address(datagram["from"]), let to = address(datagram["to"]),
                let bytes = datagram["hex"]?.stringValue.flatMap({ Hex.decode($0) })
            else { return nil }
            return .datagram(bytes, from: from, to: to)
        }
        if value["timer"]?.boolValue == true { return .timer }
        if value["shutdown"]?.boolValue == true { return .shutdown }
        if let acquire = value["acquire"] {
            guard let source = acquire["source"]?.stringValue.flatMap({ IPAddress($0) }),
                let destination = acquire["destination"]?.stringValue.flatMap({ IPAddress($0) }),
                let ipProtocol = acquire["protocol"]?.integerValue.flatMap({ UInt8(exactly: $0) }),
                let sourcePort = acquire["source_port"]?.integerValue.flatMap({ UInt16(exactly: $0) }),
                let destinationPort = acquire["destination_port"]?.integerValue.flatMap({ UInt16(exactly: $0) })
            else { return nil }
            return .acquire(
                TrafficRequest(
                    source: source, destination: destination, ipProtocol: ipProtocol, sourcePort: sourcePort,
                    destinationPort: destinationPort))
        }
        if let crl = value["crl"], let url = crl["url"]?.stringValue {
            if let reason = crl["failed"]?.stringValue { return .crlFetched(url: url, result: .failed(reason)) }
            guard let bytes = crl["hex"]?.stringValue.flatMap({ Hex.decode($0) }) else { return nil }
            return .crlFetched(url: url, result: .downloaded(bytes))
        }
        return nil
    }
}
