#!/usr/bin/env python3
"""Writes the PKI of the TLS (certificate authentication) tests to TestVectors/pki/tls/.

A root CA (RSA-2048) issues computer certificates with their keys (test keys, nothing else):
client-rsa / server-rsa (RSA-2048), client-ecdsa / server-ecdsa (ECDSA P-256), client-revoked
(listed in root.crl), client-expired (expired before the validation time), and
client-untrusted, issued by another root that nobody trusts; client-health is CLIENT1's NAP
health certificate (client authentication and System Health Authentication); client-san-only is
CLIENT1 named by a DNS subject alternative name and no common name; client-datest is CLIENT1 of
the Samba test domain (da.test); client-cdp names a CRL
distribution point that the HTTP server of the CDP fixtures serves (served/tls-root.crl there).
Validation time: 2026-11-01.
Run from the repository root: python3 Tools/pki/make_tls_fixtures.py
"""
import datetime
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

OUT = "TestVectors/pki/tls"
T = datetime.datetime


def name(cn):
    attributes = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "swift-authip TLS fixtures")]
    if cn is not None:
        attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attributes)


def ca(cn):
    k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(name(cn)).public_key(k.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(T(2025, 1, 1)).not_valid_after(T(2035, 1, 1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(k.public_key()), critical=False)
            .sign(k, hashes.SHA256()))
    return cert, k


def computer(cn, issuer, issuer_key, serial, usage, ecdsa=False, not_after=T(2034, 1, 1), cdp=None, san=None):
    k = ec.generate_private_key(ec.SECP256R1()) if ecdsa else rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(issuer.subject).public_key(k.public_key())
            .serial_number(serial).not_valid_before(T(2025, 1, 1)).not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, not ecdsa, False, ecdsa, False, False, False, False), critical=True)
            .add_extension(x509.ExtendedKeyUsage(usage if isinstance(usage, list) else [usage]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False))
    if san:
        cert = cert.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in san]), critical=False)
    if cdp:
        cert = cert.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
            [x509.UniformResourceIdentifier(cdp)], None, None, None)]), critical=False)
    return cert.sign(issuer_key, hashes.SHA256()), k


def write(path, data):
    with open(f"{OUT}/{path}", "wb") as f:
        f.write(data)


def main():
    os.makedirs(OUT, exist_ok=True)
    root, root_key = ca("TLS Fixture Root")
    other, other_key = ca("Untrusted Root")
    client, server = ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH
    identities = {
        "client-rsa": computer("CLIENT1.corp.contoso.com", root, root_key, 0x100, client),
        "client-ecdsa": computer("CLIENT2.corp.contoso.com", root, root_key, 0x101, client, ecdsa=True),
        "server-rsa": computer("DASERVER.corp.contoso.com", root, root_key, 0x102, server),
        "server-ecdsa": computer("DASERVER-EC.corp.contoso.com", root, root_key, 0x103, server, ecdsa=True),
        "client-revoked": computer("STOLEN.corp.contoso.com", root, root_key, 0x104, client),
        "client-expired": computer("OLD.corp.contoso.com", root, root_key, 0x105, client, not_after=T(2026, 1, 1)),
        "client-untrusted": computer("ROGUE.corp.contoso.com", other, other_key, 0x106, client),
        "client-health": computer("CLIENT1.corp.contoso.com", root, root_key, 0x108,
                                  [client, x509.ObjectIdentifier("1.3.6.1.4.1.311.47.1.1")]),
        # Its CDP is served by the distribution-point fixtures' HTTP server (port 18931).
        # CLIENT1 of the Samba test domain DA (da.test).
        "client-datest": computer("CLIENT1.da.test", root, root_key, 0x10A, client),
        # CLIENT1 named by its subject alternative name only: no common name.
        "client-san-only": computer(None, root, root_key, 0x109, client, san=["CLIENT1.corp.contoso.com"]),
        "client-cdp": computer("CLIENT3.corp.contoso.com", root, root_key, 0x107, client,
                               cdp="http://127.0.0.1:18931/tls-root.crl"),
    }
    pem = serialization.Encoding.PEM
    for label, (cert, key) in identities.items():
        write(f"{label}.pem", cert.public_bytes(pem))
        write(f"{label}.key", key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    write("root.pem", root.public_bytes(pem))
    crl = (x509.CertificateRevocationListBuilder().issuer_name(root.subject)
           .last_update(T(2026, 10, 1)).next_update(T(2026, 12, 1))
           .add_extension(x509.CRLNumber(1), critical=False)
           .add_revoked_certificate(x509.RevokedCertificateBuilder().serial_number(0x104).revocation_date(T(2026, 9, 1)).build())
           .sign(root_key, hashes.SHA256()))
    write("root.crl", crl.public_bytes(pem))
    with open("TestVectors/pki/cdp/served/tls-root.crl", "wb") as f:
        f.write(crl.public_bytes(serialization.Encoding.DER))
    print("wrote", OUT)


if __name__ == "__main__":
    main()
