#!/bin/sh
# Runs inside scripts/kernel-lab.sh's VM (busybox sh, iproute2's ip): the namespaces, the
# KDC, both daemons with the XFRM data plane, and one "check: NAME: passed|failed" line each.
LAB=@LAB@
AUTHIP=@AUTHIP@
CLIENT=2002:c612:1::c612:1
SERVER1=2002:836b:2::836b:2
SERVER2=2002:836b:3::836b:3
INFRA=2001:db8:1::53
HOST=2001:db8:1:5::20
MANAGER=2001:db8:1:8000::5
OUTSIDER=2001:db8:1::10
export KRB5_CONFIG=$LAB/krb5/krb5.conf KRB5_KDC_PROFILE=$LAB/krb5/kdc.conf KRB5RCACHEDIR=$LAB/krb5/rcache

# Busybox's shell runs its own applets before the path: iproute2's ip by its full path.
ip() { /usr/sbin/ip "$@"; }

check() { # NAME COMMAND...
  name=$1
  shift
  if "$@"; then echo "check: $name: passed"; else echo "check: $name: failed"; fi
}
note() { echo "lab: $*"; }

# Polls COMMAND for up to SECONDS.
within() { # SECONDS COMMAND...
  limit=$1
  shift
  i=0
  while [ "$i" -lt "$limit" ]; do
    "$@" && return 0
    sleep 1
    i=$((i + 1))
  done
  return 1
}

stopped() { ! kill -0 "$(cat "$LAB/$1.pid")" 2>/dev/null; }
installed() {
  count=$(grep -c "SA installed" "$LAB/$1.log" 2>/dev/null)
  echo "${count:-0}"
}
at_least() { [ "$(installed "$1")" -ge "$2" ]; }

# COUNT of 3 echo requests answered, from NS (and SOURCE) to DESTINATION.
replies() { # NS DESTINATION [SOURCE]
  if [ -n "$3" ]; then
    ip netns exec "$1" ping -6 -c 3 -W 2 -I "$3" "$2" 2>/dev/null | grep -o '[0-9]* packets received' | cut -d' ' -f1
  else
    ip netns exec "$1" ping -6 -c 3 -W 2 "$2" 2>/dev/null | grep -o '[0-9]* packets received' | cut -d' ' -f1
  fi
}
answered() { [ "$(replies "$@")" = 3 ]; }
unanswered() { [ "$(replies "$@")" = 0 ]; }
# A first packet raises the ACQUIRE; it is dropped while the SA is negotiated.
trigger() { ip netns exec "$1" ping -6 -c 1 -W 1 ${3:+-I $3} "$2" > /dev/null 2>&1; }

# Packets counted on every ESP SA of a namespace's kernel toward or from an address.
esp_packets() { # NS ADDRESS
  ip -n "$1" -s xfrm state 2>/dev/null | awk -v a="$2" '
    /^src / { match_sa = ($2 == a || $4 == a) }
    match_sa && /\(packets\)/ {
      for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\(packets\)/) { v = $i; sub(/\(packets\).*/, "", v); total += v }
    }
    END { print total + 0 }'
}
# ESP SAs with an SPI: the kernel's larval ACQUIRE entries (SPI 0) expire by themselves.
states() { ip -n "$1" xfrm state 2>/dev/null | grep 'proto esp spi' | grep -vc 'spi 0x00000000'; }
policies() { ip -n "$1" xfrm policy 2>/dev/null | grep -c '^src '; }
# The server's ESP SAs (SPI not 0) to or from the client.
client_states() {
  ip -n server xfrm state 2>/dev/null | awk -v a="$CLIENT" '
    /^src / { ours = ($2 == a || $4 == a) }
    ours && /proto esp spi/ && $4 != "0x00000000" { count++ }
    END { print count + 0 }'
}

