#ifndef AUTHIP_CGSSAPI_SHIM_H
#define AUTHIP_CGSSAPI_SHIM_H

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>

/* MIT publishes these OIDs as variables behind macros; Swift needs functions. */
static inline gss_OID authip_gss_mech_krb5(void) { return (gss_OID)gss_mech_krb5; }
static inline gss_OID authip_gss_nt_krb5_principal(void) { return (gss_OID)GSS_KRB5_NT_PRINCIPAL_NAME; }
static inline gss_OID authip_gss_inq_sspi_session_key(void) { return (gss_OID)GSS_C_INQ_SSPI_SESSION_KEY; }
static inline gss_cred_id_t authip_gss_no_credential(void) { return GSS_C_NO_CREDENTIAL; }
static inline gss_ctx_id_t authip_gss_no_context(void) { return GSS_C_NO_CONTEXT; }
static inline OM_uint32 authip_gss_indefinite(void) { return GSS_C_INDEFINITE; }
static inline int authip_gss_error(OM_uint32 major) { return GSS_ERROR(major) != 0; }
static inline OM_uint32 authip_gss_routine_error(OM_uint32 major) { return GSS_ROUTINE_ERROR(major); }

/* GSS routine errors (macros with shifts in gssapi.h). */
static inline OM_uint32 authip_gss_s_no_cred(void) { return GSS_S_NO_CRED; }
static inline OM_uint32 authip_gss_s_defective_token(void) { return GSS_S_DEFECTIVE_TOKEN; }
static inline OM_uint32 authip_gss_s_bad_sig(void) { return GSS_S_BAD_SIG; }
static inline OM_uint32 authip_gss_s_bad_mech(void) { return GSS_S_BAD_MECH; }
static inline OM_uint32 authip_gss_s_credentials_expired(void) { return GSS_S_CREDENTIALS_EXPIRED; }
static inline OM_uint32 authip_gss_s_context_expired(void) { return GSS_S_CONTEXT_EXPIRED; }

#endif
