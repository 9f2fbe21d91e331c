#!/usr/bin/env bash
# Fuzzes with libFuzzer for a given time.
#   scripts/fuzz.sh wire [SECONDS]       the AuthIP wire parser (authip-fuzz-wire)
#   scripts/fuzz.sh endpoint [SECONDS]   whole endpoints, structure-aware (authip-fuzz-endpoint)
#   scripts/fuzz.sh control [SECONDS]    the control socket's request parser (authip-fuzz-control)
# Builds the target with -sanitize=fuzzer,address into .build-fuzz, runs it on a copy of the
# seed corpus Fuzz/corpus/TARGET (new inputs go to Fuzz/out/TARGET), and leaves any crash
# reproducer in Fuzz/crashes/. Prints libFuzzer's final statistics. Default 600 s.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:?wire, endpoint or control}"
seconds="${2:-600}"
product="authip-fuzz-$target"
flags=(-c release --product "$product" --scratch-path .build-fuzz
       -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -DFUZZING -Xswiftc -use-ld=lld)
swift build "${flags[@]}"
binary="$(swift build "${flags[@]}" --show-bin-path)/$product"
mkdir -p "Fuzz/out/$target" Fuzz/crashes
# The recorded negotiation lives in a global for the whole run; LeakSanitizer cannot follow
# pointers that Swift keeps in enum payloads with tag bits, so it is suppressed at exit (per
# input, libFuzzer's own leak check stays on).
export LSAN_OPTIONS="suppressions=$PWD/Tools/sanitizers/lsan.supp:print_suppressions=0"
"$binary" "Fuzz/out/$target" "Fuzz/corpus/$target" -max_total_time="$seconds" -max_len=8192 -print_final_stats=1 \
  -artifact_prefix=Fuzz/crashes/ -timeout=10 -rss_limit_mb=4096
