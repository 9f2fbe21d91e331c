#!/usr/bin/env bash
# The cluster lab (Docs/Cluster.md): a 3-member etcd cluster on loopback with TLS and client
# certificates, two gateway nodes (A on 127.0.0.2, B on 127.0.0.3, control sockets
# $AUTHIP_CLUSTER_LAB/node-a.sock and node-b.sock, health on http://127.0.0.N:<port+2>/health),
# and clients connected to each (client N on 127.0.1.N).
#
#   scripts/cluster-lab.sh up                 everything, then waits until the clients are connected
#   scripts/cluster-lab.sh kill-etcd N        SIGKILL etcd member N (1-3); start-etcd N starts it again
#   scripts/cluster-lab.sh kill-node A|B      SIGKILL a gateway;           start-node A|B starts it again
#   scripts/cluster-lab.sh stop-node A|B      SIGTERM a gateway (it leaves the cluster the clean way)
#   scripts/cluster-lab.sh start-client N A|B one more client (N from 1 to 200) connected to a node
#   scripts/cluster-lab.sh stop-client N      stops client N (it tells its node)
#   scripts/cluster-lab.sh status             what runs
#   scripts/cluster-lab.sh down               stops everything and removes the lab's folder
#
# Environment: AUTHIP_CLUSTER_LAB (default /tmp/authip-cluster-lab); AUTHIP_BIN (an authip binary;
# default: built here with swift build); AUTHIP_CLUSTER_PORT (the gateways' IKE port, default 15500,
# NAT-T one above, health two above); AUTHIP_CLUSTER_ETCD_PORT (default 23790: members' client ports
# base+1..3, peer ports base+11..13); AUTHIP_CLUSTER_CLIENTS (clients per node at up, default 2);
# AUTHIP_CLUSTER_TTL (the nodes' lease TTL, default 3 s).
set -euo pipefail
# Descriptors the caller left open (a test runner's) would stay open in the lab's daemons, and
# the caller could not tell this script had ended.
for fd in $(ls /proc/$$/fd); do
  case $fd in 0 | 1 | 2 | 255) ;; *) eval "exec $fd>&-" 2> /dev/null || true ;; esac
done
root=$(cd "$(dirname "$0")/.." && pwd)
lab=${AUTHIP_CLUSTER_LAB:-/tmp/authip-cluster-lab}
port=${AUTHIP_CLUSTER_PORT:-15500}
etcd_base=${AUTHIP_CLUSTER_ETCD_PORT:-23790}
clients=${AUTHIP_CLUSTER_CLIENTS:-2}
ttl=${AUTHIP_CLUSTER_TTL:-3}

authip() {
  if [ -z "${AUTHIP_BIN:-}" ]; then
    (cd "$root" && swift build --product authip >&2)
    AUTHIP_BIN="$(cd "$root" && swift build --show-bin-path)/authip"
  fi
  "$AUTHIP_BIN" "$@"
}

node_address() { case "$1" in A) echo 127.0.0.2 ;; B) echo 127.0.0.3 ;; *) echo "no node $1" >&2; exit 2 ;; esac; }
node_file() { echo "$1" | tr AB ab; }

# Starts a command in the background under a name: its pid in pids/NAME, its output in logs/NAME.log.
spawn() {
  local name=$1
  shift
  setsid "$@" > "$lab/logs/$name.log" 2>&1 < /dev/null &
  echo $! > "$lab/pids/$name"
}

stop() {
  local name=$1 signal=${2:-TERM}
  [ -f "$lab/pids/$name" ] || return 0
  local pid
  pid=$(cat "$lab/pids/$name")
  kill -"$signal" "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$lab/pids/$name"
}

# Runs a check until it succeeds or `seconds` have passed (a check may itself take a while).
wait_for() {
  local what=$1 seconds=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if "$@" > /dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "cluster-lab: $what did not happen within $seconds s" >&2
  return 1
}

etcd_endpoints() { echo "https://127.0.0.1:$((etcd_base + 1)),https://127.0.0.1:$((etcd_base + 2)),https://127.0.0.1:$((etcd_base + 3))"; }

