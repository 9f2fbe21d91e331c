#!/usr/bin/env bash
# Every test: installs what it needs, checks the committed vectors against the independent
# Python references, replays the fuzz corpus through the parser's properties, then runs the
# Swift test suites (which run every vector in TestVectors/).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/install-deps.sh

echo "== Test vectors against the independent Python references =="
python3 Tools/reference/gen_standard_vectors.py --check
python3 Tools/reference/authip_reference.py verify | tail -1
python3 Tools/reference/wire_payload_vectors.py --check
python3 Tools/errors/generate_windows_errors.py --check
python3 Tools/audit/generate_tables.py --check

echo "== Fuzz corpus and crash regressions through the parser's properties =="
inputs=(Fuzz/corpus/wire)
[ -d Fuzz/regressions ] && inputs+=(Fuzz/regressions)
swift run authip-fuzz-wire "${inputs[@]}"

echo "== Swift tests =="
swift test
