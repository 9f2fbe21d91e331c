import ArgumentParser
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
        let fetcher = CRLFetcher()
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

struct CacheOption: ParsableArguments {
    @Option(name: .customLong("crl-cache"), help: "The local CRL cache directory.")
    var directory: String

    func open() throws -> CRLCache {
        do {
            return try CRLCache(directory: URL(fileURLWithPath: directory))
        } catch {
            printError("error: cannot open the CRL cache \(directory): \(error)")
            throw ExitCode(2)
        }
    }
}

struct ListCRLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the cached CRLs.")
    @OptionGroup var cache: CacheOption

    func run() throws {
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
        print("purged \(try cache.open().purgeExpired(at: date)) expired CRLs")
    }
}

extension RevocationMode: ExpressibleByArgument {}
