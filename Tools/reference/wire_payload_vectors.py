#!/usr/bin/env python3
"""Writes TestVectors/wire/payloads.json and TestVectors/wire/malformed.json.

Every message is laid out here byte by byte with struct.pack from the layouts of MS-AIPS
2.2 and RFC 2407/2408/3947 (independently of the Swift codec), together with the fields the
Swift decoder must report. Run from the repository root: python3 Tools/reference/wire_payload_vectors.py [--check]
(--check compares with the files instead of writing them).
"""
import json
import struct
import sys

IC = bytes.fromhex("0102030405060708")
RC = bytes.fromhex("1112131415161718")


def header(next_payload, exchange=243, flags=0, message_id=0, body_len=0, version=0x10):
    return IC + RC + struct.pack(">BBBBII", next_payload, version, exchange, flags, message_id, 28 + body_len)


def payload(next_payload, body):
    return struct.pack(">BBH", next_payload, 0, 4 + len(body)) + body


def clear_message(first_type, chain, exchange=243, message_id=0):
    crypto = payload(first_type, struct.pack(">I", 0))
    body = crypto + chain
    return header(0x85, exchange, 0, message_id, len(body)) + body


def bare_message(first_type, chain, exchange=243):
    return header(first_type, exchange, 0, 0, len(chain)) + chain


def attr_tv(t, v):
    return struct.pack(">HH", 0x8000 | t, v)


def attr_tlv(t, value):
    return struct.pack(">HH", t, len(value)) + value


def sa(proposals):
    body = struct.pack(">II", 1, 1)
    for i, p in enumerate(proposals):
        body += payload(2 if i + 1 < len(proposals) else 0, p)
    return body


def proposal(number, protocol, spi, transforms):
    body = struct.pack(">BBBB", number, protocol, len(spi), len(transforms)) + spi
    for i, t in enumerate(transforms):
        body += payload(3 if i + 1 < len(transforms) else 0, t)
    return body


def transform(number, tid, attrs):
    return struct.pack(">BBH", number, tid, 0) + b"".join(attrs)


def notify(protocol, flags, mtype, data=b""):
    return struct.pack(">IBBH", 1, protocol, flags, mtype) + data


V6_1 = bytes.fromhex("20010db8000000000000000000000001")
V6_2 = bytes.fromhex("20010db8000000000000000000000002")
SRC = "Tools/reference/wire_payload_vectors.py (layouts of MS-AIPS 2.2, RFC 2407/2408/3947)"

vectors = []


def add(name, message, payload_index, expect):
    vectors.append({"name": name, "source": SRC, "hex": message.hex(), "length": len(message),
                    "payloadIndex": payload_index, "expect": expect})


mm_transform = transform(1, 1, [attr_tv(1, 7), attr_tv(14, 128), attr_tv(2, 2), attr_tv(4, 0), attr_tv(11, 1),
                                attr_tlv(12, struct.pack(">I", 28800))])
add("sa-main-mode", clear_message(1, payload(0, sa([proposal(1, 1, b"", [mm_transform])]))), 1,
    {"type": 1, "name": "SA", "doi": 1, "situation": 1,
     "proposals": [{"number": 1, "protocolID": 1, "protocolName": "ISAKMP", "spi": "", "transforms": [
         {"number": 1, "transformID": 1, "attributes": [
             {"type": 1, "name": "Encryption Algorithm", "value": 7},
             {"type": 14, "name": "Key Length", "value": 128},
             {"type": 2, "name": "Hash Algorithm", "value": 2},
             {"type": 4, "name": "Group Description", "value": 0},
             {"type": 11, "name": "Life Type", "value": 1},
             {"type": 12, "name": "Life Duration", "value": "00007080"}]}]}]})
