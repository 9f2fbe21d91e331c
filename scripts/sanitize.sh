#!/usr/bin/env bash
# Runs the whole test suite under a sanitizer, in its own scratch path.
#   scripts/sanitize.sh address    AddressSanitizer (.build-asan)
#   scripts/sanitize.sh thread     ThreadSanitizer (.build-tsan)
set -euo pipefail
cd "$(dirname "$0")/.."
sanitizer="${1:?address or thread}"
case "$sanitizer" in
  address) scratch=.build-asan ;;
  thread) scratch=.build-tsan ;;
  *) echo "usage: scripts/sanitize.sh address|thread" >&2; exit 2 ;;
esac
source scripts/install-deps.sh
# Children (the authip commands the tests run) inherit these; tests read AUTHIP_SANITIZER to
# thin out checks that cost a hundredfold under a sanitizer.
export AUTHIP_SANITIZER="$sanitizer"
# Full unwinding, so that suppressions see the Swift frames above OpenSSL (built without frame pointers).
export LSAN_OPTIONS="suppressions=$PWD/Tools/sanitizers/lsan.supp:print_suppressions=0:fast_unwind_on_malloc=0"
# Without the cluster layer (Package.swift says why); the manifest is cached in the scratch path,
# so the unsanitized build's, which has the layer, is not reused.
export AUTHIP_WITHOUT_CLUSTER=1
swift test --sanitize="$sanitizer" --scratch-path "$scratch" --manifest-cache local
