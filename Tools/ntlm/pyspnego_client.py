#!/usr/bin/env python3
"""An NTLM initiator from pyspnego, as an independent peer for the Swift interop tests.

Usage: NTLM_PEER_USER=CORP\\CLIENT1$ NTLM_PEER_PASSWORD=... pyspnego_client.py

It writes one line per event on standard output and reads one hex token per line from
standard input:
  token <hex>                  a token to give to the acceptor
  complete <session-key-hex>   the exchange is done on this side
  failed <reason>              pyspnego refused (then exit status 1)
The workstation name pyspnego reports comes from NETBIOS_COMPUTER_NAME.
"""
import os
import sys

import spnego


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main():
    try:
        context = spnego.client(
            username=os.environ["NTLM_PEER_USER"],
            password=os.environ["NTLM_PEER_PASSWORD"],
            protocol="ntlm",
        )
        say("token " + context.step().hex())
        challenge = bytes.fromhex(sys.stdin.readline().strip())
        say("token " + context.step(challenge).hex())
        if not context.complete:
            raise RuntimeError("pyspnego did not complete after AUTHENTICATE")
        say("complete " + context.session_key.hex())
    except Exception as error:  # report any refusal to the test instead of a traceback
        say("failed %s: %s" % (type(error).__name__, str(error).replace("\n", " ")))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
