#!/usr/bin/env python3
"""Writes the PKI of the CRL-distribution-point fixtures to TestVectors/pki/cdp/.

A root CA (RSA-2048) issues one computer certificate per fixture, each with a CRL
distribution point that the trust tests serve (or fail to serve) over HTTP on loopback:
  served/  files the test's HTTP server answers with (anything else is a 404)
  *.pem    certificates; root.key signs CRLs in the benchmarks (a test key, nothing else)
  cached-revoking.crl  a CRL that goes into the local cache before the CDP is tried
Validation time for all of them: 2026-11-01T00:00:00Z (fixtures.json).
Run from the repository root: python3 Tools/pki/make_cdp_fixtures.py
"""
import datetime
import json
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

OUT = "TestVectors/pki/cdp"
PORT, CLOSED_PORT = 18931, 18932
BASE = f"http://127.0.0.1:{PORT}"
T = datetime.datetime
NOT_BEFORE, NOT_AFTER = T(2025, 1, 1), T(2035, 1, 1)
VALIDATION_TIME = "2026-11-01T00:00:00Z"


def key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def name(cn):
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "swift-authip fixtures"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def ca(cn, k):
    ski = x509.SubjectKeyIdentifier.from_public_key(k.public_key())
    return (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(name(cn)).public_key(k.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(NOT_BEFORE).not_valid_after(NOT_AFTER)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(ski, critical=False)
            .sign(k, hashes.SHA256()))


BOTH_AUTH = [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]


def leaf(cn, issuer_cert, issuer_key, cdp, serial, usages=BOTH_AUTH, signature=True):
    k = key()
    b = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(issuer_cert.subject).public_key(k.public_key())
         .serial_number(serial).not_valid_before(NOT_BEFORE).not_valid_after(NOT_AFTER)
         .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
         .add_extension(x509.KeyUsage(signature, False, True, False, False, False, False, False, False), critical=True)
         .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False))
    if cdp:
        b = b.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
            [x509.UniformResourceIdentifier(cdp)], None, None, None)]), critical=False)
    return b.sign(issuer_key, hashes.SHA256())


def crl(issuer_cert, issuer_key, revoked_serials, this_update, next_update, number=1):
    b = (x509.CertificateRevocationListBuilder().issuer_name(issuer_cert.subject)
         .last_update(this_update).next_update(next_update)
         .add_extension(x509.CRLNumber(number), critical=False)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False))
    for serial in revoked_serials:
        b = b.add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(serial)
                                      .revocation_date(T(2026, 2, 1)).build())
    return b.sign(issuer_key, hashes.SHA256())


def pem(obj):
    return obj.public_bytes(serialization.Encoding.PEM)


