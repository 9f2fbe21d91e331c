#!/usr/bin/env python3
"""Independent Python reference of the swift-authip key schedule and Crypto
payload (the interop profile in Docs/InteropProfile.md).

Written from the profile text alone, without looking at the Swift code.
Hashing, HMAC and the KDF use the Python standard library (hashlib / hmac);
pyca/cryptography is used only for the AES and 3DES block ciphers.

Usage:
  python3 Tools/reference/authip_reference.py generate   # write key-schedule.json, crypto-payload.json
  python3 Tools/reference/authip_reference.py verify     # recompute + decrypt every vector on disk
  python3 Tools/reference/authip_reference.py            # generate, then verify

`verify` recomputes every key-schedule vector from its inputs, rebuilds and
also *opens* every crypto-payload vector (ICV check, CBC decryption, padding
and payload-chain check), runs negative tests (a flipped ciphertext / ICV bit
must be rejected) and checks the KDF and PRF against concat-kdf.json and
hmac.json when those files exist.

Profile rules implemented here
------------------------------
  prf(k, m)      = HMAC-H(k, m), H = negotiated MM hash (md5, sha1, sha256, sha384)
  A-KDF(Z, O, L) = first L bytes of H(1 || Z || O) || H(2 || Z || O) || ...   (counter u32 BE)
  OtherInfo(pub, priv) = AlgorithmID (u16 BE: 1 DES, 5 3DES, 7 AES) || CKY-I || CKY-R || pub || priv
  SKEYID    = A-KDF(Z, OtherInfo(Ni|Nr,      GSS),             hashLen)
  SKEYID_d  = A-KDF(Z, OtherInfo(Ni|Nr|0x00, SKEYID),          hashLen)
  SKEYID_a  = A-KDF(Z, OtherInfo(Ni|Nr|0x01, SKEYID_d|SKEYID), hashLen)
  SKEYID_e  = A-KDF(Z, OtherInfo(Ni|Nr|0x02, SKEYID_a|SKEYID), max(hashLen, cryptLen))
  cipher key = SKEYID_e[:cryptLen], odd parity per byte for DES / 3DES
  SKEYID_em = A-KDF(Z, OtherInfo(Ni|Nr, GSS_em), hashLen)
  h1 = SHA256(m1); h2 = SHA256(m2 || h1); hk = H(mk || h(k-1)) for k >= 3
  Auth1 = prf(SKEYID, hn || 0x01); Auth2 = prf(SKEYID, hn || 0x02)
  g1 = H(e1); gj = H(ej || g(j-1)); Auth3 = prf(SKEYID_em, gk || Auth1); Auth4 = prf(SKEYID_em, gk || Auth2)
  KEYMAT = A-KDF(Zqm, OtherInfo(MsgID || SPI || Ni_qm || Nr_qm || SKEYID_d,
                                Ni_mm || Nr_mm || SKEYID_em  (empty without EM)),
                 integLen + encLen); integrity key = first integLen, encryption key = last encLen
"""

import hashlib
import hmac as _hmac
import json
import os
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

try:  # pyca/cryptography >= 43 moved TripleDES to the "decrepit" module
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
except ImportError:  # pragma: no cover
    TripleDES = algorithms.TripleDES

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "TestVectors", "crypto")
SOURCE = ("Tools/reference/authip_reference.py (independent Python reference of "
          "Docs/InteropProfile.md)")

# ---------------------------------------------------------------------------
# Algorithm tables
# ---------------------------------------------------------------------------

HASH_LEN = {"md5": 16, "sha1": 20, "sha256": 32, "sha384": 48}

# name -> (RFC 2409 App. A encryption algorithm id, key length, block size)
CIPHERS = {
    "des": (1, 8, 8),
    "3des": (5, 24, 8),
    "aes128": (7, 16, 16),
    "aes192": (7, 24, 16),
    "aes256": (7, 32, 16),
}

ICV_LEN = {"md5": 12, "sha1": 12, "sha256": 16, "sha384": 24}
LEGACY_ICV_LEN = 12

IPSEC_INTEG_LEN = {"hmac-md5-96": 16, "hmac-sha1-96": 20, "hmac-sha256-128": 32}
IPSEC_ENC_LEN = {"aes128": 16, "aes256": 32, "3des": 24, "null": 0}

ISAKMP_HEADER_LEN = 28
CRYPTO_PAYLOAD_TYPE = 0x85
ISAKMP_VERSION = 0x10
FLAG_ENCRYPTED = 0x01

