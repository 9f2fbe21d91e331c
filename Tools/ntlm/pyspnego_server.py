#!/usr/bin/env python3
"""An NTLM acceptor from pyspnego, as an independent peer for the Swift interop tests.

Usage: NTLM_USER_FILE=users.txt pyspnego_server.py
where users.txt holds DOMAIN:user:password lines (pyspnego's and gss-ntlmssp's format).

It reads one hex token per line from standard input and writes one line per event:
  token <hex>                            a token to give to the initiator
  complete <session-key-hex> <principal> the initiator is authenticated
  failed <reason>                        pyspnego refused (then exit status 1)
"""
import sys

import spnego


def say(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main():
    try:
        context = spnego.server(protocol="ntlm")
        for line in sys.stdin:
            answer = context.step(bytes.fromhex(line.strip()))
            if answer:
                say("token " + answer.hex())
            if context.complete:
                say("complete %s %s" % (context.session_key.hex(), context.client_principal))
                return 0
        raise RuntimeError("the initiator stopped before authenticating")
    except Exception as error:  # report any refusal to the test instead of a traceback
        say("failed %s: %s" % (type(error).__name__, str(error).replace("\n", " ")))
        return 1


if __name__ == "__main__":
    sys.exit(main())
