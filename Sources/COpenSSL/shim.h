#ifndef AUTHIP_COPENSSL_SHIM_H
#define AUTHIP_COPENSSL_SHIM_H

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
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/x509_vfy.h>
#include <openssl/ssl.h>

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

#endif