# ---------------------------------------------------------------------------
# Primitives
# ---------------------------------------------------------------------------


def digest(hname, data):
    return hashlib.new(hname, data).digest()


def prf(hname, key, msg):
    return _hmac.new(key, msg, hname).digest()


def a_kdf(hname, z, other_info, length):
    """NIST SP 800-56A concatenation KDF with hash H."""
    out = bytearray()
    counter = 1
    while len(out) < length:
        out += digest(hname, counter.to_bytes(4, "big") + z + other_info)
        counter += 1
    return bytes(out[:length])


def other_info(crypto_id, cky_i, cky_r, pub, priv):
    assert len(cky_i) == 8 and len(cky_r) == 8
    return crypto_id.to_bytes(2, "big") + cky_i + cky_r + pub + priv


def odd_parity(key):
    out = bytearray()
    for b in key:
        hi = b & 0xFE
        out.append(hi | (0 if bin(hi).count("1") % 2 else 1))
    return bytes(out)


def crypt_len(cipher):
    return CIPHERS[cipher][1]


def block_len(cipher):
    return CIPHERS[cipher][2]


def cbc(cipher, key, iv, data, encrypt):
    if cipher in ("des", "3des"):
        algo = TripleDES(key if len(key) == 24 else key * 3)
    else:
        algo = algorithms.AES(key)
    c = Cipher(algo, modes.CBC(iv))
    ctx = c.encryptor() if encrypt else c.decryptor()
    return ctx.update(data) + ctx.finalize()


# ---------------------------------------------------------------------------
# Main Mode / Extended Mode key schedule
# ---------------------------------------------------------------------------


def main_mode_keys(hname, cipher, cky_i, cky_r, z, ni, nr, gss, gss_em=None):
    cid = CIPHERS[cipher][0]
    hl = HASH_LEN[hname]
    cl = crypt_len(cipher)
    nn = ni + nr

    def kdf(pub, priv, length):
        return a_kdf(hname, z, other_info(cid, cky_i, cky_r, pub, priv), length)

    k = {}
    k["skeyid"] = kdf(nn, gss, hl)
    k["skeyidD"] = kdf(nn + b"\x00", k["skeyid"], hl)
    k["skeyidA"] = kdf(nn + b"\x01", k["skeyidD"] + k["skeyid"], hl)
    k["skeyidE"] = kdf(nn + b"\x02", k["skeyidA"] + k["skeyid"], max(hl, cl))
    ek = k["skeyidE"][:cl]
    if cipher in ("des", "3des"):
        ek = odd_parity(ek)
    k["encryptionKey"] = ek
    if gss_em is not None:
        k["skeyidEM"] = kdf(nn, gss_em, hl)
    return k


def main_mode_hash(hname, messages):
    """h1 = SHA256(m1); h2 = SHA256(m2 || h1); hk = H(mk || h(k-1)) for k >= 3."""
    assert messages
    acc = None
    for idx, m in enumerate(messages, 1):
        if idx == 1:
            acc = digest("sha256", m)
        elif idx == 2:
            acc = digest("sha256", m + acc)
        else:
            acc = digest(hname, m + acc)
    return acc


def extended_mode_hash(hname, messages):
    """g1 = H(e1); gj = H(ej || g(j-1))."""
    assert messages
    acc = digest(hname, messages[0])
    for m in messages[1:]:
        acc = digest(hname, m + acc)
    return acc


def auth_values(hname, skeyid, mm_messages, skeyid_em=None, em_messages=None):
    hn = main_mode_hash(hname, mm_messages)
    r = {"mainModeHash": hn,
         "auth1": prf(hname, skeyid, hn + b"\x01"),
         "auth2": prf(hname, skeyid, hn + b"\x02")}
    if skeyid_em is not None and em_messages:
        gk = extended_mode_hash(hname, em_messages)
        r["extendedModeHash"] = gk
        r["auth3"] = prf(hname, skeyid_em, gk + r["auth1"])
        r["auth4"] = prf(hname, skeyid_em, gk + r["auth2"])
    return r


# ---------------------------------------------------------------------------
# Quick Mode keying material
# ---------------------------------------------------------------------------


