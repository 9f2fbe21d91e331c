import ArgumentParser
import AuthIPControl
import AuthIPJSON
import AuthIPNIO
import AuthIPTrust
import Foundation

/// `authip cert`: certificate validation as a DirectAccess server or client does it.
struct CertificateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cert", abstract: "Validate computer certificates.", subcommands: [VerifyCertificateCommand.self])
}

struct VerifyCertificateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Validate a certificate chain with none, weak or strong CRL checking.",
        discussion: """
            Prints VALID, or INVALID with the HRESULT, its symbolic name and the Windows text. \
            Exit status: 0 valid, 1 invalid, 2 usage errors. Every input may be PEM or DER.
            """)

    @Option(help: "Revocation checking: none, weak (local CRL cache only) or strong (cache and distribution points).")
    var mode: RevocationMode = .weak

    @Option(name: .customLong("trust"), help: "A trusted root certificate (repeatable).")
    var roots: [String] = []

    @Option(name: .customLong("untrusted"), help: "An intermediate certificate the peer sent (repeatable).")
    var intermediates: [String] = []

    @Option(name: .customLong("crl"), help: "A CRL file that counts as already in the local cache (repeatable).")
    var crls: [String] = []

    @Option(name: .customLong("crl-cache"), help: "The local CRL cache directory.")
    var cacheDirectory: String?

    @Option(name: .customLong("at"), help: "The validation time, RFC 3339 (default: now).")
    var time: String?

    @Flag(help: "Let strong mode download CRL distribution points.")
    var fetch = false

    @Option(help: "Validate this many times and print the mean microseconds per validation on stderr.")
    var `repeat`: Int = 1

    @Argument(help: "The certificate to validate.")
    var leaf: String

    func validate() throws {
        guard !roots.isEmpty else { throw ValidationError("Give at least one --trust root.") }
        guard `repeat` >= 1 else { throw ValidationError("--repeat must be at least 1.") }
        if let time, ISO8601DateFormatter().date(from: time) == nil {
            throw ValidationError("--at must be an RFC 3339 time such as 2026-11-01T00:00:00Z.")
        }
    }

    func run() throws {
        let date = time.flatMap { ISO8601DateFormatter().date(from: $0) } ?? Date()
        let cache: CRLCache
        let certificate: Certificate
        let policy: TrustPolicy
        let untrusted: [Certificate]
        do {
            cache = try cacheDirectory.map { try CRLCache(directory: URL(fileURLWithPath: $0)) } ?? CRLCache()
            for path in crls {
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw TrustInputError.unreadable(path)
                }
                try cache.insert(Array(data), source: "file://" + path, persistent: false)
            }
            guard let first = try Certificate.load(path: leaf).first else { throw TrustInputError.malformedCertificate }
            certificate = first
            untrusted = try intermediates.flatMap { try Certificate.load(path: $0) }
            policy = TrustPolicy(trustedRoots: try roots.flatMap { try Certificate.load(path: $0) }, revocation: mode)
        } catch {
            printError("error: \(error)")
            throw ExitCode(2)
        }
        let fetcher = CRLDownloader()
        var verdict: TrustVerdict?
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            for _ in 0..<`repeat` {
                var validation = CertificateValidation(
                    leaf: certificate, intermediates: untrusted, policy: policy, cache: cache, at: date)
                var step = validation.start()
                while case .needCRLs(let urls) = step {
                    let results =
                        fetch
                        ? fetcher.fetch(urls)
                        : Dictionary(
                            uniqueKeysWithValues: urls.map {
                                ($0, CRLDownload.failed("downloads not allowed without --fetch"))
                            })
                    step = validation.resume(with: results)
                }
                if case .finished(let result) = step { verdict = result }
            }
        }
        if `repeat` > 1 {
            let microseconds =
                (Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12)
                / Double(`repeat`)
            printError(String(format: "%.1f us per validation (%d validations)", microseconds, `repeat`))
        }
        switch verdict {
        case .valid?:
            print("VALID")
        case .invalid(let failure)?:
            print("INVALID \(failure.error.formattedCode) \(failure.error.name) \(failure.error.text)")
            printError(failure.detail)
            throw ExitCode(1)
        case nil:
            throw ExitCode(1)
        }
    }
}

/// `authip crl`: the local CRL cache.
struct CRLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crl", abstract: "Inspect and maintain the local CRL cache.",
        subcommands: [ListCRLCommand.self, ImportCRLCommand.self, PurgeCRLCommand.self])
}

