#ifndef AUTHIP_COPENSSL_SHIM_H
#define AUTHIP_COPENSSL_SHIM_H

/* RAND_set_rand_method (deterministic replays) is deprecated in OpenSSL 3 but still honoured. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/params.h>
#include <openssl/provider.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/x509_vfy.h>
#include <openssl/ssl.h>
#include <openssl/kdf.h>
#include <string.h>
#include <sys/random.h>

/* OpenSSL spells these as macros, which Swift cannot call. */

static inline int authip_BN_num_bytes(const BIGNUM *bn) {
    return BN_num_bytes(bn);
}

/* Calls `each` with every URI of the certificate's CRL distribution points (full names). */
static inline void authip_cdp_uris(X509 *cert, void (*each)(const char *, int, void *), void *context) {
    STACK_OF(DIST_POINT) *points = X509_get_ext_d2i(cert, NID_crl_distribution_points, NULL, NULL);
    if (points == NULL) return;
    for (int i = 0; i < sk_DIST_POINT_num(points); i++) {
        DIST_POINT *point = sk_DIST_POINT_value(points, i);
        if (point->distpoint == NULL || point->distpoint->type != 0) continue;
        GENERAL_NAMES *names = point->distpoint->name.fullname;
        for (int j = 0; j < sk_GENERAL_NAME_num(names); j++) {
            GENERAL_NAME *name = sk_GENERAL_NAME_value(names, j);
            if (name->type != GEN_URI) continue;
            ASN1_IA5STRING *uri = name->d.uniformResourceIdentifier;
            each((const char *)ASN1_STRING_get0_data(uri), ASN1_STRING_length(uri), context);
        }
    }
    CRL_DIST_POINTS_free(points);
}

/* Calls `each` with every DNS name of the certificate's subject alternative names. */
static inline void authip_san_dns_names(X509 *cert, void (*each)(const char *, int, void *), void *context) {
    GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    if (names == NULL) return;
    for (int j = 0; j < sk_GENERAL_NAME_num(names); j++) {
        GENERAL_NAME *name = sk_GENERAL_NAME_value(names, j);
        if (name->type != GEN_DNS) continue;
        each((const char *)ASN1_STRING_get0_data(name->d.dNSName), ASN1_STRING_length(name->d.dNSName), context);
    }
    GENERAL_NAMES_free(names);
}

/* Calls `each` with the dotted OID of every extended key usage of the certificate; returns
   0 when the certificate has no EKU extension. */
static inline int authip_eku_oids(X509 *cert, void (*each)(const char *, void *), void *context) {
    EXTENDED_KEY_USAGE *usages = X509_get_ext_d2i(cert, NID_ext_key_usage, NULL, NULL);
    if (usages == NULL) return 0;
    char buffer[128];
    for (int i = 0; i < sk_ASN1_OBJECT_num(usages); i++) {
        if (OBJ_obj2txt(buffer, sizeof buffer, sk_ASN1_OBJECT_value(usages, i), 1) > 0) each(buffer, context);
    }
    EXTENDED_KEY_USAGE_free(usages);
    return 1;
}

/* The RFC 2253 name-printing flags (a macro of macros in OpenSSL). */
static inline unsigned long authip_name_flags_rfc2253(void) { return XN_FLAG_RFC2253; }

/* Typed wrappers of OpenSSL's stack macros. */
static inline STACK_OF(X509) *authip_sk_X509_new(void) { return sk_X509_new_null(); }
static inline int authip_sk_X509_push(STACK_OF(X509) *s, X509 *x) { return sk_X509_push(s, x); }
static inline int authip_sk_X509_num(const STACK_OF(X509) *s) { return sk_X509_num(s); }
static inline X509 *authip_sk_X509_value(const STACK_OF(X509) *s, int i) { return sk_X509_value(s, i); }
static inline void authip_sk_X509_free(STACK_OF(X509) *s) { sk_X509_free(s); }
static inline void authip_sk_X509_pop_free(STACK_OF(X509) *s) { sk_X509_pop_free(s, X509_free); }
static inline STACK_OF(X509_CRL) *authip_sk_X509_CRL_new(void) { return sk_X509_CRL_new_null(); }
static inline int authip_sk_X509_CRL_push(STACK_OF(X509_CRL) *s, X509_CRL *c) { return sk_X509_CRL_push(s, c); }
static inline void authip_sk_X509_CRL_free(STACK_OF(X509_CRL) *s) { sk_X509_CRL_free(s); }
static inline int authip_sk_X509_REVOKED_num(const STACK_OF(X509_REVOKED) *s) { return sk_X509_REVOKED_num(s); }
static inline X509_REVOKED *authip_sk_X509_REVOKED_value(const STACK_OF(X509_REVOKED) *s, int i) { return sk_X509_REVOKED_value(s, i); }