def quick_mode_keys(hname, cipher, cky_i, cky_r, skeyid_d, ni_mm, nr_mm, skeyid_em,
                    message_id, spi, ni_qm, nr_qm, z_qm, integ_alg, enc_alg):
    il = IPSEC_INTEG_LEN[integ_alg]
    el = IPSEC_ENC_LEN[enc_alg]
    pub = message_id + spi + ni_qm + nr_qm + skeyid_d
    priv = (ni_mm + nr_mm + skeyid_em) if skeyid_em is not None else b""
    keymat = a_kdf(hname, z_qm, other_info(CIPHERS[cipher][0], cky_i, cky_r, pub, priv), il + el)
    return keymat[:il], (keymat[len(keymat) - el:] if el else b"")


# ---------------------------------------------------------------------------
# Crypto payload
# ---------------------------------------------------------------------------


def icv_len(hname, legacy):
    return LEGACY_ICV_LEN if legacy else ICV_LEN[hname]


def pad_plaintext(inner, first_payload, block):
    n = (-(len(inner) + 2)) % block
    return inner + bytes(range(1, n + 1)) + bytes([n, first_payload]), n


def build_crypto_message(hname, cipher, legacy, skeyid_a, enc_key, cky_i, cky_r,
                         exchange_type, flags, message_id, seq, iv, first_payload, inner):
    block = block_len(cipher)
    assert len(iv) == block
    plaintext, n = pad_plaintext(inner, first_payload, block)
    ct = cbc(cipher, enc_key, iv, plaintext, True)
    tl = icv_len(hname, legacy)
    crypto = bytes([0x00, 0x00]) + (8 + len(iv)).to_bytes(2, "big") + seq.to_bytes(4, "big") + iv
    total = ISAKMP_HEADER_LEN + len(crypto) + len(ct) + tl

    def header(length):
        return (cky_i + cky_r + bytes([CRYPTO_PAYLOAD_TYPE, ISAKMP_VERSION, exchange_type, flags])
                + message_id + length.to_bytes(4, "big"))

    icv = prf(hname, skeyid_a, header(0) + crypto + ct)[:tl]
    message = header(total) + crypto + ct + icv
    assert len(message) == total
    return {"message": message, "plaintext": plaintext, "paddingLength": n,
            "ciphertext": ct, "icv": icv}


class CryptoPayloadError(Exception):
    pass


def walk_payload_chain(first_type, chain):
    """Returns [(type, body)], checking every generic header and the terminator."""
    out, off, typ = [], 0, first_type
    while typ != 0:
        if off + 4 > len(chain):
            raise CryptoPayloadError("truncated payload header")
        nxt, reserved, plen = chain[off], chain[off + 1], int.from_bytes(chain[off + 2:off + 4], "big")
        if reserved != 0 or plen < 4 or off + plen > len(chain):
            raise CryptoPayloadError("bad generic payload header at %d" % off)
        out.append((typ, chain[off + 4:off + plen]))
        off += plen
        typ = nxt
    if off != len(chain):
        raise CryptoPayloadError("trailing bytes after payload chain")
    return out


def open_crypto_message(hname, cipher, legacy, skeyid_a, enc_key, message):
    """Checks and decrypts a Crypto-payload message. Returns a dict or raises."""
    if len(message) < ISAKMP_HEADER_LEN + 8:
        raise CryptoPayloadError("too short")
    hdr = message[:ISAKMP_HEADER_LEN]
    if hdr[16] != CRYPTO_PAYLOAD_TYPE or hdr[17] != ISAKMP_VERSION:
        raise CryptoPayloadError("not a Crypto payload message")
    if not hdr[19] & FLAG_ENCRYPTED:
        raise CryptoPayloadError("E flag not set")
    if int.from_bytes(hdr[24:28], "big") != len(message):
        raise CryptoPayloadError("header length mismatch")
    cp = message[ISAKMP_HEADER_LEN:]
    if cp[0] != 0 or cp[1] != 0:
        raise CryptoPayloadError("crypto payload next/reserved not zero")
    plen = int.from_bytes(cp[2:4], "big")
    ivl = plen - 8
    block = block_len(cipher)
    if ivl != block:
        raise CryptoPayloadError("IV length %d does not match the cipher" % ivl)
    seq = int.from_bytes(cp[4:8], "big")
    iv = cp[8:8 + ivl]
    tl = icv_len(hname, legacy)
    body_end = len(message) - tl
    ct = message[ISAKMP_HEADER_LEN + plen:body_end]
    if len(ct) == 0 or len(ct) % block:
        raise CryptoPayloadError("ciphertext not a whole number of blocks")
    covered = bytearray(message[:body_end])
    covered[24:28] = b"\x00\x00\x00\x00"
    want = prf(hname, skeyid_a, bytes(covered))[:tl]
    if not _hmac.compare_digest(want, message[body_end:]):
        raise CryptoPayloadError("ICV mismatch")
    pt = cbc(cipher, enc_key, iv, ct, False)
    first, n = pt[-1], pt[-2]
    if n + 2 > len(pt):
        raise CryptoPayloadError("pad length too large")
    if n >= block:
        raise CryptoPayloadError("padding longer than needed")
    pad = pt[len(pt) - 2 - n:len(pt) - 2]
    if pad != bytes(range(1, n + 1)):
        raise CryptoPayloadError("padding bytes are not 1, 2, 3, ...")
    inner = pt[:len(pt) - 2 - n]
    payloads = walk_payload_chain(first, inner)
    return {"sequenceNumber": seq, "iv": iv, "firstPayload": first, "paddingLength": n,
            "innerPayloads": inner, "payloads": payloads,
            "exchangeType": hdr[18], "flags": hdr[19], "messageID": hdr[20:24],
            "initiatorCookie": hdr[0:8], "responderCookie": hdr[8:16]}


