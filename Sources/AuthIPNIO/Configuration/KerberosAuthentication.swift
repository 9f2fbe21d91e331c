/// A `kerberos` entry's `initiator`: the credentials cache holding its tickets
/// (`FILE:/tmp/krb5cc_0`; absent: the default cache).
struct KerberosInitiator: Decodable {
    var cache: String?

    private enum CodingKeys: String, CodingKey { case cache }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownMembers(CodingKeys.self)
        cache = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(String.self, forKey: .cache)
    }
}

/// A `kerberos` entry's `acceptor`: the keytab with the service keys (a path, or a name with
/// its type such as `FILE:/etc/krb5.keytab`).
struct KerberosAcceptor: Decodable {
    var keytab: String

    private enum CodingKeys: String, CodingKey { case keytab }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownMembers(CodingKeys.self)
        keytab = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .keytab)
    }
}
