import AuthIPDirectory
import AuthIPErrors
import AuthIPNIO
import AuthIPTrust
import Foundation
import Testing

extension SambaDCTests {
    /// AD CS publishes each CRL in the configuration partition and names it first, as a
    /// host-less `ldap:///` URL, in the certificates it issues.
    @Suite("CRL distribution points in Active Directory")
    struct LDAPDistributionPointTests {
        static let container = "CN=daserver,CN=CDP,CN=Public Key Services,CN=Services,CN=Configuration,DC=da,DC=test"

        /// The URL AD CS writes for a CA: the DN with its commas and spaces percent-encoded.
        static func url(commonName: String) -> String {
            let dn = "CN=\(commonName),\(container)"
                .replacingOccurrences(of: " ", with: "%20").replacingOccurrences(of: ",", with: "%2C")
            return "ldap:///\(dn)?certificateRevocationList?base?objectClass=cRLDistributionPoint"
        }

        /// Publishes `crl` as the cRLDistributionPoint `CN=commonName` in the DC's own database.
        static func publish(_ crl: [UInt8], commonName: String) throws {
            let database = "\(SambaDC.directory ?? "")/private/sam.ldb"
            for container in [
                "CN=CDP,CN=Public Key Services,CN=Services,CN=Configuration,DC=da,DC=test", container,
            ] {
                _ = try ldb("ldbadd", database, "dn: \(container)\nobjectClass: container\n")
            }
            _ = try ldb("ldbdel", database, nil, "CN=\(commonName),\(container)")
            let status = try ldb(
                "ldbadd", database,
                "dn: CN=\(commonName),\(container)\nobjectClass: cRLDistributionPoint\n"
                    + "certificateRevocationList:: \(Data(crl).base64EncodedString())\n")
            #expect(status == 0, "ldbadd of the CRL")
        }

        private static func ldb(
            _ tool: String, _ database: String, _ ldif: String?, _ argument: String? = nil
        ) throws
            -> Int32
        {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/\(tool)")
            process.arguments = ["-H", database] + (argument.map { [$0] } ?? [])
            let input = Pipe()
            process.standardInput = input
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            if let ldif { input.fileHandleForWriting.write(Data(ldif.utf8)) }
            try input.fileHandleForWriting.close()
            process.waitUntilExit()
            return process.terminationStatus
        }

        @Test("A host-less ldap:/// URL is read from the domain's directory and decides a strong validation")
        func strongValidation() throws {
            let now = Date()
            let commonName = "AuthIP LDAP CDP CA"
            let ca = try CertificateAuthority(
                commonName: commonName, organization: "AuthIP", notBefore: now - 3600, notAfter: now + 86_400)
            let crl = try ca.revocationList(revoking: [7], thisUpdate: now - 60, nextUpdate: now + 86_400)
            try Self.publish(crl, commonName: commonName)
            let url = Self.url(commonName: commonName)
            let downloader = CRLDownloader(timeout: .seconds(10), directory: SambaDC.configuration())
            #expect(downloader.fetch(url) == .downloaded(crl))

            // A certificate naming only the directory's point: strong mode downloads it there.
            func verdict(serial: Int) throws -> TrustVerdict? {
                let issued = try ca.issue(
                    commonName: "client\(serial).da.test", usage: .clientAuthentication, serial: serial,
                    notBefore: now - 3600, notAfter: now + 86_400, crlDistributionPoint: url)
                #expect(issued.certificate.crlDistributionPoints.first?.hasPrefix("ldap:///CN=AuthIP%20LDAP") == true)
                var validation = CertificateValidation(
                    leaf: issued.certificate, policy: .directAccessServer(roots: [ca.certificate], revocation: .strong),
                    cache: CRLCache(), at: now)
                var step = validation.start()
                while case .needCRLs(let urls) = step {
                    #expect(urls == [url])
                    step = validation.resume(with: downloader.fetch(urls))
                }
                guard case .finished(let verdict) = step else { return nil }
                return verdict
            }
            #expect(try verdict(serial: 5)?.isValid == true)
            guard case .invalid(let failure)? = try verdict(serial: 7) else {
                Issue.record("a certificate the directory's CRL revokes was accepted")
                return
            }
            #expect(failure.error == .certERevoked)
        }

        @Test("A wrong DN or a directory that refuses the bind fails the download with libldap's reason")
        func failures() throws {
            let missing = Self.url(commonName: "No Such CA")
            let downloader = CRLDownloader(timeout: .seconds(10), directory: SambaDC.configuration())
            guard case .failed(let reason) = downloader.fetch(missing) else {
                Issue.record("a DN that does not exist gave a CRL")
                return
            }
            #expect(reason.contains("No such object"), "\(reason)")
            let refused = CRLDownloader(timeout: .seconds(10), directory: SambaDC.configuration(password: "wrong"))
            guard case .failed(let bind) = refused.fetch(missing) else {
                Issue.record("a refused bind gave a CRL")
                return
            }
            #expect(bind.contains("bind as svc-authip@da.test"), "\(bind)")
        }
    }
}