# ---------------------------------------------------------------------------
# Vector generation
# ---------------------------------------------------------------------------


def det(label, n):
    """Fixed arbitrary bytes (deterministic, recorded in the JSON)."""
    out = b""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(("authip-vector:%s:%d" % (label, i)).encode()).digest()
        i += 1
    return out[:n]


def load_json(name):
    path = os.path.join(OUT, name)
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def dh_secrets():
    """Real DH shared secrets from ecp-dh.json / modp-dh.json, used as Z values."""
    z = {}
    ecp = load_json("ecp-dh.json")
    modp = load_json("modp-dh.json")
    if ecp:
        for v in ecp["vectors"]:
            z["ecp%d" % v["group"]] = bytes.fromhex(v["sharedSecret"])
    if modp:
        for v in modp["vectors"]:
            z.setdefault("modp%d" % v["group"], bytes.fromhex(v["sharedSecret"]))
    fallback = {"ecp19": 32, "ecp20": 48, "modp2": 128, "modp14": 256}
    for k, n in fallback.items():  # only if the standard vectors were not generated yet
        z.setdefault(k, det("z-" + k, n))
    return z


def payload(next_type, body):
    return bytes([next_type, 0]) + (4 + len(body)).to_bytes(2, "big") + body


PT_HASH, PT_NONCE, PT_NOTIFY, PT_VENDOR = 8, 10, 11, 13

# name, hash, cipher, z-key or None, em?, #mm messages, quick mode list
KS_SPECS = [
    ("ks-md5-aes128-ecp19-noem-2msg", "md5", "aes128", "ecp19", False, 2,
     [("hmac-md5-96", "aes128", None), ("hmac-md5-96", "aes128", None)]),
    ("ks-sha1-3des-nodh-em-4msg", "sha1", "3des", None, True, 4,
     [("hmac-sha1-96", "3des", "modp2"), ("hmac-sha1-96", "3des", "modp2")]),
    ("ks-sha256-aes256-modp14-em-4msg", "sha256", "aes256", "modp14", True, 4,
     [("hmac-sha256-128", "aes256", None), ("hmac-sha256-128", "aes128", "ecp19")]),
    ("ks-sha384-3des-ecp20-noem-4msg", "sha384", "3des", "ecp20", False, 4,
     [("hmac-sha1-96", "null", None), ("hmac-sha256-128", "3des", "ecp20")]),
    ("ks-sha1-aes128-nodh-noem-2msg", "sha1", "aes128", None, False, 2,
     [("hmac-sha1-96", "aes128", "modp14")]),
    ("ks-sha384-aes128-ecp20-em-2msg", "sha384", "aes128", "ecp20", True, 2,
     [("hmac-sha256-128", "aes256", None)]),
    ("ks-md5-des-modp2-noem-4msg", "md5", "des", "modp2", False, 4,
     [("hmac-md5-96", "3des", None)]),
    ("ks-sha1-aes256-nodh-em-4msg", "sha1", "aes256", None, True, 4,
     [("hmac-sha1-96", "aes256", None), ("hmac-sha1-96", "null", "modp2")]),
]


