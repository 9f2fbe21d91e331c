#!/usr/bin/env python3
"""Writes the fixtures of the revocation attacks to TestVectors/pki/attacks/.

A root CA issues computer certificates whose revocation status comes from a base CRL and a
delta CRL (the base names the delta in Freshest CRL, so OpenSSL uses deltas for them); an
attacker with its own key forges deltas and a newer base under the root's name, and a
certificate that names the root as its issuer. The tests serve served/ over HTTP on
127.0.0.1:18933 and count the requests, so a download that must not happen shows.

  root.pem                 the trusted root
  good.pem                 serial 0x3001, revoked nowhere
  revoked.pem              serial 0x3002, revoked in the base CRL
  on-hold.pem              serial 0x3003, on hold in the base, removeFromCRL in the genuine delta
  later.pem                serial 0x3004, revoked in the genuine delta only
  base.crl                 CRL number 10 (the root)
  delta-genuine.crl        delta of 10, number 11 (the root)
  delta-forged-unrevoke.crl   delta of 10, number 12, removeFromCRL for 0x3002 (the attacker)
  delta-forged-revoke.crl     delta of 10, number 12, revokes 0x3001 (the attacker)
  base-older.crl           CRL number 5 (the root): a genuine list older than base.crl
  self-made.pem            issuer name of the root, signed by the attacker; its CDP is a probe URL
  file-cdp.pem             a genuine certificate whose only CDPs are file:// and ldap:// URLs
  many-cdps.pem            a genuine certificate with 10 HTTP CDPs (served/404)
  forged-at-cdp.pem        a genuine certificate whose CDP serves a forged newer base
  served/forged-base.crl   CRL number 50 under the root's name, empty, signed by the attacker
  served/base.crl          the genuine base, for the certificates whose CDP is served
Validation time: 2026-11-01T00:00:00Z (fixtures.json).
Run from the repository root: python3 Tools/pki/make_revocation_attack_fixtures.py
"""
import datetime
import json
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

OUT = "TestVectors/pki/attacks"
PORT = 18933
BASE_URL = f"http://127.0.0.1:{PORT}"
T = datetime.datetime
NOT_BEFORE, NOT_AFTER = T(2025, 1, 1), T(2035, 1, 1)
CURRENT = (T(2026, 10, 1), T(2026, 12, 1))


def key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "swift-authip fixtures"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def root_certificate(k):
    return (x509.CertificateBuilder().subject_name(name("Attack Fixture Root CA")).issuer_name(name("Attack Fixture Root CA"))
            .public_key(k.public_key()).serial_number(1).not_valid_before(NOT_BEFORE).not_valid_after(NOT_AFTER)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(k.public_key()), critical=False)
            .sign(k, hashes.SHA256()))


def leaf(cn, issuer, root_key, signing_key, serial, cdps):
    k = key()
    b = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(issuer.subject).public_key(k.public_key())
         .serial_number(serial).not_valid_before(NOT_BEFORE).not_valid_after(NOT_AFTER)
         .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
         .add_extension(x509.KeyUsage(True, False, True, False, False, False, False, False, False), critical=True)
         .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False))
    if cdps:
        b = b.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
            [x509.UniformResourceIdentifier(url) for url in cdps], None, None, None)]), critical=False)
    return b.sign(signing_key, hashes.SHA256())


def revocation_list(root, root_key, signing_key, number, entries, delta_of=None, freshest=None):
    """entries: (serial, reason) pairs; the AKI is the root's even when another key signs."""
    b = (x509.CertificateRevocationListBuilder().issuer_name(root.subject)
         .last_update(CURRENT[0]).next_update(CURRENT[1])
         .add_extension(x509.CRLNumber(number), critical=False)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False))
    if delta_of is not None:
        b = b.add_extension(x509.DeltaCRLIndicator(delta_of), critical=True)
    if freshest is not None:
        b = b.add_extension(x509.FreshestCRL([x509.DistributionPoint(
            [x509.UniformResourceIdentifier(freshest)], None, None, None)]), critical=False)
    for serial, reason in entries:
        b = b.add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(serial)
                                      .revocation_date(T(2026, 2, 1))
                                      .add_extension(x509.CRLReason(reason), critical=False).build())
    return b.sign(signing_key, hashes.SHA256())


def write(path, data):
    with open(f"{OUT}/{path}", "wb") as f:
        f.write(data)


def pem(obj):
    return obj.public_bytes(serialization.Encoding.PEM)


