#!/usr/bin/env bash
# The main job: installs what it needs, builds, and runs `authip demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/install-deps.sh
swift run authip demo