def gen_key_schedule():
    zs = dh_secrets()
    vectors = []
    for name, hn, cipher, zkey, em, nmsg, qms in KS_SPECS:
        cky_i, cky_r = det(name + "/cky-i", 8), det(name + "/cky-r", 8)
        nlen = 16 + (len(name) % 17)  # 16..32 byte nonces
        ni, nr = det(name + "/ni", nlen), det(name + "/nr", 32 if nlen < 24 else 16)
        z = zs[zkey] if zkey else b""
        gss = det(name + "/gss", 32)
        gss_em = det(name + "/gss-em", 32) if em else None
        mm = [det("%s/mm%d" % (name, i), 60 + 37 * i) for i in range(1, nmsg + 1)]
        ems = [det("%s/em%d" % (name, i), 90 + 23 * i) for i in range(1, 4)] if em else None
        keys = main_mode_keys(hn, cipher, cky_i, cky_r, z, ni, nr, gss, gss_em)
        auth = auth_values(hn, keys["skeyid"], mm, keys.get("skeyidEM"), ems)
        v = {"name": name, "source": SOURCE, "hash": hn, "cipher": cipher,
             "cryptoID": CIPHERS[cipher][0],
             "initiatorCookie": cky_i.hex(), "responderCookie": cky_r.hex(),
             "z": z.hex(), "ni": ni.hex(), "nr": nr.hex(), "gssSecret": gss.hex()}
        if em:
            v["gssSecretEM"] = gss_em.hex()
        for k in ("skeyid", "skeyidD", "skeyidA", "skeyidE", "encryptionKey"):
            v[k] = keys[k].hex()
        if em:
            v["skeyidEM"] = keys["skeyidEM"].hex()
        v["mainModeMessages"] = [m.hex() for m in mm]
        if em:
            v["extendedModeMessages"] = [m.hex() for m in ems]
        v["mainModeHash"] = auth["mainModeHash"].hex()
        v["auth1"] = auth["auth1"].hex()
        v["auth2"] = auth["auth2"].hex()
        if em:
            v["extendedModeHash"] = auth["extendedModeHash"].hex()
            v["auth3"] = auth["auth3"].hex()
            v["auth4"] = auth["auth4"].hex()
        qlist = []
        msg_id = det(name + "/qm-msgid", 4)
        ni_qm, nr_qm = det(name + "/qm-ni", 24), det(name + "/qm-nr", 20)
        for j, (ia, ea, zq) in enumerate(qms):
            spi = det("%s/spi%d" % (name, j), 4)
            zqm = zs[zq] if zq else b""
            ik, ek = quick_mode_keys(hn, cipher, cky_i, cky_r, keys["skeyidD"], ni, nr,
                                     keys.get("skeyidEM"), msg_id, spi, ni_qm, nr_qm, zqm, ia, ea)
            qlist.append({"messageID": msg_id.hex(), "spi": spi.hex(),
                          "niQM": ni_qm.hex(), "nrQM": nr_qm.hex(), "zQM": zqm.hex(),
                          "integrityAlgorithm": ia, "encryptionAlgorithm": ea,
                          "integrityKey": ik.hex(), "encryptionKey": ek.hex()})
        v["quickMode"] = qlist
        vectors.append(v)
    return {
        "description": "AuthIP key schedule vectors (interop profile). All byte values are hex; "
                       "z / zQM are empty strings when no DH (or no PFS) was done; messageID and "
                       "spi are the 4 big-endian bytes used in the KDF input. gssSecretEM, "
                       "skeyidEM, extendedModeMessages, extendedModeHash, auth3 and auth4 are "
                       "present only when Extended Mode happened. mainModeHash / "
                       "extendedModeHash are the chain values h_n / g_k (debug aids). "
                       "encryptionKey is the MM cipher key (first cryptLength bytes of "
                       "SKEYID_e, odd parity for DES/3DES). Z values are the DH secrets "
                       "of ecp-dh.json / modp-dh.json.",
        "source": SOURCE,
        "vectors": vectors,
    }


