import AuthIPCrypto
import AuthIPWire

// The names `netsh advfirewall` uses for algorithms and methods in its SA views.

extension AuthMethod {
    /// As netsh's Auth1 (Main Mode) column names it.
    public var netshFirstName: String {
        switch self {
        case .kerberos: return "ComputerKerb"
        case .ntlm: return "ComputerNTLM"
        case .tls: return "ComputerCert"
        case .anonymous: return "Anonymous"
        default: return name
        }
    }

    /// As netsh's Auth2 (Extended Mode) column names it.
    public var netshSecondName: String {
        switch self {
        case .kerberos: return "UserKerb"
        case .ntlm: return "UserNTLM"
        case .tls: return "UserCert"
        case .anonymous: return "Anonymous"
        default: return name
        }
    }
}

extension BlockCipher {
    var netshName: String {
        switch self {
        case .des: return "DES"
        case .tripleDES: return "3DES"
        case .aes128: return "AES128"
        case .aes192: return "AES192"
        case .aes256: return "AES256"
        }
    }
}

extension HashAlgorithm {
    var netshName: String {
        switch self {
        case .md5: return "MD5"
        case .sha1: return "SHA1"
        case .sha256: return "SHA256"
        case .sha384: return "SHA384"
        }
    }
}

extension DiffieHellmanGroup {
    var netshName: String {
        switch self {
        case .modp1024: return "DHGroup2"
        case .modp2048: return "DHGroup14"
        case .ecp256: return "ECDH256"
        case .ecp384: return "ECDH384"
        }
    }
}

extension ESPCipher {
    var netshName: String {
        switch self {
        case .none: return "None"
        case .tripleDES: return "3DES"
        case .aes128: return "AES128"
        case .aes192: return "AES192"
        case .aes256: return "AES256"
        case .aesGCM128: return "AESGCM128"
        case .aesGCM192: return "AESGCM192"
        case .aesGCM256: return "AESGCM256"
        }
    }
}

extension ESPIntegrity {
    var netshName: String {
        switch self {
        case .none: return "None"
        case .md5: return "MD5"
        case .sha1: return "SHA1"
        case .sha256: return "SHA256"
        case .sha384: return "SHA384"
        }
    }
}

enum NetshProtocolName {
    /// `Any` for 0, a name for the common protocols, else the number.
    static func text(_ number: UInt8) -> String {
        switch number {
        case 0: return "Any"
        case 1: return "ICMP"
        case 6: return "TCP"
        case 17: return "UDP"
        case 58: return "ICMPv6"
        default: return String(number)
        }
    }
}
