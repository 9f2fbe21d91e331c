import COpenSSL
import Foundation

/// One run of OpenSSL's path validation (`X509_verify_cert`) with extended CRL support and
/// delta CRLs, the CRL check on the whole chain, and the revocation mode applied in the
/// verify callback.
struct OpenSSLChainCheck {
    struct Outcome {
        /// The built chain, leaf first (as far as OpenSSL got).
        var chain: [Certificate]
        /// nil when the path is valid.
        var error: Int32?
        var depth: Int
    }

    /// What the CRL check and the verify callback need; reached through the context's app data.
    final class CallbackState {
        let mode: RevocationMode
        /// Views handed to OpenSSL, and the CRLs they stand for.
        var originals: [OpaquePointer: RevocationList] = [:]
        /// Set while OpenSSL checks a view whose original's signature verified with the very
        /// key OpenSSL checks it with: only then is the view's own (made-up) signature excused.
        var vouchedView: OpaquePointer?
        /// CRLs found not applicable at a depth (weak mode): their entries must not count.
        var inapplicable: Set<String> = []

        init(mode: RevocationMode) { self.mode = mode }

        static func key(_ crl: OpaquePointer?, depth: Int32) -> String {
            "\(depth):\(crl.map { UInt(bitPattern: $0) } ?? 0)"
        }
    }

    /// OpenSSL errors that say a CRL is missing, stale or not applicable rather than that
    /// a certificate is bad.
    static let unavailableCRLErrors: Set<Int32> = [
        X509_V_ERR_UNABLE_TO_GET_CRL, X509_V_ERR_CRL_HAS_EXPIRED, X509_V_ERR_CRL_NOT_YET_VALID,
        X509_V_ERR_DIFFERENT_CRL_SCOPE, X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER,
    ]

    /// Errors after which the CRL must not be applied at all in weak mode: only an applicable
    /// CRL may revoke there. (Stale CRLs never reach OpenSSL in weak mode.)
    private static let inapplicableCRLErrors: Set<Int32> = [
        X509_V_ERR_DIFFERENT_CRL_SCOPE, X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER,
    ]

    static func run(
        leaf: Certificate, intermediates: [Certificate], roots: [Certificate],
        crls: [RevocationList], mode: RevocationMode, at time: Date
    ) -> Outcome {
        let store = X509_STORE_new()
        let ctx = X509_STORE_CTX_new()
        let untrusted = authip_sk_X509_new()
        let crlStack = authip_sk_X509_CRL_new()
        let state = CallbackState(mode: mode)
        defer {
            X509_STORE_CTX_free(ctx)
            X509_STORE_free(store)
            authip_sk_X509_free(untrusted)
            for view in state.originals.keys { X509_CRL_free(view) }
            authip_sk_X509_CRL_free(crlStack)
        }
        for root in roots { X509_STORE_add_cert(store, root.x509) }
        X509_STORE_set_check_crl(store, checkCRL)
        for certificate in intermediates { authip_sk_X509_push(untrusted, certificate.x509) }
        guard X509_STORE_CTX_init(ctx, store, leaf.x509, untrusted) == 1 else {
            return Outcome(chain: [], error: X509_V_ERR_UNSPECIFIED, depth: 0)
        }
        let param = X509_STORE_CTX_get0_param(ctx)
        X509_VERIFY_PARAM_set_time(param, time_t(time.timeIntervalSince1970.rounded(.down)))
        if mode != .none {
            X509_VERIFY_PARAM_set_flags(
                param,
                UInt(
                    X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL
                        | X509_V_FLAG_EXTENDED_CRL_SUPPORT | X509_V_FLAG_USE_DELTAS))
            let serials = ([leaf] + intermediates + roots).map { X509_get0_serialNumber($0.x509)! }
            for list in crls {
                guard let (crl, isView) = list.view(for: serials) else { continue }
                authip_sk_X509_CRL_push(crlStack, crl)
                if isView {
                    state.originals[crl] = list
                } else {
                    // Whole lists are kept alive by `list`; drop the extra reference now.
                    X509_CRL_free(crl)
                }
            }
            X509_STORE_CTX_set0_crls(ctx, crlStack)
        }
        authip_X509_STORE_CTX_set_app_data(ctx, Unmanaged.passUnretained(state).toOpaque())
        X509_STORE_CTX_set_verify_cb(ctx, verifyCallback)

        let valid = withExtendedLifetime(state) { X509_verify_cert(ctx) == 1 }
        var chain: [Certificate] = []
        if let built = X509_STORE_CTX_get0_chain(ctx) {
            for index in 0..<authip_sk_X509_num(built) {
                let x509 = authip_sk_X509_value(built, index)!
                X509_up_ref(x509)
                chain.append(Certificate(taking: x509))
            }
        }
        ERR_clear_error()
        return Outcome(
            chain: chain, error: valid ? nil : X509_STORE_CTX_get_error(ctx),
            depth: Int(X509_STORE_CTX_get_error_depth(ctx)))
    }

