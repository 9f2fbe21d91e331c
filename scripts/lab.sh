#!/usr/bin/env bash
# A DirectAccess lab on one machine: a server daemon and a client daemon from Examples/, a
# throw-away PKI (openssl), the embedded directory (Examples/accounts.json) and a throw-away
# MIT KDC (scripts/krb5-realm.sh), in a network namespace of their own whose loopback carries
# the 6to4 tunnel endpoints. Needs root (ip netns). Everything lives in $AUTHIP_LAB
# (default /tmp/authip-lab): the configurations, logs (NAME.log: events, NAME.err: notes),
# and the control sockets server.sock and client.sock, which work from outside the namespace.
#   scripts/lab.sh up              PKI, realm, namespace, both daemons; both tunnels come up
#   scripts/lab.sh kill NAME       SIGKILL the server or the client (a crash)
#   scripts/lab.sh start NAME      start it again
#   scripts/lab.sh stop NAME       SIGTERM (peers told)
#   scripts/lab.sh down            stop everything, remove the namespace and $AUTHIP_LAB
#   scripts/lab.sh prepare         only the files: configurations, PKI, CRL cache (kernel-lab.sh)
# The daemons print their SAs without installing them ("dataPlane": "none"): this machine's
# kernel may have no ESP. AUTHIP_DATA_PLANE=xfrm installs them in the namespace's kernel
# (scripts/kernel-lab.sh runs the traffic through ESP in a VM).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
lab="${AUTHIP_LAB:-/tmp/authip-lab}"
ns="authip-lab-$(printf '%s' "$lab" | cksum | cut -d' ' -f1)"
authip="${AUTHIP:-$repo/.build/debug/authip}"
kdc_port=8888
export PATH="$PATH:/usr/sbin:/sbin"

die() { echo "lab: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (it makes a network namespace)"

config() { case "$1" in server) echo "$lab/directaccess-server.json" ;; client) echo "$lab/directaccess-client.json" ;;
  *) die "no daemon named $1 (server or client)" ;; esac; }
command_of() { [ "$1" = server ] && echo responder || echo initiator; }

start() {
  local name=$1 pid
  if [ -f "$lab/$name.pid" ] && kill -0 "$(cat "$lab/$name.pid")" 2>/dev/null; then die "$name is running"; fi
  : > "$lab/$name.err"
  # setsid: the daemon outlives this script; its own session, so no terminal signal reaches it.
  # It keeps no descriptor of whoever started this script, which would otherwise wait for it.
  (cd "$lab"
   for fd in /proc/$BASHPID/fd/*; do
     fd=${fd##*/}
     [ "$fd" -gt 2 ] && eval "exec $fd>&-"
   done
   exec setsid ip netns exec "$ns" env KRB5_CONFIG="$lab/krb5/krb5.conf" \
    KRB5RCACHEDIR="$lab/krb5/rcache" "$authip" "$(command_of "$name")" --config "$(config "$name")" \
    >> "$lab/$name.log" 2>> "$lab/$name.err" < /dev/null) &
  pid=$!
  echo "$pid" > "$lab/$name.pid"
  for _ in $(seq 1 100); do
    grep -q "control socket" "$lab/$name.err" && { echo "$name started (pid $pid)"; return 0; }
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$lab/$name.err" >&2
  die "$name did not start"
}

stop() {
  local name=$1 signal=$2
  [ -f "$lab/$name.pid" ] || return 0
  local pid; pid=$(cat "$lab/$name.pid")
  # The daemon is the session leader's child (ip netns exec execs it): signal the session.
  pkill "-$signal" -s "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$lab/$name.pid"
}

pki() {
  local dir="$lab/pki"
  mkdir -p "$dir" && cd "$dir"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout root.key -out root.pem -days 30 -subj "/CN=Contoso Lab Root" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  issue() { # NAME CN EKU KEY-OPTIONS...
    openssl req "${@:4}" -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$2" 2>/dev/null
    printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=%s\nsubjectAltName=DNS:%s\n' \
      "$3" "$2" > "$1.ext"
    openssl x509 -req -in "$1.csr" -CA root.pem -CAkey root.key -set_serial "0x$(openssl rand -hex 8)" -days 30 \
      -extfile "$1.ext" -out "$1.pem" 2>/dev/null
    rm -f "$1.csr" "$1.ext"
  }
  issue daserver DASERVER.corp.contoso.com serverAuth -newkey rsa:2048
  issue client1 CLIENT1.corp.contoso.com clientAuth -newkey ec -pkeyopt ec_paramgen_curve:P-256
  [ -s daserver.pem ] && [ -s client1.pem ] || die "openssl could not make the certificates"
  # An empty CRL of the root, for the server's weak revocation checking.
  mkdir -p ca && : > ca/index.txt && echo 01 > ca/crlnumber
  printf '[ca]\ndefault_ca=lab\n[lab]\ndatabase=ca/index.txt\ncrlnumber=ca/crlnumber\ndefault_md=sha256\ndefault_crl_days=7\n' > ca.cnf
  openssl ca -config ca.cnf -gencrl -keyfile root.key -cert root.pem -out root.crl 2>/dev/null
  chmod 600 ./*.key
  cd - > /dev/null
}

# The lab's files: configurations, PKI, the server's CRL cache, and (with a port) the realm,
# whose KDC is left running.
prepare() {
  [ -e "$lab" ] && die "$lab exists: scripts/lab.sh down first"
  [ -x "$authip" ] || (cd "$repo" && swift build --product authip)
  mkdir -m 700 -p "$lab"
  cp "$repo/Examples/directaccess-server.json" "$repo/Examples/directaccess-client.json" \
    "$repo/Examples/accounts.json" "$lab/"
  for name in directaccess-server directaccess-client; do
    sed -i "0,/^{/s//{\n  \"dataPlane\": \"${AUTHIP_DATA_PLANE:-none}\",/" "$lab/$name.json"
  done
  chmod 600 "$lab"/*.json
  pki
  "$authip" crl import --crl-cache "$lab/server-crl-cache" "$lab/pki/root.crl" > /dev/null
}

up() {
  prepare
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  for address in 2002:836b:2::836b:2 2002:836b:3::836b:3 2002:c612:1::c612:1; do
    ip -n "$ns" addr add "$address/128" dev lo nodad
  done
  # The server's public IPv4 addresses, which 6to4 is made of; and without an IPv4 address
  # besides 127.0.0.1, getaddrinfo's AI_ADDRCONFIG would not even resolve "127.0.0.1" for kinit.
  ip -n "$ns" addr add 131.107.0.2/32 dev lo
  ip -n "$ns" addr add 131.107.0.3/32 dev lo
  ip netns exec "$ns" bash "$repo/scripts/krb5-realm.sh" start "$lab/krb5" "$kdc_port" > "$lab/krb5.log"
  start server
  start client
}

down() {
  stop client TERM
  stop server TERM
  [ -d "$lab/krb5" ] && bash "$repo/scripts/krb5-realm.sh" stop "$lab/krb5"
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$lab"
}

case "${1:-}" in
  up) up ;;
  prepare) prepare ;;
  down) down ;;
  start) config "${2:?server or client}" > /dev/null; start "$2" ;;
  stop) config "${2:?server or client}" > /dev/null; stop "$2" TERM ;;
  kill) config "${2:?server or client}" > /dev/null; stop "$2" KILL ;;
  *) die "usage: scripts/lab.sh up | down | prepare | start NAME | stop NAME | kill NAME" ;;
esac
