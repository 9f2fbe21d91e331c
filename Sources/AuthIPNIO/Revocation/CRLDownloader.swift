import AuthIPDirectory
import AuthIPTrust
import NIOCore
import NIOPosix

/// Downloads CRL distribution points without blocking an event loop: `http://` ones with
/// NIO (redirects, chunked bodies, one deadline from name resolution to the last byte),
/// `ldap://` ones from the directory or anonymously (see `LDAPDistributionPoints`) on a
/// thread pool. Every other scheme, `file://` above all (a certificate must not make the
/// server open local paths), is refused. Each download stops at `maximumSize` bytes.
public struct CRLDownloader: Sendable {
    public var timeout: Duration
    public var maximumSize: Int
    public var maximumRedirects: Int
    public var ldap: LDAPDistributionPoints
    private let group: any EventLoopGroup
    private let pool: NIOThreadPool

    /// - Parameters:
    ///   - group: where HTTP downloads run; `pool`, where LDAP reads block.
    ///   - directory: the domain's directory, which `ldap:///` URLs without a host name.
    public init(
        timeout: Duration = .seconds(15), maximumSize: Int = 64 << 20, maximumRedirects: Int = 4,
        directory: LDAPDirectoryConfiguration? = nil,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, pool: NIOThreadPool = .singleton
    ) {
        self.timeout = timeout
        self.maximumSize = maximumSize
        self.maximumRedirects = maximumRedirects
        self.ldap = LDAPDistributionPoints(directory: directory)
        self.group = group
        self.pool = pool
    }

    /// The download of `url`, within `budget` when it is shorter than `timeout`.
    public func download(
        _ url: String, within budget: Duration? = nil, on loop: (any EventLoop)? = nil
    )
        -> EventLoopFuture<CRLDownload>
    {
        let loop = loop ?? group.next()
        let limit = min(timeout, budget ?? timeout)
        let lowered = url.lowercased()
        if lowered.hasPrefix("http://") {
            guard let target = HTTPTarget(url) else { return loop.makeSucceededFuture(.failed("malformed URL")) }
            let deadline = NIODeadline.now() + TimeAmount(limit)
            let (maximumSize, maximumRedirects) = (self.maximumSize, self.maximumRedirects)
            return loop.flatSubmit {
                HTTPDownload.get(
                    target, on: loop, deadline: deadline, maximumSize: maximumSize, redirects: maximumRedirects)
            }
        }
        if lowered.hasPrefix("ldap://") {
            let ldap = self.ldap
            let maximumSize = self.maximumSize
            return pool.runIfActive(eventLoop: loop) { () -> CRLDownload in
                do throws(DistributionPointError) {
                    return .downloaded(try ldap.fetch(url, timeout: limit, maximumSize: maximumSize))
                } catch {
                    return .failed(error.description)
                }
            }.recover { .failed("the download did not run: \($0)") }
        }
        return loop.makeSucceededFuture(.failed("unsupported URL"))
    }

    /// Every URL's result, downloaded at once and waited for: for a command or a test, never
    /// on an event loop.
    public func fetch(_ urls: [String]) -> [String: CRLDownload] {
        let downloads = urls.map { ($0, download($0)) }
        var results: [String: CRLDownload] = [:]
        for (url, download) in downloads where results[url] == nil {
            results[url] = (try? download.wait()) ?? .failed("the download did not run")
        }
        return results
    }

    /// One URL's result, waited for.
    public func fetch(_ url: String) -> CRLDownload {
        fetch([url])[url] ?? .failed("the download did not run")
    }
}