# --- The network.
for ns in client server intranet; do ip netns add $ns; ip -n $ns link set lo up; done
ip link add c0 netns client type veth peer name s0 netns server
ip link add i0 netns intranet type veth peer name s1 netns server
ip -n client addr add $CLIENT/128 dev c0 nodad
ip -n client addr add 198.18.0.1/32 dev c0
ip -n client link set c0 up
ip -n client route add $SERVER1 dev c0
ip -n client route add $SERVER2 dev c0
ip -n client route add 2001:db8:1::/48 dev c0
for address in $SERVER1 $SERVER2; do ip -n server addr add $address/128 dev s0 nodad; done
ip -n server addr add 131.107.0.2/32 dev s0
ip -n server addr add 131.107.0.3/32 dev s0
ip -n server addr add fe80::1/64 dev s1 nodad
ip -n server link set s0 up
ip -n server link set s1 up
ip -n server route add $CLIENT dev s0
ip -n server route add 2001:db8:1::/48 dev s1
ip netns exec server sh -c 'echo 1 > /proc/sys/net/ipv6/conf/all/forwarding'
for address in $INFRA $HOST $MANAGER $OUTSIDER; do ip -n intranet addr add $address/128 dev i0 nodad; done
ip -n intranet link set i0 up
ip -n intranet route add default via fe80::1 dev i0

# --- The daemons (the user's service ticket is in the client's cache already).
cd "$LAB" || exit 1
start_daemon() { # NAME NS COMMAND
  # Not through the function: the daemon's own PID, for the signal that stops it.
  config="$LAB/directaccess-$1.json"
  [ -f "$config" ] || config="$LAB/$1.json"
  /usr/sbin/ip netns exec "$2" "$AUTHIP" "$3" --config "$config" > "$LAB/$1.log" 2> "$LAB/$1.err" &
  echo $! > "$LAB/$1.pid"
  within 60 grep -q "control socket" "$LAB/$1.err" || { note "$1 did not start:"; head -20 "$LAB/$1.err"; }
}
start_daemon server server responder
start_daemon client client initiator
check "traps installed at start (server $(policies server), client $(policies client) policies)" \
  test "$(policies server)" -ge 4 -a "$(policies client)" -ge 3

# --- The infrastructure tunnel, from the client's first packet (ACQUIRE).
trigger client $INFRA
within 90 at_least client 2
check "ACQUIRE on the client: the infrastructure tunnel comes up" at_least client 2
check "ping to the infrastructure server through ESP" answered client $INFRA
check "ESP packets counted on the client's SAs ($(esp_packets client $CLIENT))" test "$(esp_packets client $CLIENT)" -gt 0

# --- Manage out: the management host's packet raises the server's ACQUIRE.
before=$(installed server)
trigger intranet $CLIENT $MANAGER
within 60 at_least server $((before + 2))
check "manage out: ACQUIRE on the server starts a Quick Mode to the client" at_least server $((before + 2))
check "manage out: ping from the management host through ESP" answered intranet $CLIENT $MANAGER
trigger intranet $CLIENT $OUTSIDER
within 20 grep -q "event 4654" "$LAB/server.log"
check "manage out from an infrastructure server outside the management prefix refused with 4654" \
  grep -q "event 4654" "$LAB/server.log"
check "no reply outside the management prefix" unanswered intranet $CLIENT $OUTSIDER

# --- The intranet tunnel: Kerberos in Extended Mode, to the second endpoint.
before=$(installed client)
trigger client $HOST
within 90 at_least client $((before + 2))
check "ACQUIRE on the client: the intranet tunnel comes up" at_least client $((before + 2))
check "ping to the intranet host through ESP" answered client $HOST
check "the server's SAs carry packets ($(esp_packets server $CLIENT))" test "$(esp_packets server $CLIENT)" -gt 0

# --- The stolen laptop: blocked on the server, its SAs out of the kernel at once.
"$AUTHIP" block add '*CLIENT1*' --reason stolen --control "$LAB/server.sock" > "$LAB/block.out" 2>&1
check "block: the server's kernel holds no SA for the client" within 5 test "$(client_states)" = 0
check "block: pings stop" unanswered client $INFRA
# The laptop starts over: a crash (its kernel entries stay), a restart that removes them.
kill -KILL "$(cat "$LAB/client.pid")"
within 10 stopped client
check "crash: the killed client's policies stay in the kernel ($(policies client))" test "$(policies client)" -gt 0
mv "$LAB/client.err" "$LAB/client-1.err"
mv "$LAB/client.log" "$LAB/client-1.log"
start_daemon client client initiator
check "restart: the crashed run's leftovers removed, the traps installed again" \
  grep -q "removed .* policies and SAs an earlier run left" "$LAB/client.err"