def der(obj):
    return obj.public_bytes(serialization.Encoding.DER)


def main():
    os.makedirs(f"{OUT}/served", exist_ok=True)
    root_key, attacker_key = key(), key()
    root = root_certificate(root_key)
    write("root.pem", pem(root))
    base_cdp = [f"{BASE_URL}/base.crl"]
    serials = {"good": 0x3001, "revoked": 0x3002, "on-hold": 0x3003, "later": 0x3004}
    for fixture, serial in serials.items():
        write(f"{fixture}.pem", pem(leaf(f"{fixture}.attacks.test", root, root_key, root_key, serial, base_cdp)))
    R = x509.ReasonFlags
    base = revocation_list(root, root_key, root_key, 10, [(0x3002, R.key_compromise), (0x3003, R.certificate_hold)],
                           freshest=f"{BASE_URL}/delta.crl")
    write("base.crl", der(base))
    write("served/base.crl", der(base))
    write("delta-genuine.crl", der(revocation_list(root, root_key, root_key, 11,
                                                   [(0x3003, R.remove_from_crl), (0x3004, R.key_compromise)], delta_of=10)))
    write("delta-forged-unrevoke.crl", der(revocation_list(root, root_key, attacker_key, 12, [(0x3002, R.remove_from_crl)],
                                                           delta_of=10)))
    write("delta-forged-revoke.crl", der(revocation_list(root, root_key, attacker_key, 12, [(0x3001, R.key_compromise)],
                                                         delta_of=10)))
    write("base-older.crl", der(revocation_list(root, root_key, root_key, 5, [])))
    write("served/forged-base.crl", der(revocation_list(root, root_key, attacker_key, 50, [])))
    write("self-made.pem", pem(leaf("self-made.attacks.test", root, root_key, attacker_key, 0x3100,
                                    [f"{BASE_URL}/probe-from-unverified-certificate"])))
    write("file-cdp.pem", pem(leaf("file-cdp.attacks.test", root, root_key, root_key, 0x3101,
                                   ["file:///etc/passwd", "ldap:///CN=Attack,CN=CDP?certificateRevocationList"])))
    write("many-cdps.pem", pem(leaf("many-cdps.attacks.test", root, root_key, root_key, 0x3102,
                                    [f"{BASE_URL}/missing-{n}.crl" for n in range(10)])))
    write("forged-at-cdp.pem", pem(leaf("forged-at-cdp.attacks.test", root, root_key, root_key, 0x3103,
                                        [f"{BASE_URL}/forged-base.crl"])))
    cases = [
        # name, certificate, cached CRLs, weak, strong
        ("genuine delta: untouched", "good", ["base.crl", "delta-genuine.crl"], "VALID", "VALID"),
        ("genuine delta: revoked in the base", "revoked", ["base.crl", "delta-genuine.crl"], "CERT_E_REVOKED", "CERT_E_REVOKED"),
        ("genuine delta: removeFromCRL", "on-hold", ["base.crl", "delta-genuine.crl"], "VALID", "VALID"),
        ("genuine delta: revoked in the delta", "later", ["base.crl", "delta-genuine.crl"], "CERT_E_REVOKED", "CERT_E_REVOKED"),
        ("forged delta un-revokes", "revoked", ["base.crl", "delta-forged-unrevoke.crl"],
         "CRYPT_E_NO_REVOCATION_CHECK", "CRYPT_E_NO_REVOCATION_CHECK"),
        ("forged delta revokes", "good", ["base.crl", "delta-forged-revoke.crl"],
         "CRYPT_E_NO_REVOCATION_CHECK", "CRYPT_E_NO_REVOCATION_CHECK"),
    ]
    doc = {
        "description": "Revocation attack fixtures: base and delta CRLs, genuine and forged (signed by another key under "
                       "the root's name), for weak and strong mode; certificates whose distribution points are served "
                       "on 127.0.0.1:%d from served/. A forged list never decides: it is an unusable CRL." % PORT,
        "source": "Tools/pki/make_revocation_attack_fixtures.py",
        "validationTime": "2026-11-01T00:00:00Z", "port": PORT, "root": "root.pem",
        "fixtures": [{"name": n, "certificate": f"{c}.pem", "cached": cached, "expectedWeak": weak, "expectedStrong": strong}
                     for n, c, cached, weak, strong in cases],
    }
    with open(f"{OUT}/fixtures.json", "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
