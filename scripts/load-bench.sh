#!/usr/bin/env bash
# The daemon's figures over real UDP, one JSON object per line as authip-bench prints them:
#   daemon.responder_cpu_us         responder CPU per infrastructure tunnel's setup, 1 shard
#   daemon.responder_cpu_us_with_close  the same with the tunnel's close
#   daemon.responder_over_floor     that ÷ infrastructure.floor_responder_us of the same run
#   daemon.responder_cpu_us_2_shards, daemon.shard_cost_ratio (2 shards ÷ 1 shard)
#   daemon.tunnels_per_s, daemon.setup_p50_ms, daemon.setup_p99_ms, daemon.failures
#                                   ECDSA tunnels opened and closed at LOAD_BENCH_THROUGHPUT (200) a second
#   daemon.rss_bytes_per_tunnel     with LOAD_BENCH_HELD (10000) clients held
#   daemon.flood_*                  a Main Mode #1 flood while 100 clients connect
#   daemon.soak_*                   section soak: LOAD_BENCH_SOAK seconds (1800) of --hold rotation
# Sections: scripts/load-bench.sh [cpu] [throughput] [held] [flood] [soak]; without any, all
# but the soak. Everything runs in a network namespace of its own whose loopback takes every
# 6to4 address. Needs root. Release build.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${LOAD_BENCH_DIR:-/tmp/authip-load-bench}"
held="${LOAD_BENCH_HELD:-10000}"
rate="${LOAD_BENCH_RATE:-40}"
seconds="${LOAD_BENCH_SECONDS:-10}"
soak="${LOAD_BENCH_SOAK:-1800}"
throughput="${LOAD_BENCH_THROUGHPUT:-200}"
[ "$(id -u)" = 0 ] || { echo "load-bench: needs root (a network namespace)" >&2; exit 1; }
export PATH="$PATH:/usr/sbin:/sbin"

if [ "${1:-}" != inside ]; then
  cd "$repo"
  swift build -c release --product authip-bench >&2
  swift build -c release --product authip >&2
  mkdir -p "$work"
  exec unshare --net "$0" inside "${@:-cpu throughput held flood}"
fi
sections=" ${*:2} "
wants() { [[ "$sections" == *" $1 "* ]]; }

authip="$repo/.build/release/authip"
ip link set lo up
sysctl -qw net.ipv6.ip_nonlocal_bind=1
ip -6 route add local 2002::/16 dev lo
cd "$work"
figure() { printf '{"name": "%s", "value": %s, "unit": "%s"}\n' "$1" "$2" "$3"; }
field() { python3 -c "import json,sys; d=json.load(open('$1')); print(eval('d'+sys.argv[1]))" "$2"; }

# Starts the responder of directory $1 with $2 shards; its PID in $responder.
start_responder() {
  (cd "$1" && exec "$authip" responder --config server.json --shards "$2" > server.out 2> server.err) &
  responder=$!
  for _ in $(seq 1 200); do grep -q 'control socket' "$1/server.err" && return 0; sleep 0.1; done
  echo "load-bench: the responder in $1 did not start" >&2; cat "$1/server.err" >&2; exit 1
}
stop_responder() { kill -TERM "$responder"; wait "$responder" || true; }

ecdsa="$work/ecdsa-$held"
if wants throughput || wants held || wants flood || wants soak; then
  [ -f "$ecdsa/client.json" ] || "$authip" load prepare "$ecdsa" --clients "$held" > /dev/null
fi

if wants cpu; then
# The floor, from the same run.
"$repo/.build/release/authip-bench" directaccess > bench.jsonl
floor=$(python3 -c "import json; print([json.loads(l)['value'] for l in open('bench.jsonl') if json.loads(l)['name']=='infrastructure.floor_responder_us'][0])")
engine=$(python3 -c "import json; print([json.loads(l)['value'] for l in open('bench.jsonl') if json.loads(l)['name']=='infrastructure.responder_us'][0])")
figure infrastructure.floor_responder_us "$floor" "µs CPU"
figure infrastructure.responder_us "$engine" "µs CPU"

# RSA clients, as the floor's.
rsa="$work/rsa-$((rate * seconds))"
[ -f "$rsa/client.json" ] || "$authip" load prepare "$rsa" --clients $((rate * seconds)) --rsa > /dev/null
for shards in 1 2; do
  rm -f "$rsa/server.sock"
  start_responder "$rsa" "$shards"
  # Held until the end, so that the setup's CPU is read before any tunnel closes.
  "$authip" load --config "$rsa/client.json" --rate "$rate" --duration "$seconds" --hold 3600 \
    --responder-pid "$responder" > "load-$shards.json" || true
  stop_responder