etcdctl_lab() {
  ETCDCTL_API=3 etcdctl --endpoints "$(etcd_endpoints)" --cacert "$lab/etcd-pki/ca.pem" \
    --cert "$lab/etcd-pki/client.pem" --key "$lab/etcd-pki/client.key" --command-timeout=3s "$@"
}

# The etcd members' CA, their certificate (IP 127.0.0.1) and the gateways' client certificate.
make_etcd_pki() {
  local dir=$lab/etcd-pki
  mkdir -p "$dir"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj "/CN=authip lab etcd CA" \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" 2> /dev/null
  for who in member client; do
    local usage=serverAuth,clientAuth
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=authip lab etcd $who" \
      -keyout "$dir/$who.key" -out "$dir/$who.csr" 2> /dev/null
    printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=%s\n' "$usage" > "$dir/$who.ext"
    openssl x509 -req -in "$dir/$who.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 30 \
      -extfile "$dir/$who.ext" -out "$dir/$who.pem" 2> /dev/null
  done
  chmod 600 "$dir"/*.key
}

start_etcd() {
  local n=$1 cluster=""
  for m in 1 2 3; do cluster+="${cluster:+,}m$m=http://127.0.0.1:$((etcd_base + 10 + m))"; done
  local pki=$lab/etcd-pki
  spawn "etcd-$n" etcd --name "m$n" --data-dir "$lab/etcd-$n" \
    --listen-client-urls "https://127.0.0.1:$((etcd_base + n))" \
    --advertise-client-urls "https://127.0.0.1:$((etcd_base + n))" \
    --listen-peer-urls "http://127.0.0.1:$((etcd_base + 10 + n))" \
    --initial-advertise-peer-urls "http://127.0.0.1:$((etcd_base + 10 + n))" \
    --initial-cluster "$cluster" --initial-cluster-state new --initial-cluster-token authip-lab \
    --cert-file "$pki/member.pem" --key-file "$pki/member.key" --trusted-ca-file "$pki/ca.pem" --client-cert-auth \
    --heartbeat-interval 50 --election-timeout 500
}

# Gateway N's configuration: a certificate rule for loopback clients, a control socket, a state
# directory, health and metrics, and the cluster.
write_node() {
  local node=$1 address file
  address=$(node_address "$node")
  file=$(node_file "$node")
  cat > "$lab/node-$file.json" << EOF
{"computerName": "GATEWAY-$node", "principalName": "GATEWAY-$node\$@CORP.CONTOSO.COM", "localAddresses": ["$address"],
 "port": $port, "natTraversalPort": $((port + 1)), "dataPlane": "none",
 "controlSocket": "$lab/node-$file.sock", "stateDirectory": "$lab/node-$file", "logLevel": "info",
 "metrics": {"listen": "$address:$((port + 2))"},
 "rules": [{"name": "Lab clients", "local": "$address", "remote": "127.0.0.0/8",
            "authentication": [{"method": "certificate", "identities": [{"certificate": "run/pki/daserver.pem", "key": "run/pki/daserver.key"}],
                                "trustedRoots": ["run/pki/root.pem"], "revocation": "none", "peerUsage": "initiator"}]}],
 "cluster": {"endpoints": ["127.0.0.1:$((etcd_base + 1))", "127.0.0.1:$((etcd_base + 2))", "127.0.0.1:$((etcd_base + 3))"],
             "tls": {"certificate": "etcd-pki/client.pem", "key": "etcd-pki/client.key", "trustedRoots": ["etcd-pki/ca.pem"]},
             "keyPrefix": "/authip-lab/", "nodeName": "$node", "leaseTTL": $ttl, "internalAddress": "$address",
             "healthFile": "$lab/node-$file.draining"}}
EOF
}

start_node() {
  local node=$1 file
  file=$(node_file "$node")
  rm -f "$lab/node-$file.sock"
  spawn "node-$file" "$(authip_path)" responder --config "$lab/node-$file.json" --shards 2
  wait_for "node $node's control socket" 20 test -S "$lab/node-$file.sock"
}

authip_path() {
  [ -n "${AUTHIP_BIN:-}" ] || authip --help > /dev/null
  echo "$AUTHIP_BIN"
}

# Client N (LOAD000NN of the run's PKI) on 127.0.1.N, to node A or B.
start_client() {
  local n=$1 node=$2 name address target
  name=$(printf 'LOAD%05d' "$n")
  address=127.0.1.$n
  target=$(node_address "$node")
  cat > "$lab/client-$n.json" << EOF
{"computerName": "$name", "principalName": "$name\$@CORP.CONTOSO.COM", "localAddresses": ["$address"],
 "port": $port, "natTraversalPort": $((port + 1)), "dataPlane": "none",
 "rules": [{"name": "To the gateway", "local": "$address", "remote": "$target",
            "authentication": [{"method": "certificate", "identities": [{"certificate": "run/pki/clients/$name.pem", "key": "run/pki/clients/$name.key"}],
                                "trustedRoots": ["run/pki/root.pem"], "revocation": "none", "peerUsage": "responder"}]}],
 "acquire": [{"source": "$address", "destination": "$target", "protocol": 6, "port": 445}]}
EOF
  stop "client-$n"
  spawn "client-$n" "$(authip_path)" initiator --config "$lab/client-$n.json"
}

up() {
  mkdir -p "$lab/pids" "$lab/logs"
  chmod 700 "$lab"
  authip_path > /dev/null
  [ -f "$lab/etcd-pki/ca.pem" ] || make_etcd_pki
  [ -f "$lab/run/pki/root.pem" ] || "$AUTHIP_BIN" load prepare "$lab/run" --clients 200 > /dev/null
  for n in 1 2 3; do start_etcd "$n"; done
  wait_for "etcd's health" 30 etcdctl_lab endpoint health
  for node in A B; do
    write_node "$node"
    start_node "$node"
  done
  for node in A B; do
    local file
    file=$(node_file "$node")
    wait_for "node $node joining" 20 sh -c "'$AUTHIP_BIN' cluster status --json --control '$lab/node-$file.sock' | grep -q '\"connected\": true'"
  done
  for i in $(seq "$clients"); do
    start_client "$i" A
    start_client $((clients + i)) B
  done
  for node in A B; do
    local file
    file=$(node_file "$node")
    wait_for "node $node's $clients clients" 30 sh -c \
      "test \$('$AUTHIP_BIN' sa list --json --control '$lab/node-$file.sock' | grep -c '\"remoteAddress\"') -ge $clients"
  done
  echo "cluster lab up in $lab: etcd $(etcd_endpoints); node A 127.0.0.2, node B 127.0.0.3, $clients clients each"
}

# Everything stopped at once: clients and nodes with SIGTERM (they tell their peers), etcd after
# them, SIGKILL for what still runs 5 s later.
down() {
  local pids=() group
  for group in client node etcd; do
    for file in "$lab"/pids/"$group"-*; do
      [ -e "$file" ] || continue
      pids+=("$(cat "$file")")
      kill -TERM "$(cat "$file")" 2> /dev/null || true
      rm -f "$file"
    done
  done
  for _ in $(seq 100); do
    local running=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2> /dev/null && running=1; done
    [ "$running" -eq 0 ] && break
    sleep 0.05
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2> /dev/null || true; done
  rm -rf "$lab"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  kill-etcd) stop "etcd-${2:?member 1-3}" KILL ;;
  start-etcd) start_etcd "${2:?member 1-3}" ;;
  kill-node) stop "node-$(node_file "${2:?A or B}")" KILL ;;
  stop-node) stop "node-$(node_file "${2:?A or B}")" TERM ;;
  start-node) start_node "${2:?A or B}" ;;
  start-client) start_client "${2:?client number}" "${3:?A or B}" ;;
  stop-client) stop "client-${2:?client number}" ;;
  etcdctl) shift; etcdctl_lab "$@" ;;
  status) for pid in "$lab"/pids/*; do name=$(basename "$pid"); kill -0 "$(cat "$pid")" 2>/dev/null && echo "$name running" || echo "$name stopped"; done ;;
  *) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