/* TLS version bounds and stacks of names (macros in OpenSSL). */
static inline int authip_SSL_CTX_set_versions(SSL_CTX *ctx, int minimum, int maximum) {
    return SSL_CTX_set_min_proto_version(ctx, minimum) == 1 && SSL_CTX_set_max_proto_version(ctx, maximum) == 1;
}
/* The other GSS-APIsecret candidates of a finished TLS connection (Docs/InteropProfile.md):
   its master secret, and RFC 5216's EAP-TLS key material, PRF(master, "client EAP encryption",
   client.random || server.random), with the connection's own PRF. */
static inline int authip_tls_master_secret(SSL *ssl, unsigned char *out, size_t length) {
    SSL_SESSION *session = SSL_get_session(ssl);
    return session != NULL && SSL_SESSION_get_master_key(session, out, length) == length;
}
static inline int authip_tls_eap_key(SSL *ssl, unsigned char *out, size_t length) {
    unsigned char master[48], seed[21 + 64];
    SSL_SESSION *session = SSL_get_session(ssl);
    if (session == NULL || SSL_SESSION_get_master_key(session, master, sizeof master) != sizeof master) return 0;
    memcpy(seed, "client EAP encryption", 21);
    if (SSL_get_client_random(ssl, seed + 21, 32) != 32 || SSL_get_server_random(ssl, seed + 53, 32) != 32) return 0;
    const char *digest = "MD5-SHA1";
    if (SSL_version(ssl) >= TLS1_2_VERSION) {
        const EVP_MD *md = SSL_CIPHER_get_handshake_digest(SSL_get_current_cipher(ssl));
        if (md == NULL) return 0;
        digest = EVP_MD_get0_name(md);
    }
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
    EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)digest, 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, master, sizeof master),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, seed, sizeof seed),
        OSSL_PARAM_construct_end(),
    };
    int ok = ctx != NULL && EVP_KDF_derive(ctx, out, length, params) == 1;
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    OPENSSL_cleanse(master, sizeof master);
    return ok;
}
static inline int authip_SSL_set_versions(SSL *ssl, int minimum, int maximum) {
    return SSL_set_min_proto_version(ssl, minimum) == 1 && SSL_set_max_proto_version(ssl, maximum) == 1;
}
/* No session tickets, no renegotiation, no session cache: each handshake stands alone. */
static inline void authip_SSL_CTX_set_single_handshake(SSL_CTX *ctx) {
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
}
static inline STACK_OF(X509_NAME) *authip_sk_X509_NAME_new(void) { return sk_X509_NAME_new_null(); }
static inline int authip_sk_X509_NAME_push(STACK_OF(X509_NAME) *s, X509_NAME *n) { return sk_X509_NAME_push(s, n); }
static inline int authip_sk_X509_NAME_num(const STACK_OF(X509_NAME) *s) { return sk_X509_NAME_num(s); }
static inline X509_NAME *authip_sk_X509_NAME_value(const STACK_OF(X509_NAME) *s, int i) { return sk_X509_NAME_value(s, i); }

/* The application-data slot of a verification context (a macro in OpenSSL). */
static inline int authip_X509_STORE_CTX_set_app_data(X509_STORE_CTX *ctx, void *data) { return X509_STORE_CTX_set_ex_data(ctx, 0, data); }
static inline void *authip_X509_STORE_CTX_get_app_data(X509_STORE_CTX *ctx) { return X509_STORE_CTX_get_ex_data(ctx, 0); }

/* Issuing certificates and CRLs for throw-away PKIs (demo, simulation). Key generation through
 * the EVP_PKEY_CTX calls that are macros or variadic in OpenSSL 3. */