/// Which cache a `crl` command works on: a cache directory, or a running daemon's live caches
/// over its control socket (which a daemon would otherwise overwrite from memory).
struct CacheOption: ParsableArguments {
    @Option(name: .customLong("crl-cache"), help: "The local CRL cache directory.")
    var directory: String?

    @Option(help: ArgumentHelp("A running daemon's control socket: its live caches.", valueName: "PATH"))
    var control: String?

    @Flag(help: "With --control: print the daemon's answer as JSON.")
    var json = false

    func validate() throws {
        guard (directory == nil) != (control == nil) else {
            throw ValidationError("Give either --crl-cache or --control.")
        }
    }

    func open() throws -> CRLCache {
        guard let directory else { throw ExitCode(2) }
        do {
            return try CRLCache(directory: URL(fileURLWithPath: directory))
        } catch {
            printError("error: cannot open the CRL cache \(directory): \(error)")
            throw ExitCode(2)
        }
    }

    /// Sends `request` to the daemon given with --control, when one was.
    func sendToDaemon(_ request: ControlRequest, text: (JSONValue) -> String) throws -> Bool {
        guard let control else { return false }
        try ControlOptions.send(request, to: control, json: json, text: text)
        return true
    }
}

struct ListCRLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the cached CRLs.")
    @OptionGroup var cache: CacheOption

    /// A daemon's CRL as `CRLCache.listing()` prints one.
    static func line(_ crl: JSONValue) -> String {
        let issuer = crl["issuer"]?.stringValue ?? ""
        let thisUpdate = crl["thisUpdate"]?.stringValue ?? ""
        let nextUpdate = crl["nextUpdate"]?.stringValue ?? "-"
        let entries = crl["entries"]?.integerValue ?? 0
        let delta = crl["delta"] == .bool(true) ? " (delta)" : ""
        let source = crl["source"]?.stringValue ?? ""
        return
            "\(issuer) | thisUpdate \(thisUpdate) | nextUpdate \(nextUpdate) | \(entries) entries\(delta) | \(source)"
    }

    func run() throws {
        let remote = try cache.sendToDaemon(.listCRLs) { result in
            let caches = result["caches"]?.arrayValue ?? []
            let lines = caches.flatMap { cache in (cache["crls"]?.arrayValue ?? []).map(Self.line) }
            return lines.isEmpty ? "(no CRLs)\n" : lines.joined(separator: "\n") + "\n"
        }
        if remote { return }
        let lines = try cache.open().listing()
        lines.forEach { print($0) }
        if lines.isEmpty { print("(no CRLs)") }
    }
}

struct ImportCRLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import", abstract: "Add CRL files to the cache.")
    @OptionGroup var cache: CacheOption
    @Argument(help: "CRL files, PEM or DER.") var files: [String]

    func run() throws {
        if cache.control != nil {
            for file in files {
                let path = URL(fileURLWithPath: file).standardizedFileURL.path
                _ = try cache.sendToDaemon(.importCRL(path: path)) { result in
                    "imported \(result["imported"]?["issuer"]?.stringValue ?? ""), "
                        + "\(result["imported"]?["entries"]?.integerValue ?? 0) entries\n"
                }
            }
            return
        }
        let store = try cache.open()
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                printError("error: cannot read \(file)")
                throw ExitCode(1)
            }
            do {
                let list = try store.insert(Array(data), source: "file://" + file)
                print("imported \(list.issuer), \(list.entryCount) entries")
            } catch {
                printError("error: \(file): \(error)")
                throw ExitCode(1)
            }
        }
    }
}

struct PurgeCRLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge", abstract: "Drop the CRLs past their nextUpdate.")
    @OptionGroup var cache: CacheOption
    @Option(name: .customLong("at"), help: "The time to compare with, RFC 3339 (default: now).") var time: String?

    func run() throws {
        let date = time.flatMap { ISO8601DateFormatter().date(from: $0) } ?? Date()
        let remote = try cache.sendToDaemon(.purgeCRLs(at: time == nil ? nil : date)) { result in
            "purged \(result["purged"]?.integerValue ?? 0) expired CRLs\n"
        }
        if remote { return }
        print("purged \(try cache.open().purgeExpired(at: date)) expired CRLs")
    }
}

extension RevocationMode: ExpressibleByArgument {}
