// Windows reports an AuthIP main mode + extended mode pair with one of four events, by which
// of the two used certificates. Where a mode used certificates its method is not a field:
// Windows' message text says "SSL" there.

/// 4979: main mode and extended mode were established, neither with certificates.
public struct ExtendedModeEstablished: Hashable, Sendable {
    public var mainMode: MainModeSA
    public var mainModeAuthenticationMethod: AuthenticationMethod
    public var extendedMode: ExtendedModeSA
    public var extendedModeAuthenticationMethod: AuthenticationMethod

    public init(
        mainMode: MainModeSA, mainModeAuthenticationMethod: AuthenticationMethod,
        extendedMode: ExtendedModeSA, extendedModeAuthenticationMethod: AuthenticationMethod
    ) {
        self.mainMode = mainMode
        self.mainModeAuthenticationMethod = mainModeAuthenticationMethod
        self.extendedMode = extendedMode
        self.extendedModeAuthenticationMethod = extendedModeAuthenticationMethod
    }

    var auditValues: [AuditValue] {
        mainMode.endpointValues + [.parameter(mainModeAuthenticationMethod)] + mainMode.suiteAndIdentityValues
            + [
                .optionalText(extendedMode.localPrincipalName), .optionalText(extendedMode.remotePrincipalName),
                .parameter(extendedModeAuthenticationMethod), .parameter(extendedMode.impersonation),
                .uint64(extendedMode.quickModeFilterID),
            ]
    }
}

/// 4980: main mode and extended mode were established; extended mode used certificates.
public struct ExtendedModeEstablishedWithExtendedModeCertificates: Hashable, Sendable {
    public var mainMode: MainModeSA
    public var mainModeAuthenticationMethod: AuthenticationMethod
    public var extendedMode: ExtendedModeSA
    public var localExtendedModeCertificate: CertificateSummary?
    public var remoteExtendedModeCertificate: CertificateSummary?

    public init(
        mainMode: MainModeSA, mainModeAuthenticationMethod: AuthenticationMethod, extendedMode: ExtendedModeSA,
        localExtendedModeCertificate: CertificateSummary?, remoteExtendedModeCertificate: CertificateSummary?
    ) {
        self.mainMode = mainMode
        self.mainModeAuthenticationMethod = mainModeAuthenticationMethod
        self.extendedMode = extendedMode
        self.localExtendedModeCertificate = localExtendedModeCertificate
        self.remoteExtendedModeCertificate = remoteExtendedModeCertificate
    }

    var auditValues: [AuditValue] {
        mainMode.endpointValues + [.parameter(mainModeAuthenticationMethod)] + mainMode.suiteAndIdentityValues
            + extendedMode.certificateValues(local: localExtendedModeCertificate, remote: remoteExtendedModeCertificate)
    }
}

/// 4981: main mode and extended mode were established; main mode used certificates.
public struct ExtendedModeEstablishedWithMainModeCertificates: Hashable, Sendable {
    public var mainMode: MainModeSA
    public var localMainModeCertificate: CertificateSummary?
    public var remoteMainModeCertificate: CertificateSummary?
    public var extendedMode: ExtendedModeSA
    public var extendedModeAuthenticationMethod: AuthenticationMethod

    public init(
        mainMode: MainModeSA, localMainModeCertificate: CertificateSummary?,
        remoteMainModeCertificate: CertificateSummary?,
        extendedMode: ExtendedModeSA, extendedModeAuthenticationMethod: AuthenticationMethod
    ) {
        self.mainMode = mainMode
        self.localMainModeCertificate = localMainModeCertificate
        self.remoteMainModeCertificate = remoteMainModeCertificate
        self.extendedMode = extendedMode
        self.extendedModeAuthenticationMethod = extendedModeAuthenticationMethod
    }

    var auditValues: [AuditValue] {
        mainMode.certificateValues(local: localMainModeCertificate, remote: remoteMainModeCertificate)
            + NegotiationPeer.addressValues(local: mainMode.local, remote: mainMode.remote)
            + mainMode.suiteAndIdentityValues
            + [
                .optionalText(extendedMode.localPrincipalName), .optionalText(extendedMode.remotePrincipalName),
                .parameter(extendedModeAuthenticationMethod), .parameter(extendedMode.impersonation),
                .uint64(extendedMode.quickModeFilterID),
            ]
    }
}

/// 4982: main mode and extended mode were established, both with certificates.
///
/// Windows' 4982 has no LocalAddress field (its message prints an empty "Network Address:"),
/// so `mainMode.local.address` does not appear in this event.
public struct ExtendedModeEstablishedWithCertificates: Hashable, Sendable {
    public var mainMode: MainModeSA
    public var localMainModeCertificate: CertificateSummary?
    public var remoteMainModeCertificate: CertificateSummary?
    public var extendedMode: ExtendedModeSA
    public var localExtendedModeCertificate: CertificateSummary?
    public var remoteExtendedModeCertificate: CertificateSummary?

    public init(
        mainMode: MainModeSA, localMainModeCertificate: CertificateSummary?,
        remoteMainModeCertificate: CertificateSummary?,
        extendedMode: ExtendedModeSA, localExtendedModeCertificate: CertificateSummary?,
        remoteExtendedModeCertificate: CertificateSummary?
    ) {
        self.mainMode = mainMode
        self.localMainModeCertificate = localMainModeCertificate
        self.remoteMainModeCertificate = remoteMainModeCertificate
        self.extendedMode = extendedMode
        self.localExtendedModeCertificate = localExtendedModeCertificate
        self.remoteExtendedModeCertificate = remoteExtendedModeCertificate
    }

    var auditValues: [AuditValue] {
        mainMode.certificateValues(local: localMainModeCertificate, remote: remoteMainModeCertificate)
            + [
                .uint32(UInt32(mainMode.local.keyingModulePort)), .address(mainMode.remote.address),
                .uint32(UInt32(mainMode.remote.keyingModulePort)),
            ]
            + mainMode.suiteAndIdentityValues
            + extendedMode.certificateValues(local: localExtendedModeCertificate, remote: remoteExtendedModeCertificate)
    }
}

extension MainModeSA {
    /// LocalMMPrincipalName, the local certificate (3), RemoteMMPrincipalName, the remote
    /// certificate (3).
    func certificateValues(
        local localCertificate: CertificateSummary?, remote remoteCertificate: CertificateSummary?
    ) -> [AuditValue] {
        [.optionalText(local.principalName)] + localCertificate.auditValues
            + [.optionalText(remote.principalName)] + remoteCertificate.auditValues
    }
}

extension ExtendedModeSA {
    /// LocalEMPrincipalName, the local certificate (3), RemoteEMPrincipalName, the remote
    /// certificate (3), EMImpersonationState, QMFilterID.
    func certificateValues(local: CertificateSummary?, remote: CertificateSummary?) -> [AuditValue] {
        [.optionalText(localPrincipalName)] + local.auditValues + [.optionalText(remotePrincipalName)]
            + remote.auditValues + [.parameter(impersonation), .uint64(quickModeFilterID)]
    }
}