static inline EVP_PKEY *authip_generate_key(int ecdsa) {
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(ecdsa ? EVP_PKEY_EC : EVP_PKEY_RSA, NULL);
    EVP_PKEY *key = NULL;
    if (ctx && EVP_PKEY_keygen_init(ctx) > 0
        && (ecdsa ? EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx, NID_X9_62_prime256v1) : EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048)) > 0) {
        EVP_PKEY_keygen(ctx, &key);
    }
    EVP_PKEY_CTX_free(ctx);
    return key;
}
static inline int authip_add_extension(X509 *cert, X509V3_CTX *ctx, int nid, const char *value) {
    if (!value) return 1;
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
    if (!ext) return 0;
    int ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok;
}
/* A certificate for `key`, signed by `issuer_key`; `issuer` NULL makes it self-signed. */
static inline X509 *authip_issue_certificate(EVP_PKEY *key, const char *organization, const char *common_name,
                                             X509 *issuer, EVP_PKEY *issuer_key, long serial, time_t not_before, time_t not_after,
                                             const char *basic_constraints, const char *key_usage, const char *extended_key_usage,
                                             const char *crl_distribution_points) {
    X509 *cert = X509_new();
    if (!cert) return NULL;
    X509_NAME *name = X509_get_subject_name(cert);
    X509V3_CTX ctx;
    int ok = X509_set_version(cert, 2) && ASN1_INTEGER_set(X509_get_serialNumber(cert), serial)
        && ASN1_TIME_set(X509_getm_notBefore(cert), not_before) && ASN1_TIME_set(X509_getm_notAfter(cert), not_after)
        && X509_set_pubkey(cert, key)
        && X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)organization, -1, -1, 0)
        && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)common_name, -1, -1, 0)
        && X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : name);
    if (ok) {
        X509V3_set_ctx_nodb(&ctx);
        X509V3_set_ctx(&ctx, issuer ? issuer : cert, cert, NULL, NULL, 0);
        ok = authip_add_extension(cert, &ctx, NID_basic_constraints, basic_constraints)
            && authip_add_extension(cert, &ctx, NID_key_usage, key_usage)
            && authip_add_extension(cert, &ctx, NID_ext_key_usage, extended_key_usage)
            && authip_add_extension(cert, &ctx, NID_subject_key_identifier, "hash")
            && authip_add_extension(cert, &ctx, NID_authority_key_identifier, issuer ? "keyid:always" : NULL)
            && authip_add_extension(cert, &ctx, NID_crl_distribution_points, crl_distribution_points)
            && X509_sign(cert, issuer_key, EVP_sha256()) > 0;
    }
    if (!ok) { X509_free(cert); return NULL; }
    return cert;
}
/* A CRL of `issuer` listing `serials`. */
static inline X509_CRL *authip_issue_crl(X509 *issuer, EVP_PKEY *issuer_key, time_t this_update, time_t next_update,
                                         const long *serials, int count, long number) {
    X509_CRL *crl = X509_CRL_new();
    if (!crl) return NULL;
    ASN1_TIME *when = ASN1_TIME_set(NULL, this_update), *next = ASN1_TIME_set(NULL, next_update);
    ASN1_INTEGER *crl_number = ASN1_INTEGER_new();
    int ok = when && next && crl_number && X509_CRL_set_version(crl, 1) && X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer))
        && X509_CRL_set1_lastUpdate(crl, when) && X509_CRL_set1_nextUpdate(crl, next)
        && ASN1_INTEGER_set(crl_number, number) && X509_CRL_add1_ext_i2d(crl, NID_crl_number, crl_number, 0, 0);
    for (int i = 0; ok && i < count; i++) {
        X509_REVOKED *revoked = X509_REVOKED_new();
        ASN1_INTEGER *serial = ASN1_INTEGER_new();
        ok = revoked && serial && ASN1_INTEGER_set(serial, serials[i]) && X509_REVOKED_set_serialNumber(revoked, serial)
            && X509_REVOKED_set_revocationDate(revoked, when) && X509_CRL_add0_revoked(crl, revoked);
        ASN1_INTEGER_free(serial);
        if (!ok && revoked) X509_REVOKED_free(revoked);
    }
    ok = ok && X509_CRL_sort(crl) && X509_CRL_sign(crl, issuer_key, EVP_sha256()) > 0;
    ASN1_TIME_free(when);
    ASN1_TIME_free(next);
    ASN1_INTEGER_free(crl_number);
    if (!ok) { X509_CRL_free(crl); return NULL; }
    return crl;
}

/* A process-wide replacement of OpenSSL's random generator, for byte-for-byte replays of TLS
 * and key generation: every RAND_bytes / RAND_priv_bytes call is served by `fill`. */
typedef void (*authip_random_fill)(unsigned char *buffer, int count);
static authip_random_fill authip_random_source = NULL;
static int authip_rand_bytes(unsigned char *buffer, int count) {
    if (!authip_random_source) return 0;
    authip_random_source(buffer, count);
    return 1;
}
static int authip_rand_status(void) { return authip_random_source != NULL; }
static const RAND_METHOD authip_rand_method = { NULL, authip_rand_bytes, NULL, NULL, authip_rand_bytes, authip_rand_status };
/* The kernel's generator, for a recording of OpenSSL's draws (OpenSSLRandom.useRecording). */
static inline long authip_getrandom(void *buffer, size_t count) { return (long)getrandom(buffer, count, 0); }
static inline int authip_use_random_source(authip_random_fill fill) {
    authip_random_source = fill;
    return RAND_set_rand_method(fill ? &authip_rand_method : NULL);
}

#endif