# A larval ACQUIRE entry of the killed run holds new ACQUIREs back for up to 30 s.
trigger client $INFRA
within 45 sh -c "grep -q 'event 4652' '$LAB/server.log' || { /usr/sbin/ip netns exec client ping -6 -c 1 -W 1 $INFRA; false; }"
check "block: the reconnection is refused (4652)" grep -q "event 4652" "$LAB/server.log"
check "block: still no SA for the client" test "$(client_states)" = 0

# --- NAT traversal: the laptop behind a masquerading router, over IPv4.
for ns in home nat gateway; do ip netns add $ns; ip -n $ns link set lo up; done
ip link add h0 netns home type veth peer name n0 netns nat
ip link add n1 netns nat type veth peer name g0 netns gateway
ip -n home addr add 10.1.0.2/24 dev h0
ip -n home link set h0 up
ip -n home route add default via 10.1.0.1
ip -n nat addr add 10.1.0.1/24 dev n0
ip -n nat addr add 192.0.2.1/24 dev n1
ip -n nat link set n0 up
ip -n nat link set n1 up
ip netns exec nat sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward'
ip netns exec nat nft -f - <<NFT
table ip nat {
  chain postrouting { type nat hook postrouting priority 100; oifname "n1" masquerade; }
}
NFT
ip -n gateway addr add 192.0.2.2/24 dev g0
ip -n gateway addr add 172.16.0.1/32 dev lo
ip -n gateway link set g0 up
# The inner destination needs a route for the policy lookup; ESP takes it from there.
ip -n gateway route add 10.1.0.0/24 dev g0
ip -n home route add 172.16.0.0/24 dev h0
start_daemon nat-server gateway responder
start_daemon nat-client home initiator
ip netns exec home ping -c 1 -W 1 172.16.0.1 > /dev/null 2>&1
within 60 at_least nat-client 2
check "NAT: the tunnel comes up over 4500, UDP-encapsulated" \
  sh -c "grep 'SA installed' '$LAB/nat-client.log' | grep -q ':4500 .*UDP-encapsulated'"
nat_replies=$(ip netns exec home ping -c 3 -W 2 172.16.0.1 2>/dev/null | grep -o '[0-9]* packets received' | cut -d' ' -f1)
check "NAT: ping through ESP in UDP ($nat_replies of 3)" test "$nat_replies" = 3
check "NAT: the kernel's SAs are ESP-in-UDP" sh -c "/usr/sbin/ip -n home xfrm state | grep -q 'encap type espinudp'"
# 80 KB through a 64 KB lifetime: the kernel's soft EXPIRE reports the bytes, the client rekeys.
ip netns exec home ping -c 10 -s 8000 -W 1 172.16.0.1 > /dev/null 2>&1
within 40 at_least nat-client 4
check "kilobyte lifetime: the kernel's EXPIRE makes the client rekey ($(installed nat-client) SAs installed)" \
  at_least nat-client 4
within 10 sh -c "/usr/sbin/ip netns exec home ping -c 1 -W 1 172.16.0.1 > /dev/null 2>&1"
nat_replies=$(ip netns exec home ping -c 3 -W 2 172.16.0.1 2>/dev/null | grep -o '[0-9]* packets received' | cut -d' ' -f1)
check "kilobyte lifetime: pings pass on the new SAs ($nat_replies of 3)" test "$nat_replies" = 3
for name in nat-client nat-server; do kill -TERM "$(cat "$LAB/$name.pid")" 2>/dev/null; done
for name in nat-client nat-server; do within 60 stopped $name || note "$name did not stop"; done
check "NAT: nothing left after the stop" test "$(states home)$(policies home)$(states gateway)$(policies gateway)" = 0000

# --- A clean stop leaves nothing in either kernel.
for name in client server; do kill -TERM "$(cat "$LAB/$name.pid")" 2>/dev/null; done
for name in client server; do within 60 stopped $name || note "$name did not stop"; done
check "down: no SA and no policy left (server $(states server)/$(policies server), client $(states client)/$(policies client))" \
  test "$(states server)$(policies server)$(states client)$(policies client)" = 0000

for name in server client nat-server nat-client; do
  note "--- $name.err"
  tail -20 "$LAB/$name.err"
done
for name in server client-1 client nat-server nat-client; do
  note "--- $name.log: events and SAs"
  grep -E "event [0-9]{4}|^SA |Failure Reason" "$LAB/$name.log" | tail -30
done
