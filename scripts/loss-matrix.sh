#!/bin/sh
# 50 clients per tunnel at 10% loss, 5% duplication and 10% reordering, in each of 20 seeds
# (issue 18, section 5): one summary line per run, then the totals. Release build.
set -eu
cd "$(dirname "$0")/.."
swift build -c release --product authip >/dev/null
runs=0; perfect=0; clients=0; established=0; worst_p99=0
for tunnel in infrastructure intranet; do
  for seed in $(seq 1 20); do
    line=$(.build/release/authip simulate --tunnel "$tunnel" --clients 50 --loss 0.1 --duplicate 0.05 \
      --reorder 0.1 --seed "$seed" --events none 2>&1 >/dev/null | tail -1)
    echo "$tunnel seed $seed: $line"
    runs=$((runs + 1)); clients=$((clients + 50))
    n=$(echo "$line" | sed -n 's/.*"established": \([0-9]*\).*/\1/p')
    established=$((established + n))
    [ "$n" = 50 ] && perfect=$((perfect + 1))
    p99=$(echo "$line" | sed -n 's/.*"setup_ms_p99": \([0-9]*\).*/\1/p')
    [ "${p99:-0}" -gt "$worst_p99" ] && worst_p99=$p99
  done
done
echo "{\"runs\": $runs, \"runs_all_established\": $perfect, \"clients\": $clients, \"established\": $established, \"worst_setup_ms_p99\": $worst_p99}"