    /// OpenSSL's own CRL check (issuer, scope, path, times, signature), for `checkCRL` to run.
    private static let defaultCheckCRL: X509_STORE_CTX_check_crl_fn = {
        let store = X509_STORE_new(), ctx = X509_STORE_CTX_new()
        defer {
            X509_STORE_CTX_free(ctx)
            X509_STORE_free(store)
        }
        _ = X509_STORE_CTX_init(ctx, store, nil, nil)
        return X509_STORE_CTX_get_check_crl(ctx)!
    }()

    /// Every CRL OpenSSL is about to rely on, base or delta, passes here first. A view's
    /// original is verified with the key OpenSSL will check the view with (the CRL issuer
    /// it found); only while OpenSSL checks that view is its made-up signature excused. A
    /// whole list, or a view whose original does not verify, gets OpenSSL's check unchanged,
    /// so a forged list fails with X509_V_ERR_CRL_SIGNATURE_FAILURE whatever OpenSSL checks
    /// next to it.
    private static let checkCRL: X509_STORE_CTX_check_crl_fn = { ctx, crl in
        guard let ctx, let crl, let state = state(of: ctx) else { return 0 }
        let outer = state.vouchedView
        defer { state.vouchedView = outer }
        state.vouchedView = nil
        if let original = state.originals[crl], let issuer = crlIssuer(ctx, depth: X509_STORE_CTX_get_error_depth(ctx)),
            original.signatureVerifies(with: issuer)
        {
            state.vouchedView = crl
        }
        return defaultCheckCRL(ctx, crl)
    }

    /// The shared state, from the context or (for a CRL issuer's path, checked in a child
    /// context) from its parent.
    private static func state(of ctx: OpaquePointer) -> CallbackState? {
        guard
            let raw = authip_X509_STORE_CTX_get_app_data(ctx)
                ?? X509_STORE_CTX_get0_parent_ctx(ctx).flatMap({ authip_X509_STORE_CTX_get_app_data($0) })
        else { return nil }
        return Unmanaged<CallbackState>.fromOpaque(raw).takeUnretainedValue()
    }

    /// The verify callback: excuses the signature failure of a vouched view (see `checkCRL`),
    /// and in weak mode lets missing, stale or inapplicable CRLs pass.
    private static let verifyCallback: @convention(c) (Int32, OpaquePointer?) -> Int32 = { ok, ctx in
        guard ok == 0, let ctx, let state = state(of: ctx) else { return ok }
        let error = X509_STORE_CTX_get_error(ctx)
        let depth = X509_STORE_CTX_get_error_depth(ctx)
        let crl = X509_STORE_CTX_get0_current_crl(ctx)
        switch error {
        case X509_V_ERR_CRL_SIGNATURE_FAILURE:
            guard state.vouchedView != nil else { return 0 }
            X509_STORE_CTX_set_error(ctx, X509_V_OK)
            return 1
        case let e where unavailableCRLErrors.contains(e):
            guard state.mode == .weak else { return 0 }
            if inapplicableCRLErrors.contains(e) { state.inapplicable.insert(CallbackState.key(crl, depth: depth)) }
            X509_STORE_CTX_set_error(ctx, X509_V_OK)
            return 1
        case X509_V_ERR_CERT_REVOKED
        where state.mode == .weak && state.inapplicable.contains(CallbackState.key(crl, depth: depth)):
            X509_STORE_CTX_set_error(ctx, X509_V_OK)
            return 1
        default:
            return 0
        }
    }

    /// The certificate whose key signs the CRL being checked, found as OpenSSL's check_crl
    /// finds it: the alternative CRL issuer if one was chosen, else the next certificate up
    /// the chain (the last one for the top of the chain).
    private static func crlIssuer(_ ctx: OpaquePointer, depth: Int32) -> OpaquePointer? {
        if let issuer = X509_STORE_CTX_get0_current_issuer(ctx) { return issuer }
        guard let chain = X509_STORE_CTX_get0_chain(ctx) else { return nil }
        let last = authip_sk_X509_num(chain) - 1
        return authip_sk_X509_value(chain, min(depth + 1, last))
    }
}