def _inner(kind):
    """(first payload type, inner payload chain) for the crypto-payload vectors."""
    if kind == "hash-sha1":          # 24 bytes
        return PT_HASH, payload(0, det("hash20", 20))
    if kind == "hash-sha256+nonce22":  # 36 + 26 = 62  (AES: 0 padding)
        return PT_HASH, payload(PT_NONCE, det("hash32", 32)) + payload(0, det("nonce22", 22))
    if kind == "hash-sha384+nonce22":  # 52 + 26 = 78  (AES: 0 padding)
        return PT_HASH, payload(PT_NONCE, det("hash48", 48)) + payload(0, det("nonce22b", 22))
    if kind == "hash-sha1+nonce19":  # 24 + 23 = 47  (3DES: 7 = max padding)
        return PT_HASH, payload(PT_NONCE, det("hash20b", 20)) + payload(0, det("nonce19", 19))
    if kind == "nonce27":            # 31 (AES: 15 = max padding)
        return PT_NONCE, payload(0, det("nonce27", 27))
    if kind == "hash-sha1+nonce18":  # 24 + 22 = 46 (3DES: 0 padding)
        return PT_HASH, payload(PT_NONCE, det("hash20c", 20)) + payload(0, det("nonce18", 18))
    if kind == "notify+vid":         # notify (4 + 8) + vendor id (4 + 16) = 32 (AES: 14)
        notify = bytes([0, 0, 0, 0, 0x01, 0x00, 0x40, 0x01])  # DOI, protocol, SPI size, type
        return PT_NOTIFY, payload(PT_VENDOR, notify) + payload(0, hashlib.md5(b"MS-MamieExists").digest())
    raise KeyError(kind)


# name, keys from (key-schedule vector), legacyICV, exchange type, inner chain, seqNUM
CP_SPECS = [
    ("cp-aes128-sha1-mm", "ks-sha1-aes128-nodh-noem-2msg", False, 243, "hash-sha1", 1),
    ("cp-aes256-sha256-qm-nopad", "ks-sha256-aes256-modp14-em-4msg", False, 244,
     "hash-sha256+nonce22", 2),
    ("cp-3des-sha384-em-maxpad", "ks-sha384-3des-ecp20-noem-4msg", False, 245,
     "hash-sha1+nonce19", 3),
    ("cp-aes128-sha384-legacy-notify-maxpad", "ks-sha384-aes128-ecp20-em-2msg", True, 246,
     "nonce27", 7),
    ("cp-aes256-sha256-legacy-mm-nopad", "ks-sha256-aes256-modp14-em-4msg", True, 243,
     "hash-sha384+nonce22", 4),
    ("cp-3des-sha1-qm-nopad", "ks-sha1-3des-nodh-em-4msg", False, 244, "hash-sha1+nonce18", 5),
    ("cp-aes128-md5-em", "ks-md5-aes128-ecp19-noem-2msg", False, 245, "notify+vid", 1),
    ("cp-aes128-sha1-legacy-notify", "ks-sha1-aes128-nodh-noem-2msg", True, 246, "hash-sha1", 9),
]


def gen_crypto_payload(ks):
    byname = {v["name"]: v for v in ks["vectors"]}
    vectors = []
    for name, ksname, legacy, xchg, kind, seq in CP_SPECS:
        k = byname[ksname]
        hn, cipher = k["hash"], k["cipher"]
        cky_i, cky_r = bytes.fromhex(k["initiatorCookie"]), bytes.fromhex(k["responderCookie"])
        skeyid_a, ek = bytes.fromhex(k["skeyidA"]), bytes.fromhex(k["encryptionKey"])
        msg_id = b"\x00\x00\x00\x00" if xchg == 243 else det(name + "/msgid", 4)
        iv = det(name + "/iv", block_len(cipher))
        first, inner = _inner(kind)
        r = build_crypto_message(hn, cipher, legacy, skeyid_a, ek, cky_i, cky_r, xchg,
                                 FLAG_ENCRYPTED, msg_id, seq, iv, first, inner)
        vectors.append({
            "name": name, "source": SOURCE, "keysFrom": ksname,
            "hash": hn, "cipher": cipher, "legacyICV": legacy,
            "skeyidA": skeyid_a.hex(), "encryptionKey": ek.hex(),
            "header": {"initiatorCookie": cky_i.hex(), "responderCookie": cky_r.hex(),
                       "exchangeType": xchg, "flags": FLAG_ENCRYPTED, "messageID": msg_id.hex()},
            "sequenceNumber": seq, "iv": iv.hex(), "firstPayload": first,
            "innerPayloads": inner.hex(),
            "paddingLength": r["paddingLength"], "icvLength": icv_len(hn, legacy),
            "plaintext": r["plaintext"].hex(), "icv": r["icv"].hex(),
            "message": r["message"].hex(),
        })
    return {
        "description": "AuthIP Crypto payload (E flag) vectors. message = ISAKMP header (next "
                       "payload 0x85, version 0x10, Length = total size) || Crypto payload "
                       "[next 0, reserved 0, length u16 = 8 + ivLen, seqNUM u32, IV] || CBC "
                       "ciphertext || ICV. plaintext = innerPayloads || 1, 2, ..., n || n || "
                       "firstPayload. ICV = HMAC-H(SKEYID_a, message up to the ICV with the "
                       "header Length field zeroed), truncated to icvLength (md5/sha1 12, "
                       "sha256 16, sha384 24; 12 when legacyICV). header.messageID is 4 "
                       "big-endian bytes in hex; keysFrom names the key-schedule.json vector "
                       "whose SKEYID_a / encryption key and cookies are used. paddingLength, "
                       "icvLength, plaintext and icv are debug aids.",
        "source": SOURCE,
        "vectors": vectors,
    }


