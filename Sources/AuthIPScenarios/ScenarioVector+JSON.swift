import AuthIPJSON
import AuthIPSimulation
import AuthIPWire
import Foundation

/// The JSON form of a scenario vector (Docs/TestVectors.md).
extension ScenarioVector {
    /// Why a file is not a scenario vector.
    public enum FormatError: Error, CustomStringConvertible {
        case invalid(String)
        public var description: String {
            switch self {
            case .invalid(let detail): return "not a scenario vector: \(detail)"
            }
        }
    }

    public init(json: JSONValue) throws(FormatError) {
        guard let name = json["name"]?.stringValue, let setup = json["setup"], let steps = json["steps"]?.arrayValue
        else {
            throw .invalid("name, setup and steps are required")
        }
        func number(_ value: JSONValue?, _ field: String) throws(FormatError) -> Double {
            switch value {
            case .integer(let n)?: return Double(n)
            case .double(let d)?: return d
            default: throw .invalid("\(field) must be a number")
            }
        }
        guard let faultName = setup["fault"]?.stringValue, let fault = Fault(rawValue: faultName) else {
            throw .invalid("unknown fault")
        }
        guard let clients = setup["clients"]?.integerValue, clients >= 1, let seed = setup["seed"]?.integerValue,
            seed >= 0
        else {
            throw .invalid("clients and seed are required")
        }
        let network = setup["network"]
        let conditions = NetworkConditions(
            loss: try number(network?["loss"], "loss"), duplication: try number(network?["duplicate"], "duplicate"),
            reordering: try number(network?["reorder"], "reorder"),
            latency: .milliseconds(Int64(try number(network?["latency_ms"], "latency_ms"))),
            jitter: .milliseconds(Int64(try number(network?["jitter_ms"], "jitter_ms"))))
        func profile(_ field: String) throws(FormatError) -> InteropProfile {
            guard let name = setup[field]?.stringValue else { return .standard }
            guard let profile = InteropProfile.named(name) else { throw .invalid("unknown \(field) \(name)") }
            return profile
        }
        let serverProfile = try profile("server_profile"), clientProfile = try profile("client_profile")
        var parsed: [Step] = []
        for step in steps {
            if let connect = step["connect"], let client = connect["client"]?.integerValue,
                let tunnel = connect["tunnel"]?.stringValue.flatMap(Tunnel.init(rawValue:)), client >= 1,
                client <= clients
            {
                parsed.append(.connect(client: Int(client) - 1, tunnel: tunnel))
            } else if let manage = step["manage_out"],
                let from = manage["from"]?.stringValue.flatMap({ IPAddress($0) }),
                let client = manage["client"]?.integerValue, client >= 1, client <= clients
            {
                parsed.append(.manageOut(from: from, client: Int(client) - 1))
            } else if let pattern = step["block"]?.stringValue {
                parsed.append(.block(pattern))
            } else if let pattern = step["unblock"]?.stringValue {
                parsed.append(.unblock(pattern))
            } else if let milliseconds = step["run_ms"]?.integerValue, milliseconds >= 0 {
                parsed.append(.run(milliseconds: Int(milliseconds)))
            } else if step["shutdown"]?.boolValue == true {
                parsed.append(.shutdown)
            } else {
                throw .invalid("unknown step \(step.compactText)")
            }
        }
        self.init(
            name: name, description: json["description"]?.stringValue ?? "",
            options: DirectAccessLab.Options(
                clients: Int(clients), fault: fault, seed: UInt64(seed), conditions: conditions,
                serverProfile: serverProfile, clientProfile: clientProfile),
            steps: parsed, expected: json["expect"])
    }

    public var json: JSONValue {
        let steps: [JSONValue] = self.steps.map { step in
            switch step {
            case .connect(let client, let tunnel):
                return .object([
                    ("connect", .object([("client", .number(client + 1)), ("tunnel", .string(tunnel.rawValue))]))
                ])
            case .manageOut(let source, let client):
                return .object([
                    ("manage_out", .object([("from", .string(source.description)), ("client", .number(client + 1))]))
                ])
            case .block(let pattern): return .object([("block", .string(pattern))])
            case .unblock(let pattern): return .object([("unblock", .string(pattern))])
            case .run(let milliseconds): return .object([("run_ms", .number(milliseconds))])
            case .shutdown: return .object([("shutdown", .bool(true))])
            }
        }
        let conditions = options.conditions
        func milliseconds(_ duration: Duration) -> JSONValue {
            .number(Int64(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000))
        }
        var setup: [(String, JSONValue)] = [
            ("clients", .number(options.clients)), ("fault", .string(options.fault.rawValue)),
            ("seed", .number(options.seed)),
            (
                "network",
                .object([
                    ("loss", .double(conditions.loss)), ("duplicate", .double(conditions.duplication)),
                    ("reorder", .double(conditions.reordering)),
                    ("latency_ms", milliseconds(conditions.latency)),
                    ("jitter_ms", milliseconds(conditions.jitter)),
                ])
            ),
        ]
        // What the server or the clients send differently (Docs/InteropProfile.md, "Tolerated
        // variants"); absent for our default.
        if options.serverProfile != .standard { setup.append(("server_profile", .string(options.serverProfile.name))) }
        if options.clientProfile != .standard { setup.append(("client_profile", .string(options.clientProfile.name))) }
        var members: [(String, JSONValue)] = [
            ("name", .string(name)), ("description", .string(description)), ("setup", .object(setup)),
            ("steps", .array(steps)),
        ]
        if let expected { members.append(("expect", expected)) }
        return .object(members)
    }
}
