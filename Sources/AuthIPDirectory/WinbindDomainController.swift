import AuthIPAccounts
import AuthIPCrypto
import AuthIPErrors
import CWBClient
import Foundation

/// NTLM pass-through to the domain controller through winbind (libwbclient's
/// `wbcAuthenticateUserEx`, the call `ntlm_auth` makes): the DC checks the NTLMv2 response and
/// returns the user session key, so the server holds no NT hashes. Machine accounts (`NAME$`)
/// are allowed, as netlogon allows workstation trust accounts for DirectAccess's
/// infrastructure tunnel. libwbclient talks to winbindd at `/run/samba/winbindd/pipe`.
public struct WinbindDomainController: NTLMDomainController {
    public init() {}

    /// NT_STATUS codes meaning no DC could be asked, rather than a refused logon.
    static let unreachable: Set<UInt32> = [
        0xC000_005E,  // NT_STATUS_NO_LOGON_SERVERS
        0xC000_00B5,  // NT_STATUS_IO_TIMEOUT
        0xC000_0192,  // NT_STATUS_NETLOGON_NOT_STARTED
        0xC000_0233,  // NT_STATUS_DOMAIN_CONTROLLER_NOT_FOUND
    ]

    /// libwbclient has no timeout of its own; a DC that hangs holds the calling thread until
    /// it answers, and the engine gives up at its own deadline.
    public func validate(_ request: NTLMValidationRequest, timeout: Duration) -> NTLMValidation {
        var params = wbcAuthUserParams()
        var info: UnsafeMutablePointer<wbcAuthUserInfo>?
        var failure: UnsafeMutablePointer<wbcAuthErrorInfo>?
        var nt = request.ntResponse, lm = request.lmResponse
        let status: wbcErr = request.userName.withCString { user in
            request.domainName.withCString { domain in
                request.workstation.withCString { workstation in
                    nt.withUnsafeMutableBufferPointer { ntBytes in
                        lm.withUnsafeMutableBufferPointer { lmBytes in
                            params.account_name = user
                            params.domain_name = domain
                            params.workstation_name = workstation
                            params.parameter_control = UInt32(WBC_MSV1_0_ALLOW_WORKSTATION_TRUST_ACCOUNT)
                            params.level = WBC_AUTH_USER_LEVEL_RESPONSE
                            withUnsafeMutableBytes(of: &params.password.response.challenge) { challenge in
                                challenge.copyBytes(from: request.serverChallenge.prefix(8))
                            }
                            params.password.response.nt_length = UInt32(ntBytes.count)
                            params.password.response.nt_data = ntBytes.baseAddress
                            params.password.response.lm_length = UInt32(lmBytes.count)
                            params.password.response.lm_data = lmBytes.baseAddress
                            return wbcAuthenticateUserEx(&params, &info, &failure)
                        }
                    }
                }
            }
        }
        defer {
            if let info { wbcFreeMemory(info) }
            if let failure { wbcFreeMemory(failure) }
        }
        if status == WBC_ERR_SUCCESS, let user = info?.pointee {
            // A guest logon, or no session key, proves nothing about the client.
            guard user.user_flags & UInt32(WBC_AUTH_USER_INFO_GUEST) == 0 else {
                return .refused(.secELogonDenied, "the DC logged the client on as a guest")
            }
            guard withUnsafeBytes(of: user.user_session_key, { $0.contains { $0 != 0 } }) else {
                return .refused(.secELogonDenied, "the DC returned no session key")
            }
            let key = withUnsafeBytes(of: user.user_session_key) { SecretBytes($0) }
            let name = user.account_name.map { String(cString: $0) } ?? request.userName
            let domain = user.domain_name.map { String(cString: $0) } ?? request.domainName
            let account = Account(
                samAccountName: name, domain: domain, kind: name.hasSuffix("$") ? .computer : .user,
                isEnabled: true, ntHash: .empty)
            return .validated(sessionBaseKey: key, account: account)
        }
        if let error = failure?.pointee, status == WBC_ERR_AUTH_ERROR {
            let text = error.nt_string.map { String(cString: $0) } ?? String(format: "NTSTATUS 0x%08X", error.nt_status)
            if Self.unreachable.contains(error.nt_status) { return .unavailable(text) }
            return .refused(.secELogonDenied, text)
        }
        return .unavailable(String(cString: wbcErrorString(status)))
    }
}