esp_transform = transform(1, 12, [attr_tv(4, 1), attr_tv(5, 2), attr_tv(6, 128), attr_tv(1, 1), attr_tv(2, 3600)])
authfw_transform = transform(2, 3, [attr_tv(4, 62000), attr_tv(5, 2)])
add("sa-quick-mode-esp-tunnel-and-authfw", clear_message(1, payload(0, sa([proposal(1, 3, bytes.fromhex("11223344"), [esp_transform, authfw_transform])])), 244, 7), 1,
    {"type": 1, "name": "SA", "proposals": [{"number": 1, "protocolID": 3, "protocolName": "ESP", "spi": "11223344", "transforms": [
        {"number": 1, "transformID": 12, "attributes": [
            {"type": 4, "name": "Encapsulation Mode", "value": 1, "valueName": "Tunnel"},
            {"type": 5, "name": "Authentication Algorithm", "value": 2},
            {"type": 6, "name": "Key Length", "value": 128},
            {"type": 1, "name": "SA Life Type", "value": 1},
            {"type": 2, "name": "SA Life Duration", "value": 3600}]},
        {"number": 2, "transformID": 3, "attributes": [
            {"type": 4, "name": "Encapsulation Mode", "value": 62000, "valueName": "Transport-AuthFW"},
            {"type": 5, "name": "Authentication Algorithm", "value": 2}]}]}]})
add("ke", clear_message(4, payload(0, bytes.fromhex("aabbccdd"))), 1, {"type": 4, "name": "KE", "length": 4, "data": "aabbccdd"})
add("id-ipv4-subnet", clear_message(5, payload(0, struct.pack(">BBH", 4, 6, 80) + bytes([10, 0, 0, 0, 255, 255, 255, 0]))), 1,
    {"type": 5, "name": "ID", "idType": 4, "idTypeName": "ID_IPV4_ADDR_SUBNET", "protocol": 6, "port": 80, "identity": "10.0.0.0/24"})
add("id-ipv4-address", clear_message(5, payload(0, struct.pack(">BBH", 1, 0, 0) + bytes([131, 107, 0, 2]))), 1,
    {"type": 5, "idType": 1, "identity": "131.107.0.2"})
add("id-ipv4-range", clear_message(5, payload(0, struct.pack(">BBH", 7, 17, 53) + bytes([10, 0, 0, 1, 10, 0, 0, 9]))), 1,
    {"type": 5, "idType": 7, "protocol": 17, "port": 53, "identity": "10.0.0.1-10.0.0.9"})
add("id-ipv6-address", clear_message(5, payload(0, struct.pack(">BBH", 5, 0, 0) + V6_1)), 1,
    {"type": 5, "idType": 5, "idTypeName": "ID_IPV6_ADDR", "identity": "2001:db8::1"})
add("id-ipv6-subnet-6to4", clear_message(5, payload(0, struct.pack(">BBH", 6, 0, 0) + bytes.fromhex("2002836b000200000000000000000000") + bytes.fromhex("ffffffffffff00000000000000000000"))), 1,
    {"type": 5, "idType": 6, "identity": "2002:836b:2::/48"})
add("id-ipv6-range", clear_message(5, payload(0, struct.pack(">BBH", 8, 17, 500) + bytes.fromhex("fd000000000000000000000000000001") + bytes.fromhex("fd0000000000000000000000000000ff"))), 1,
    {"type": 5, "idType": 8, "protocol": 17, "port": 500, "identity": "fd00::1-fd00::ff"})
add("hash", clear_message(8, payload(0, bytes(range(1, 21)))), 1, {"type": 8, "name": "Hash", "length": 20, "data": bytes(range(1, 21)).hex()})
add("nonce", clear_message(10, payload(0, bytes(range(16)))), 1, {"type": 10, "name": "Nonce", "length": 16})
add("notify-status-reliable", clear_message(11, payload(0, notify(1, 1, 0x9C54, struct.pack(">I", 13801))), 246), 1,
    {"type": 11, "name": "Notify", "doi": 1, "protocolID": 1, "flags": 1, "reliable": True, "messageType": 0x9C54,
     "messageName": "NOTIFY_STATUS", "statusCode": 13801})
add("notify-status-legacy-number", clear_message(11, payload(0, notify(1, 1, 0x9C43, struct.pack(">I", 13801))), 246), 1,
    {"type": 11, "messageType": 0x9C43, "messageName": "NOTIFY_STATUS", "statusCode": 13801})
add("notify-ack", clear_message(11, payload(0, notify(1, 0, 0x9C56, struct.pack(">I", 7))), 246), 1,
    {"type": 11, "reliable": False, "messageName": "NOTIFY_ACK", "sequenceNumber": 7})
add("notify-dos-cookie-bare", bare_message(11, payload(0, notify(1, 0, 0x9C55, bytes.fromhex("a1a2a3a4a5a6a7a8")))), 0,
    {"type": 11, "messageType": 0x9C55, "messageName": "NOTIFY_DOS_COOKIE", "cookie": "a1a2a3a4a5a6a7a8"})