done
one=$(field load-1.json "['responder']['setupCPUMicrosecondsPerTunnel']")
two=$(field load-2.json "['responder']['setupCPUMicrosecondsPerTunnel']")
figure daemon.responder_cpu_us "$one" "µs CPU"
figure daemon.responder_cpu_us_with_close "$(field load-1.json "['responder']['cpuMicrosecondsPerTunnel']")" "µs CPU"
figure daemon.responder_over_floor "$(python3 -c "print(round($one / $floor, 3))")" "ratio"
figure daemon.responder_cpu_us_2_shards "$two" "µs CPU"
figure daemon.shard_cost_ratio "$(python3 -c "print(round($two / $one, 3))")" "ratio"
figure daemon.cpu_run_failures "$(( $(field load-1.json "['failed']") + $(field load-2.json "['failed']") ))" "tunnels"
fi

if wants throughput; then
# Throughput: tunnels opened and closed at a rate this machine sustains beside the clients.
rm -f "$ecdsa/server.sock"
start_responder "$ecdsa" 2
"$authip" load --config "$ecdsa/client.json" --rate "$throughput" --duration 20 --responder-pid "$responder" \
  > throughput.json || true
stop_responder
figure daemon.tunnels_per_s "$(field throughput.json "['tunnelsPerSecond']")" "tunnels/s"
figure daemon.setup_p50_ms "$(field throughput.json "['setupMilliseconds']['p50']")" "ms"
figure daemon.setup_p99_ms "$(field throughput.json "['setupMilliseconds']['p99']")" "ms"
figure daemon.failures "$(field throughput.json "['failed']")" "tunnels"
fi

if wants held; then
# Many clients held: the responder's memory per tunnel.
rm -f "$ecdsa/server.sock"
start_responder "$ecdsa" 2
"$authip" load --config "$ecdsa/client.json" --rate 250 --duration $((held / 250 + 5)) --hold 3600 \
  --responder-pid "$responder" > held.json || true
stop_responder
figure daemon.held_tunnels "$(field held.json "['responder']['heldTunnels']")" "tunnels"
figure daemon.rss_bytes_per_tunnel "$(field held.json "['responder']['residentBytesPerTunnel']")" "bytes"
figure daemon.held_failures "$(field held.json "['failed']")" "tunnels"
fi

if wants flood; then
# A flood of first messages while 100 clients connect.
rm -f "$ecdsa/server.sock"
start_responder "$ecdsa" 2
"$authip" load --config "$ecdsa/client.json" --clients 100 --rate 50 --duration 2 --flood 50000 \
  --flood-sources 10000 --responder-pid "$responder" > flood.json || true
grep -c ' event 4646 ' "$ecdsa/server.out" > flood-4646.txt || true
stop_responder
figure daemon.flood_datagrams "$(field flood.json "['flood']['datagrams']")" "datagrams"
figure daemon.flood_established "$(field flood.json "['established']")" "of 100 clients"
figure daemon.flood_dos_events "$(cat flood-4646.txt)" "4646 events"
figure daemon.flood_rss_bytes_before "$(field flood.json "['responder']['residentBytesBefore']")" "bytes"
figure daemon.flood_rss_bytes "$(field flood.json "['responder']['residentBytesHeld']")" "bytes"
fi

if wants soak; then
  # The soak: --hold rotation at a steady rate; memory sampled every minute.
  rm -f "$ecdsa/server.sock"
  start_responder "$ecdsa" 2
  "$authip" load --config "$ecdsa/client.json" --clients 400 --rate 5 --duration "$soak" --hold 60 \
    --responder-pid "$responder" > soak.json || true
  "$authip" sa list --control "$ecdsa/server.sock" --json > soak-after.json
  stop_responder
  figure daemon.soak_established "$(field soak.json "['established']")" "tunnels"
  figure daemon.soak_failures "$(field soak.json "['failed']")" "tunnels"
  figure daemon.soak_rss_samples "\"$(field soak.json "['responder']['residentBytesSamples']")\"" "bytes"
  figure daemon.soak_sas_left "$(field soak-after.json "['mainModeSAs'].__len__()")" "MM SAs"
fi
