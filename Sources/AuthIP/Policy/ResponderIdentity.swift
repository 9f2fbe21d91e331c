/// Who an initiator requires its responder to be (the server a DirectAccess client expects):
/// the Kerberos target it asks a ticket for, and the host names the responder's certificate
/// must be for. Without one, the initiator takes the SPN the responder announces in GSS_ID
/// as its Kerberos target and accepts any certificate its trust policy accepts.
public struct ResponderIdentity: Sendable, Hashable {
    /// The Kerberos service principal (`host/daserver.corp.contoso.com@CORP.CONTOSO.COM`): the
    /// target of every Kerberos exchange, whatever GSS_ID says.
    public var servicePrincipalName: String?
    /// Host names of which the certificate must be for at least one (its DNS subject
    /// alternative names, or its common name when it has none; OpenSSL's host check).
    public var certificateHostNames: [String]

    public init(servicePrincipalName: String? = nil, certificateHostNames: [String] = []) {
        self.servicePrincipalName = servicePrincipalName
        self.certificateHostNames = certificateHostNames
    }
}