add("notify-dos-cookie-legacy-number", bare_message(11, payload(0, notify(1, 0, 0x9C44, bytes.fromhex("a1a2a3a4a5a6a7a8")))), 0,
    {"type": 11, "messageType": 0x9C44, "messageName": "NOTIFY_DOS_COOKIE", "cookie": "a1a2a3a4a5a6a7a8"})
add("notify-qm-synchronize", clear_message(11, payload(0, notify(2, 0, 0x9C57)), 244, 7), 1,
    {"type": 11, "protocolID": 2, "messageName": "NOTIFY_QM_SYNCHRONIZE", "data": ""})
add("notify-acquire-with-ids", clear_message(11, payload(5, notify(2, 1, 0x9C58, struct.pack(">II", 1, 2)))
                                             + payload(5, struct.pack(">BBH", 5, 0, 0) + V6_1)
                                             + payload(0, struct.pack(">BBH", 5, 0, 0) + V6_2), 246), 1,
    {"type": 11, "messageName": "NOTIFY_ACQUIRE", "reliable": True, "encapsulationMode": 1, "acquireFlags": 2})
add("notify-exchange-info", clear_message(11, payload(0, notify(2, 0, 0x9C45, struct.pack(">I", 3)))), 1,
    {"type": 11, "messageName": "EXCHANGE_INFO", "exchangeInfoFlags": 3})
add("notify-no-proposal-chosen", clear_message(11, payload(0, notify(2, 1, 14)), 244, 9), 1,
    {"type": 11, "messageType": 14, "messageName": "NO-PROPOSAL-CHOSEN"})
add("vendor-id-windows-9", clear_message(13, payload(0, bytes.fromhex("1e2b516905991c7d7c96fcbfb587e461") + struct.pack(">I", 9))), 1,
    {"type": 13, "name": "VendorID", "vendor": "MS NT5 ISAKMPOAKLEY v9", "known": True})
add("vendor-id-fragmentation", clear_message(13, payload(0, bytes.fromhex("4048b7d56ebce88525e7de7f00d6c2d3"))), 1,
    {"type": 13, "vendor": "FRAGMENTATION", "known": True})
add("vendor-id-unknown", clear_message(13, payload(0, bytes.fromhex("deadbeef"))), 1,
    {"type": 13, "vendor": "deadbeef", "known": False})
add("nat-d", clear_message(20, payload(0, bytes(range(20)))), 1, {"type": 20, "name": "NAT-D", "length": 20})
add("nat-oa-ipv4", clear_message(21, payload(0, bytes([1, 0, 0, 0, 192, 0, 2, 1]))), 1,
    {"type": 21, "name": "NAT-OA", "address": "192.0.2.1"})
add("gss-first-token", clear_message(0x81, payload(0, struct.pack(">IB", 0, 0x01) + bytes.fromhex("1603010003010203"))), 1,
    {"type": 129, "name": "GSS-API", "status": 0, "flags": 1, "flagNames": ["GSS_NEW_GSS_EXCHANGE"], "tokenLength": 8,
     "token": "1603010003010203"})
add("gss-failure-retry", clear_message(0x81, payload(0, struct.pack(">IB", 0x8009030C, 0x14))), 1,
    {"type": 129, "status": 0x8009030C, "flags": 0x14,
     "flagNames": ["GSS_RETRY_CURRENT_AUTHENTICATION", "GSS_RESPONDER_AUTH_COMPLETE"], "tokenLength": 0})
add("fragment-first", bare_message(0x84, payload(0, struct.pack(">HBB", 1, 1, 0) + bytes.fromhex("aabbccdd"))), 0,
    {"type": 132, "name": "Fragment", "fragmentID": 1, "number": 1, "last": False, "length": 4})
add("fragment-last", bare_message(0x84, payload(0, struct.pack(">HBB", 1, 2, 1) + bytes.fromhex("eeff"))), 0,
    {"type": 132, "fragmentID": 1, "number": 2, "last": True, "data": "eeff"})
iv_msg_body = payload(10, struct.pack(">I", 2) + bytes(range(1, 9))) + payload(0, bytes(range(8)))
add("crypto-clear-with-iv", header(0x85, 243, 0, 0, len(iv_msg_body)) + iv_msg_body, 0,
    {"type": 133, "name": "Crypto", "sequenceNumber": 2, "iv": "0102030405060708", "encrypted": False})