# ---------------------------------------------------------------------------
# Verification
# ---------------------------------------------------------------------------


def verify_key_schedule(v):
    b = bytes.fromhex
    hn, cipher = v["hash"], v["cipher"]
    errs = []
    if v["cryptoID"] != CIPHERS[cipher][0]:
        errs.append("cryptoID")
    em = "gssSecretEM" in v
    keys = main_mode_keys(hn, cipher, b(v["initiatorCookie"]), b(v["responderCookie"]), b(v["z"]),
                          b(v["ni"]), b(v["nr"]), b(v["gssSecret"]),
                          b(v["gssSecretEM"]) if em else None)
    for k, val in keys.items():
        if val.hex() != v[k]:
            errs.append(k)
    if len(keys["skeyidE"]) != max(HASH_LEN[hn], crypt_len(cipher)):
        errs.append("skeyidE length")
    if cipher in ("des", "3des") and any(bin(x).count("1") % 2 == 0 for x in keys["encryptionKey"]):
        errs.append("parity")
    auth = auth_values(hn, keys["skeyid"], [b(m) for m in v["mainModeMessages"]],
                       keys.get("skeyidEM"), [b(m) for m in v.get("extendedModeMessages", [])])
    for k, val in auth.items():
        if val.hex() != v[k]:
            errs.append(k)
    for q in v["quickMode"]:
        ik, ek = quick_mode_keys(hn, cipher, b(v["initiatorCookie"]), b(v["responderCookie"]),
                                 keys["skeyidD"], b(v["ni"]), b(v["nr"]), keys.get("skeyidEM"),
                                 b(q["messageID"]), b(q["spi"]), b(q["niQM"]), b(q["nrQM"]),
                                 b(q["zQM"]), q["integrityAlgorithm"], q["encryptionAlgorithm"])
        if ik.hex() != q["integrityKey"] or ek.hex() != q["encryptionKey"]:
            errs.append("quickMode spi " + q["spi"])
    return errs


def verify_crypto_payload(v, ks_by_name):
    b = bytes.fromhex
    errs = []
    hn, cipher, legacy = v["hash"], v["cipher"], v["legacyICV"]
    ks = ks_by_name.get(v.get("keysFrom"))
    if ks and (ks["skeyidA"] != v["skeyidA"] or ks["encryptionKey"] != v["encryptionKey"]
               or ks["initiatorCookie"] != v["header"]["initiatorCookie"]):
        errs.append("keys differ from " + v["keysFrom"])
    msg = b(v["message"])
    try:
        r = open_crypto_message(hn, cipher, legacy, b(v["skeyidA"]), b(v["encryptionKey"]), msg)
    except CryptoPayloadError as e:
        return ["open: %s" % e]
    hdr = v["header"]
    checks = [
        (r["innerPayloads"].hex() == v["innerPayloads"], "innerPayloads"),
        (r["firstPayload"] == v["firstPayload"], "firstPayload"),
        (r["sequenceNumber"] == v["sequenceNumber"], "sequenceNumber"),
        (r["iv"].hex() == v["iv"], "iv"),
        (r["exchangeType"] == hdr["exchangeType"], "exchangeType"),
        (r["flags"] == hdr["flags"], "flags"),
        (r["messageID"].hex() == hdr["messageID"], "messageID"),
        (r["initiatorCookie"].hex() == hdr["initiatorCookie"], "initiatorCookie"),
        (r["responderCookie"].hex() == hdr["responderCookie"], "responderCookie"),
        (r["paddingLength"] == v["paddingLength"], "paddingLength"),
    ]
    errs += [what for ok, what in checks if not ok]
    # Rebuilding must give the same bytes.
    rb = build_crypto_message(hn, cipher, legacy, b(v["skeyidA"]), b(v["encryptionKey"]),
                              b(hdr["initiatorCookie"]), b(hdr["responderCookie"]),
                              hdr["exchangeType"], hdr["flags"], b(hdr["messageID"]),
                              v["sequenceNumber"], b(v["iv"]), v["firstPayload"],
                              b(v["innerPayloads"]))
    if rb["message"] != msg:
        errs.append("rebuild differs")
    # Negative tests: every single-bit change in ciphertext, ICV or header must be rejected.
    tl = icv_len(hn, legacy)
    for pos in (0, 18, 20, 24, 27, ISAKMP_HEADER_LEN + 8, len(msg) - tl - 1, len(msg) - 1):
        bad = bytearray(msg)
        bad[pos] ^= 0x01
        try:
            open_crypto_message(hn, cipher, legacy, b(v["skeyidA"]), b(v["encryptionKey"]), bytes(bad))
            errs.append("accepted a flipped bit at %d" % pos)
        except CryptoPayloadError:
            pass
    # The wrong ICV length (legacy vs not) must be rejected when the lengths differ.
    if icv_len(hn, not legacy) != tl:
        try:
            open_crypto_message(hn, cipher, not legacy, b(v["skeyidA"]), b(v["encryptionKey"]), msg)
            errs.append("accepted with the other legacyICV setting")
        except CryptoPayloadError:
            pass
    return errs


