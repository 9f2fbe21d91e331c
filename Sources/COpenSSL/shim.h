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

/* OpenSSL spells these as macros, which Swift cannot call. */

static inline int authip_BN_num_bytes(const BIGNUM *bn) {
    return BN_num_bytes(bn);
}

#endif