enc_body = payload(0, struct.pack(">I", 3) + bytes(range(16))) + bytes(range(100, 128))
add("crypto-encrypted", header(0x85, 245, 1, 1, len(enc_body)) + enc_body, 0,
    {"type": 133, "sequenceNumber": 3, "iv": bytes(range(16)).hex(), "encrypted": True, "protectedLength": 28})
add("gss-id", clear_message(0x86, payload(0, "da$@CORP".encode("utf-16-le"))), 1,
    {"type": 134, "name": "GSS_ID", "principalName": "da$@CORP"})
add("gss-id-non-ascii", clear_message(0x86, payload(0, "j\u00fcrgen@CORP.\U0001F600".encode("utf-16-le"))), 1,
    {"type": 134, "principalName": "j\u00fcrgen@CORP.\U0001F600"})
add("auth", clear_message(0x87, payload(0, struct.pack(">HHHH", 4, 0, 5, 0))), 1,
    {"type": 135, "name": "Auth", "methods": [4, 5], "methodNames": ["TLS", "NTLM"]})
add("key-dictation", clear_message(0x88, payload(0, bytes.fromhex("01020304"))), 1, {"type": 136, "name": "KeyDictation", "length": 4})
add("key-dictation-weight", clear_message(0x89, payload(0, struct.pack(">I", 100))), 1, {"type": 137, "name": "KeyDictationWeight", "weight": 100})

# Variants a Windows peer may send, which the parser tolerates (Docs/InteropProfile.md, "Parsing tolerance").
tol_enc = payload(0x81, struct.pack(">I", 4) + bytes(range(16))) + bytes(range(100, 132))
add("tolerated-encrypted-crypto-next-payload", header(0x85, 245, 1, 1, len(tol_enc)) + tol_enc, 0,
    {"type": 133, "name": "Crypto", "sequenceNumber": 4, "encrypted": True, "nextPayload": 0x81, "protectedLength": 32})
add("tolerated-exchange-info-with-message-id",
    clear_message(11, payload(0, notify(2, 0, 0x9C45, struct.pack(">II", 1, 0x0A0B0C0D))), exchange=244, message_id=0x0A0B0C0D), 1,
    {"type": 11, "messageType": 0x9C45, "messageName": "EXCHANGE_INFO", "exchangeInfoFlags": 1, "trailingData": "0a0b0c0d"})
add("tolerated-fragment-unknown-flags", bare_message(0x84, payload(0, struct.pack(">HBB", 7, 2, 0x81) + bytes.fromhex("eeff"))), 0,
    {"type": 132, "fragmentID": 7, "number": 2, "last": True, "ignoredFlags": 0x80, "data": "eeff"})
add("tolerated-unknown-payload-type", clear_message(0x30, payload(10, b"\x01\x02\x03") + payload(0, bytes(8))), 1,
    {"type": 0x30, "name": "Unknown(48)", "skipped": True, "length": 3, "data": "010203"})
first_e_body = payload(10, struct.pack(">I", 0)) + payload(0, bytes(range(32)))
add("tolerated-encrypted-flag-on-first-message",
    IC + bytes(8) + struct.pack(">BBBBII", 0x85, 0x10, 243, 1, 0, 28 + len(first_e_body)) + first_e_body, 1,
    {"type": 10, "name": "Nonce", "length": 32})

# Malformed messages: each with the error kind and the byte offset the parser must report.
malformed = []


def bad(name, message, kind, offset):
    malformed.append({"name": name, "source": SRC, "hex": message.hex(), "error": kind, "offset": offset})


