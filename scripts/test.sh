#!/usr/bin/env bash
# Every test: installs what it needs, checks the committed vectors against the independent
# Python references, replays the fuzz corpus through the parser's properties, starts a Samba AD
# domain controller (as root), then runs the Swift test suites (which run every vector in
# TestVectors/).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/install-deps.sh

echo "== Test vectors against the independent Python references =="
python3 Tools/reference/gen_standard_vectors.py --check
python3 Tools/reference/authip_reference.py verify | tail -1
python3 Tools/reference/wire_payload_vectors.py --check
python3 Tools/errors/generate_windows_errors.py --check
python3 Tools/audit/generate_tables.py --check

echo "== Fuzz corpora and crash regressions through the parsers' and the endpoint's properties =="
inputs=(Fuzz/corpus/wire)
[ -d Fuzz/regressions/wire ] && inputs+=(Fuzz/regressions/wire)
swift run authip-fuzz-wire "${inputs[@]}"
inputs=(Fuzz/corpus/endpoint)
[ -d Fuzz/regressions/endpoint ] && inputs+=(Fuzz/regressions/endpoint)
swift run authip-fuzz-endpoint "${inputs[@]}"
inputs=(Fuzz/corpus/control)
[ -d Fuzz/regressions/control ] && inputs+=(Fuzz/regressions/control)
swift run authip-fuzz-control "${inputs[@]}"

echo "== A Samba AD domain controller on 127.0.0.2 for the Active Directory tests =="
dc=/tmp/authip-samba-dc
export SAMBA_DC_IP=127.0.0.2 SAMBA_MODEL=single
if [ "$(id -u)" -eq 0 ]; then
  # As root the DC must come up: a failure here fails the run rather than skipping the tests.
  scripts/samba-dc.sh install
  scripts/samba-dc.sh stop "$dc" >/dev/null 2>&1 || true   # one left by an interrupted run
  scripts/samba-dc.sh provision "$dc" --seed
  trap 'scripts/samba-dc.sh stop "$dc" >/dev/null 2>&1 || true' EXIT
  scripts/samba-dc.sh start "$dc"
  export AUTHIP_SAMBA_DC=$dc
  # libwbclient only looks for winbindd at /run/samba/winbindd: lend it the DC's socket
  # directory while the tests run, unless a winbind of the machine's own is there.
  if [ ! -e /run/samba/winbindd/pipe ]; then
    mkdir -p /run/samba/winbindd
    if mount --bind "$dc/run/winbindd" /run/samba/winbindd; then
      trap 'umount /run/samba/winbindd 2>/dev/null; scripts/samba-dc.sh stop "$dc" >/dev/null 2>&1 || true' EXIT
    fi
  fi
else
  echo "not root: no Samba AD DC, so the Active Directory tests are skipped"
fi

echo "== Swift tests =="
swift test