def main():
    os.makedirs(f"{OUT}/served", exist_ok=True)
    root_key, other_key = key(), key()
    root, other = ca("Fixture Root CA", root_key), ca("Other CA", other_key)
    fixtures = [
        # name, CDP path (None = no CDP, "closed" = a port nothing listens on)
        ("revoked-at-cdp", "/revoking.crl"),
        ("clean-cdp", "/clean.crl"),
        ("cdp-port-closed", "closed"),
        ("cdp-404", "/missing.crl"),
        ("cdp-garbage", "/garbage.crl"),
        ("cdp-wrong-issuer", "/wrong-issuer.crl"),
        ("cdp-expired-crl", "/expired.crl"),
        ("no-cdp", None),
        ("revoked-in-cache-cdp-down", "closed"),
    ]
    serials = {}
    for index, (fixture, path) in enumerate(fixtures):
        serials[fixture] = 0x1000 + index
        cdp = None if path is None else (f"http://127.0.0.1:{CLOSED_PORT}/{fixture}.crl" if path == "closed" else BASE + path)
        with open(f"{OUT}/{fixture}.pem", "wb") as f:
            f.write(pem(leaf(f"{fixture}.fixtures.test", root, root_key, cdp, serials[fixture])))
    # Certificates for the IPsec usage policies (no CDP; validated with revocation off).
    policy_certificates = {
        "policy-server-auth-only": dict(usages=[ExtendedKeyUsageOID.SERVER_AUTH]),
        "policy-client-auth-only": dict(usages=[ExtendedKeyUsageOID.CLIENT_AUTH]),
        "policy-ike-intermediate": dict(usages=[x509.ObjectIdentifier("1.3.6.1.5.5.8.2.2")]),
        "policy-health": dict(usages=[ExtendedKeyUsageOID.CLIENT_AUTH, x509.ObjectIdentifier("1.3.6.1.4.1.311.47.1.1")]),
        "policy-no-digital-signature": dict(signature=False),
    }
    for index, (fixture, options) in enumerate(policy_certificates.items()):
        with open(f"{OUT}/{fixture}.pem", "wb") as f:
            f.write(pem(leaf(f"{fixture}.fixtures.test", root, root_key, None, 0x2000 + index, **options)))
    current = (T(2026, 10, 1), T(2026, 12, 1))
    with open(f"{OUT}/served/revoking.crl", "wb") as f:
        f.write(crl(root, root_key, [serials["revoked-at-cdp"]], *current).public_bytes(serialization.Encoding.DER))
    with open(f"{OUT}/served/clean.crl", "wb") as f:
        f.write(crl(root, root_key, [], *current).public_bytes(serialization.Encoding.DER))
    with open(f"{OUT}/served/garbage.crl", "wb") as f:
        f.write(b"<html>this is not a CRL</html>\n")
    with open(f"{OUT}/served/wrong-issuer.crl", "wb") as f:
        f.write(crl(other, other_key, [], *current).public_bytes(serialization.Encoding.DER))
    with open(f"{OUT}/served/expired.crl", "wb") as f:
        f.write(crl(root, root_key, [], T(2026, 5, 1), T(2026, 6, 1)).public_bytes(serialization.Encoding.DER))
    with open(f"{OUT}/cached-revoking.crl", "wb") as f:
        f.write(pem(crl(root, root_key, [serials["revoked-in-cache-cdp-down"]], *current, number=2)))
    with open(f"{OUT}/root.pem", "wb") as f:
        f.write(pem(root))
    with open(f"{OUT}/root.key", "wb") as f:
        f.write(root_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    expected = {
        "revoked-at-cdp": ("VALID", "CERT_E_REVOKED"),
        "clean-cdp": ("VALID", "VALID"),
        "cdp-port-closed": ("VALID", "CRYPT_E_REVOCATION_OFFLINE"),
        "cdp-404": ("VALID", "CRYPT_E_REVOCATION_OFFLINE"),
        "cdp-garbage": ("VALID", "CRYPT_E_REVOCATION_OFFLINE"),
        "cdp-wrong-issuer": ("VALID", "CRYPT_E_REVOCATION_OFFLINE"),
        "cdp-expired-crl": ("VALID", "CRYPT_E_REVOCATION_OFFLINE"),
        "no-cdp": ("VALID", "CRYPT_E_NO_REVOCATION_CHECK"),
        "revoked-in-cache-cdp-down": ("CERT_E_REVOKED", "CERT_E_REVOKED"),
    }
    doc = {
        "description": "CRL distribution point fixtures: each computer certificate's CDP is served (or not) by the "
                       "test's HTTP server on 127.0.0.1:%d from served/; port %d is never listened on. "
                       "cached lists CRL files put in the local cache first. expected gives the result per mode." % (PORT, CLOSED_PORT),
        "source": "Tools/pki/make_cdp_fixtures.py",
        "validationTime": VALIDATION_TIME, "port": PORT, "root": "root.pem",
        "fixtures": [{"name": f, "certificate": f"{f}.pem",
                      "cached": ["cached-revoking.crl"] if f == "revoked-in-cache-cdp-down" else [],
                      "expectedWeak": expected[f][0], "expectedStrong": expected[f][1]} for f, _ in fixtures],
    }
    with open(f"{OUT}/fixtures.json", "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