good = clear_message(10, payload(0, bytes(range(16))))
bad("empty", b"", "truncated", 0)
bad("header-cut", good[:10], "truncated", 8)
bad("length-beyond-datagram", good[:-1], "truncated", 24)
bad("trailing-after-length", good + b"\x00\x00", "trailingBytes", len(good))
bad("length-below-header", good[:24] + struct.pack(">I", 20) + good[28:], "badLength", 24)
bad("major-version-0", good[:17] + b"\x00" + good[18:], "unknownCriticalValue", 17)
bad("ikev1-main-mode-exchange", good[:18] + b"\x02" + good[19:], "unknownCriticalValue", 18)
bad("commit-flag", good[:19] + b"\x02" + good[20:], "invalidValue", 19)
bad("payload-length-below-4", clear_message(10, struct.pack(">BBH", 0, 0, 3)), "badLength", 36)
bad("payload-length-beyond-message", clear_message(10, struct.pack(">BBH", 0, 0, 200) + bytes(8)), "truncated", 36)
bad("unknown-payload-type-critical", clear_message(0x30, struct.pack(">BBH", 0, 0x80, 5) + b"\x00"), "unknownCriticalValue", 36)
bad("certificate-payload-not-in-authip", clear_message(6, payload(0, b"\x04abc")), "unknownCriticalValue", 36)
bad("second-crypto-payload", clear_message(0x85, payload(0, struct.pack(">I", 0))), "payloadLoop", 36)
bad("encrypted-without-crypto-first", header(10, 243, 1, 0, 12) + payload(0, bytes(8)), "invalidValue", 16)
bad("encrypted-crypto-without-content", header(0x85, 245, 1, 1, 24) + payload(0, struct.pack(">I", 0) + bytes(16)), "truncated", 52)
bad("crypto-length-odd", header(0x85, 243, 0, 0, 12) + payload(0, struct.pack(">I", 0) + bytes(4)), "badLength", 28)
bad("auth-length-not-multiple-of-4", clear_message(0x87, payload(0, bytes(6))), "badLength", 40)
bad("id-fqdn-type", clear_message(5, payload(0, struct.pack(">BBH", 2, 0, 0) + b"host")), "unknownCriticalValue", 40)
bad("id-ipv4-wrong-length", clear_message(5, payload(0, struct.pack(">BBH", 1, 0, 0) + bytes(5))), "badLength", 44)
bad("sa-doi-2", clear_message(1, payload(0, struct.pack(">II", 2, 1))), "unknownCriticalValue", 40)
bad("sa-without-proposal-payload", clear_message(1, payload(0, struct.pack(">II", 1, 1))), "truncated", 48)
bad("sa-transform-count-mismatch", clear_message(1, payload(0, sa([struct.pack(">BBBB", 1, 1, 0, 2) + payload(0, transform(1, 1, []))]))), "invalidValue", 55)
bad("sa-unknown-protocol", clear_message(1, payload(0, sa([struct.pack(">BBBB", 1, 9, 0, 1) + payload(0, transform(1, 1, []))]))), "unknownCriticalValue", 53)
bad("sa-attribute-cut", clear_message(1, payload(0, sa([proposal(1, 1, b"", [transform(1, 1, [attr_tlv(12, bytes(4))])[:-2]])]))), "truncated", 68)
bad("notify-status-short-data", clear_message(11, payload(0, notify(1, 1, 0x9C54, bytes(3)))), "badLength", 48)
bad("exchange-info-short-data", clear_message(11, payload(0, notify(2, 0, 0x9C45, bytes(2)))), "badLength", 48)
bad("notify-dos-cookie-short", bare_message(11, payload(0, notify(1, 0, 0x9C55, bytes(7)))), "badLength", 40)
bad("gss-id-odd-length", clear_message(0x86, payload(0, b"abc")), "badLength", 40)
bad("gss-id-lone-surrogate", clear_message(0x86, payload(0, struct.pack("<H", 0xD800))), "invalidValue", 40)
bad("gss-too-short", clear_message(0x81, payload(0, bytes(3))), "truncated", 40)
bad("fragment-number-0", bare_message(0x84, payload(0, struct.pack(">HBB", 1, 0, 0))), "invalidValue", 34)
bad("key-dictation-weight-short", clear_message(0x89, payload(0, bytes(2))), "badLength", 40)

for path, items, description in [
    ("TestVectors/wire/payloads.json", vectors,
     "One message per payload type and variant. hex is the whole datagram; expect lists fields the decoder "
     "must report for payloads[payloadIndex] (a subset of its JSON). serialize(parse(hex)) must give hex back."),
    ("TestVectors/wire/malformed.json", malformed,
     "Malformed datagrams: the parser must fail with the error kind at the byte offset given, without trapping."),
]:
    text = json.dumps({"description": description, "source": SRC, "vectors": items}, indent=2, ensure_ascii=False) + "\n"
    if "--check" in sys.argv:
        with open(path) as f:
            if f.read() != text:
                sys.exit(f"{path} differs from what this script writes")
        print(path, len(items), "ok")
    else:
        with open(path, "w") as f:
            f.write(text)
        print(path, len(items))
