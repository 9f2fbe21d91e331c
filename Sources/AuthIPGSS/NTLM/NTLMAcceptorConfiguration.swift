import Foundation

/// How an NTLM acceptor presents itself and what it demands of the AUTHENTICATE_MESSAGE.
public struct NTLMAcceptorConfiguration: Sendable {
    /// The server's NetBIOS domain and computer names (MsvAvNbDomainName, MsvAvNbComputerName;
    /// the domain is also the CHALLENGE's TargetName).
    public var netbiosDomainName: String
    public var netbiosComputerName: String
    /// The server's DNS domain and computer names (MsvAvDnsDomainName, MsvAvDnsComputerName).
    public var dnsDomainName: String
    public var dnsComputerName: String
    /// The largest difference allowed between the NTLMv2 response's TimeStamp and `now`
    /// (MS-NLMP's MaxLifetime, §3.2.5.1.2), or nil for no check. A larger one fails with
    /// SEC_E_TIME_SKEW.
    public var maximumTimestampSkew: TimeInterval?
    /// Whether an AUTHENTICATE_MESSAGE must carry a MIC. Our CHALLENGE always holds
    /// MsvAvTimestamp, which makes every current client send one (§3.1.5.1.2); refusing its
    /// absence keeps the NEGOTIATE and CHALLENGE flags from being altered unseen.
    public var requiresMIC: Bool

    /// MaxLifetime as Windows applies it: 36 hours.
    public static let windowsMaximumLifetime: TimeInterval = 36 * 3600

    public init(
        netbiosDomainName: String, netbiosComputerName: String, dnsDomainName: String, dnsComputerName: String,
        maximumTimestampSkew: TimeInterval? = windowsMaximumLifetime, requiresMIC: Bool = true
    ) {
        self.netbiosDomainName = netbiosDomainName
        self.netbiosComputerName = netbiosComputerName
        self.dnsDomainName = dnsDomainName
        self.dnsComputerName = dnsComputerName
        self.maximumTimestampSkew = maximumTimestampSkew
        self.requiresMIC = requiresMIC
    }
}
