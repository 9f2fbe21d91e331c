#!/usr/bin/env bash
# Fuzzes the AuthIP wire parser with libFuzzer for a given time.
#   scripts/fuzz-wire.sh [SECONDS]   (default 600)
# Builds the authip-fuzz-wire target with -sanitize=fuzzer,address into .build-fuzz, runs it
# on a copy of the seed corpus Fuzz/corpus/wire (new inputs go to Fuzz/out/wire), and leaves
# any crash reproducer in Fuzz/crashes/. Prints libFuzzer's final statistics.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
swift build -c release --product authip-fuzz-wire --scratch-path .build-fuzz \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -DFUZZING -Xswiftc -use-ld=lld
binary="$(swift build -c release --product authip-fuzz-wire --scratch-path .build-fuzz --show-bin-path \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -DFUZZING -Xswiftc -use-ld=lld)/authip-fuzz-wire"
mkdir -p Fuzz/out/wire Fuzz/crashes
"$binary" Fuzz/out/wire Fuzz/corpus/wire -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 \
  -artifact_prefix=Fuzz/crashes/ -timeout=10 -rss_limit_mb=4096