def verify_primitives():
    """Check a_kdf / prf against the standards-based files, when present."""
    errs = []
    ck = load_json("concat-kdf.json")
    if ck:
        for v in ck["vectors"]:
            got = a_kdf(v["hash"], bytes.fromhex(v["z"]), bytes.fromhex(v["otherInfo"]), v["length"])
            if got.hex() != v["derivedKey"]:
                errs.append("concat-kdf " + v["name"])
    hm = load_json("hmac.json")
    if hm:
        for v in hm["vectors"]:
            if prf(v["algorithm"], bytes.fromhex(v["key"]), bytes.fromhex(v["data"])).hex() != v["mac"]:
                errs.append("hmac " + v["name"])
    ac = load_json("aes-cbc.json")
    if ac:
        for v in ac["vectors"]:
            c = "aes%d" % (len(v["key"]) * 4)
            if cbc(c, bytes.fromhex(v["key"]), bytes.fromhex(v["iv"]), bytes.fromhex(v["plaintext"]),
                   True).hex() != v["ciphertext"]:
                errs.append("aes-cbc " + v["name"])
    # odd parity helper
    if odd_parity(bytes([0x00, 0x01, 0xfe, 0xff, 0x80])) != bytes([0x01, 0x01, 0xfe, 0xfe, 0x80]):
        errs.append("odd_parity")
    return errs, bool(ck), bool(hm), bool(ac)


def verify():
    ks = load_json("key-schedule.json")
    cp = load_json("crypto-payload.json")
    failed = 0
    perrs, have_ck, have_hm, have_ac = verify_primitives()
    for e in perrs:
        print("FAIL primitive:", e)
    failed += len(perrs)
    print("primitives: concat-kdf.json %s, hmac.json %s, aes-cbc.json %s"
          % tuple("checked" if x else "absent" for x in (have_ck, have_hm, have_ac)))
    by_name = {}
    if ks:
        for v in ks["vectors"]:
            by_name[v["name"]] = v
            errs = verify_key_schedule(v)
            print("%-44s %s" % (v["name"], "ok" if not errs else "FAIL " + ", ".join(errs)))
            failed += bool(errs)
    if cp:
        for v in cp["vectors"]:
            errs = verify_crypto_payload(v, by_name)
            print("%-44s %s" % (v["name"], "ok (decrypted, ICV + padding checked)" if not errs
                                 else "FAIL " + ", ".join(errs)))
            failed += bool(errs)
    if not ks or not cp:
        print("key-schedule.json / crypto-payload.json missing")
        failed += 1
    print("verify: %s" % ("all ok" if not failed else "%d failure(s)" % failed))
    return 1 if failed else 0


def write(name, obj):
    with open(os.path.join(OUT, name), "w", encoding="utf-8") as f:
        f.write(json.dumps(obj, indent=2, ensure_ascii=False) + "\n")
    print("wrote %s (%d vectors)" % (name, len(obj["vectors"])))


def generate():
    os.makedirs(OUT, exist_ok=True)
    ks = gen_key_schedule()
    write("key-schedule.json", ks)
    write("crypto-payload.json", gen_crypto_payload(ks))


def main(argv):
    cmd = argv[1] if len(argv) > 1 else "all"
    if cmd in ("generate", "all"):
        generate()
    if cmd in ("verify", "all"):
        return verify()
    if cmd not in ("generate", "verify", "all"):
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
