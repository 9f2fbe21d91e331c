#!/bin/bash
# Throw-away Samba AD DC for tests: realm DA.TEST, NetBIOS domain DA, host daserver, loopback only.
#
#   samba-dc.sh install          apt packages (idempotent, quiet)
#   samba-dc.sh provision DIR [--seed]
#                                provision into DIR (cached as a tarball keyed on DIR's absolute path);
#                                --seed also runs `seed` offline before caching (restore then has users)
#   samba-dc.sh start DIR        start samba in the background, wait for LDAPS 636 + KDC 88 (+LDAP 389)
#   samba-dc.sh seed DIR         create CLIENT1$, alice, bob, svc-authip, DirectAccessClients, DA-Nested
#                                (+ fixtures CLIENT2$ disabled, carol, dave; see Docs/ActiveDirectory.md);
#                                export keytabs to DIR/keytabs (works with the DC running or stopped)
#   samba-dc.sh stop DIR         TERM the master and wait for every child to go
#   samba-dc.sh env DIR          print shell exports for clients (KRB5_CONFIG, LDAPTLS_CACERT, ...)
#   samba-dc.sh pss DIR          process count and summed PSS of the running DC
#
# Needs root (ports 53 88 135 139 389 445 464 636 3268 3269 on 127.0.0.1), so one DC per network
# namespace; SAMBA_DC_IP=127.0.0.2 keeps it off 127.0.0.1 (scripts/test.sh does that).
#
# Environment: SAMBA_DC_CACHE (default /var/tmp/samba-dc-cache), SAMBA_MODEL (e.g. "single"),
#              SAMBA_DC_WAIT (seconds, default 60).
set -euo pipefail

ADMIN_PW='Admin-Pw-12345!'
# Loopback address for the DC. Any 127.x.y.z works without configuring it on lo (Linux routes 127/8
# locally), so e.g. SAMBA_DC_IP=127.0.0.2 lets the DC coexist with a KDC on 127.0.0.1:88.
IP=${SAMBA_DC_IP:-127.0.0.1}
CACHE=${SAMBA_DC_CACHE:-/var/tmp/samba-dc-cache}
# Bump when the provision options below change, so stale cached trees are not reused.
PROVISION_VERSION=4

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.2f", b-a}'; }
die() { echo "samba-dc: $*" >&2; exit 1; }
absdir() { [ -n "${1:-}" ] || die "missing DIR"; mkdir -p "$1"; (cd "$1" && pwd -P); }

cmd_install() {
  local t0; t0=$(now)
  # samba-ad-provision is only a Recommends of samba-ad-dc but provision needs it; krb5-user for the
  # readiness probe; ldap-utils to look at the directory by hand. --no-install-recommends keeps
  # libnss-winbind/libpam-winbind (which edit /etc/nsswitch.conf) out.
  local pkgs="samba samba-ad-dc samba-ad-provision winbind ldap-utils ldb-tools krb5-user"
  local missing=""
  for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
  done
  if [ -n "$missing" ]; then
    # Keep package scripts from starting samba/winbind/krb5kdc on the default ports.
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
      # removed however the install ends
      trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    fi
    export DEBIAN_FRONTEND=noninteractive
    # apt-get update only when the lists are missing/old (>1 day) or the install fails without it.
    if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages' -mtime -1 2>/dev/null | head -1)" ]; then
      apt-get update -qq >/dev/null
    fi
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1 || {
      apt-get update -qq >/dev/null
      apt-get install -y -qq --no-install-recommends $missing >/dev/null
    }
    echo "samba-dc install: installed$missing in $(since "$t0")s"
  else
    echo "samba-dc install: all present ($(since "$t0")s)"
  fi
}

do_provision() {
  local T=$1
  mkdir -p "$T/run" "$T/log" "$T/etc"
  : > "$T/etc/empty.conf"   # do not inherit /etc/samba/smb.conf (homes/printers/log paths)
  local ifaces=lo; [ "$IP" = 127.0.0.1 ] || ifaces="$IP/8"   # "lo" = 127.0.0.1 and ::1
  samba-tool domain provision -s "$T/etc/empty.conf" \
    --realm=DA.TEST --domain=DA --server-role=dc --dns-backend=SAMBA_INTERNAL \
    --adminpass="$ADMIN_PW" --host-name=daserver --host-ip="$IP" \
    --targetdir="$T" \
    --option="interfaces=$ifaces" --option="bind interfaces only=yes" \
    --option="log file=$T/log/log.%m" --option="log level=1" \
    --option="pid directory=$T/run" --option="ncalrpc dir=$T/run/ncalrpc" \
    --option="winbindd socket directory=$T/run/winbindd" \
    --option="ntp signd socket directory=$T/run/ntp_signd" \
    --option="load printers=no" --option="printcap name=/dev/null" --option="disable spoolss=yes" \
    --option="dns forwarder=127.0.0.1" \
    --option="ntlm auth=mschapv2-and-ntlmv2-only" \
    >"$T/log/provision.log" 2>&1 || { tail -30 "$T/log/provision.log" >&2; return 1; }
  # The DC's own krb5.conf for clients (KDC on 127.0.0.1:88, no DNS).
  sed "s/@IP@/$IP/g" > "$T/etc/krb5.conf" <<'EOF'
[libdefaults]
    default_realm = DA.TEST
    dns_lookup_kdc = false
    dns_lookup_realm = false
    dns_canonicalize_hostname = false
    rdns = false
[realms]
    DA.TEST = {
        kdc = @IP@:88
        admin_server = @IP@
    }
[domain_realm]
    .da.test = DA.TEST
    da.test = DA.TEST
EOF
  # TLS: Samba's defaults are tls {key,cert,ca}file = private/tls/{key,cert,ca}.pem and it generates
  # them on first start only if missing. We write our own CA + server cert there (SAN daserver.da.test,
  # da.test, localhost, IP $IP), so clients can verify ldaps://$IP against ca.pem.
  # SAMBA_DC_TLS=samba keeps Samba's autogenerated one instead (CN only, no SAN).
  [ "${SAMBA_DC_TLS:-own}" = samba ] || make_tls "$T"
}

make_tls() {
  local T=$1 D=$1/private/tls
  mkdir -p "$D"; chmod 700 "$D"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj "/O=DA test/CN=DA.TEST test CA" -keyout "$D/ca-key.pem" -out "$D/ca.pem" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj "/O=DA test/CN=daserver.da.test" -keyout "$D/key.pem" -out "$D/req.pem" 2>/dev/null
  openssl x509 -req -in "$D/req.pem" -CA "$D/ca.pem" -CAkey "$D/ca-key.pem" -CAcreateserial \
    -days 3650 -out "$D/cert.pem" -extfile <(printf '%s\n' \
      "subjectAltName=DNS:daserver.da.test,DNS:da.test,DNS:localhost,IP:$IP,IP:::1" \
      "extendedKeyUsage=serverAuth" "keyUsage=critical,digitalSignature,keyEncipherment") 2>/dev/null
  chmod 600 "$D/key.pem" "$D/ca-key.pem"; rm -f "$D/req.pem"
}

cmd_provision() {
  local T; T=$(absdir "${1:-}")
  local seeded=""; [ "${2:-}" = "--seed" ] && seeded=1
  local t0; t0=$(now)
  [ -e "$T/run/samba-master.pid" ] && kill -0 "$(cat "$T/run/samba-master.pid")" 2>/dev/null \
    && die "a DC is running from $T; stop it first"
  # smb.conf holds absolute paths, so the cache key includes the path; also the options, the samba
  # version and (for --seed) the seed recipe itself.
  local key; key=$(printf '%s|%s|%s|%s|%s|%s' "$T" "$IP" "$PROVISION_VERSION" "${SAMBA_DC_TLS:-own}" "$(samba -V 2>/dev/null)" \
    "${seeded:+$(declare -f cmd_seed)}" | sha256sum | cut -c1-16)
  local tarball="$CACHE/dc-$key${seeded:+-seeded}.tar"
  # only ever wipe a directory this script made (marker) or an empty one
  if [ -n "$(ls -A "$T")" ] && [ ! -e "$T/.samba-dc" ]; then die "$T is not empty and not a samba-dc tree"; fi
  find "$T" -mindepth 1 -delete
  if [ -s "$tarball" ]; then
    tar --xattrs --xattrs-include='*' --acls -xpf "$tarball" -C "$T"; touch "$T/.samba-dc"
    echo "samba-dc provision: restored $T from $tarball in $(since "$t0")s"
  else
    touch "$T/.samba-dc"
    do_provision "$T"
    # seeding works offline (samba-tool on the local sam.ldb), so the seeded tree can be cached too
    [ -n "$seeded" ] && cmd_seed "$T"
    mkdir -p "$CACHE"
    tar --xattrs --xattrs-include='*' --acls -cpf "$tarball.tmp.$$" -C "$T" . && mv "$tarball.tmp.$$" "$tarball"
    echo "samba-dc provision: provisioned${seeded:+ and seeded} $T in $(since "$t0")s (cached as $tarball)"
  fi
}

port_open() { (exec 3<>"/dev/tcp/$IP/$1") 2>/dev/null; }

cmd_start() {
  local T; T=$(absdir "${1:-}")
  [ -f "$T/etc/smb.conf" ] || die "$T is not provisioned"
  IP=$(sed -n 's/^ *kdc = \(.*\):88$/\1/p' "$T/etc/krb5.conf")   # the address it was provisioned for
  if [ -e "$T/run/samba-master.pid" ] && kill -0 "$(cat "$T/run/samba-master.pid")" 2>/dev/null; then
    die "already running (pid $(cat "$T/run/samba-master.pid"))"
  fi
  local p
  for p in 88 389 636 445; do port_open $p && die "port $p on $IP is already in use (another DC/KDC?)"; done
  local t0; t0=$(now)
  # setsid: own session, so the caller's job control / terminal signals do not reach it;
  # --no-process-group keeps all children in the master's process group for a clean TERM.
  setsid samba --foreground --no-process-group ${SAMBA_MODEL:+-M "$SAMBA_MODEL"} -s "$T/etc/smb.conf" \
    </dev/null >"$T/log/samba.stdout" 2>&1 &
  local pid=$!
  echo "$pid" > "$T/run/samba-master.pid"
  # (setsid execs in place when not a process-group leader, so $! is samba; if it had to fork, take
  #  the pid samba writes itself)
  sleep 0.05; if ! kill -0 "$pid" 2>/dev/null && [ -s "$T/run/samba.pid" ]; then pid=$(cat "$T/run/samba.pid"); echo "$pid" > "$T/run/samba-master.pid"; fi
  local deadline; deadline=$(awk -v a="$t0" -v w="${SAMBA_DC_WAIT:-60}" 'BEGIN{printf "%.3f", a+w}')
  while :; do
    if port_open 636 && port_open 88 && port_open 389; then break; fi
    kill -0 "$pid" 2>/dev/null || { tail -20 "$T/log/samba.stdout" >&2; die "samba exited during start"; }
    awk -v d="$deadline" -v n="$(now)" 'BEGIN{exit !(n>d)}' && { cmd_stop "$T" >/dev/null 2>&1; die "timeout waiting for 636/88/389"; }
    sleep 0.05
  done
  local t_ports; t_ports=$(since "$t0")
  # Readiness: the ports open before the KDC can always find service principals: right after start a
  # TGS-REQ for ldap/daserver.da.test sometimes fails with "Server not found in Kerberos database"
  # (seen in ~1 of 2 fresh starts, within the first ~0.1 s). Probe AS + TGS as Administrator until OK.
  local probe_cc="FILE:$T/run/probe.ccache" tries=0
  while :; do
    tries=$((tries + 1))
    if echo "$ADMIN_PW" | KRB5_CONFIG="$T/etc/krb5.conf" KRB5CCNAME="$probe_cc" kinit Administrator@DA.TEST >/dev/null 2>&1 \
       && KRB5_CONFIG="$T/etc/krb5.conf" KRB5CCNAME="$probe_cc" kvno ldap/daserver.da.test host/daserver.da.test >/dev/null 2>&1; then
      break
    fi
    kill -0 "$pid" 2>/dev/null || die "samba exited during start"
    awk -v d="$deadline" -v n="$(now)" 'BEGIN{exit !(n>d)}' && { cmd_stop "$T" >/dev/null 2>&1; die "timeout waiting for the KDC to issue service tickets"; }
    sleep 0.05
  done
  KRB5CCNAME="$probe_cc" kdestroy >/dev/null 2>&1 || true
  echo "samba-dc start: pid $pid; LDAPS 636, KDC 88, LDAP 389 answer after ${t_ports}s; KDC issues service tickets after $(since "$t0")s ($tries probe(s))"
}

cmd_seed() {
  local T; T=$(absdir "${1:-}")
  local t0; t0=$(now)
  # Local (sam.ldb) access: much faster than ldap:// + auth, safe while the DC runs, and works offline.
  local log="$T/log/seed.log"; : > "$log"
  st() {
    samba-tool "$@" -s "$T/etc/smb.conf" >>"$log" 2>&1 || { tail -20 "$log" >&2; die "samba-tool $1 $2 failed"; }
  }
  st computer create CLIENT1 --service-principal-name=host/client1.da.test
  st user setpassword 'CLIENT1$' --newpassword='Client1-Pw-12345!'
  st user enable 'CLIENT1$'
  st user create alice 'Alice-Pw-12345!' --given-name=Alice --surname=Test   # DN: CN=Alice Test,...
  st user create bob 'Bob-Pw-12345!'
  st user create svc-authip 'Svc-Authip-Pw-12345!' --description='AuthIP LDAP bind account'
  st user setexpiry svc-authip --noexpiry
  st group add DirectAccessClients
  st group add DA-Nested
  st group addmembers DA-Nested alice
  st group addmembers DirectAccessClients 'DA-Nested,CLIENT1$'
  # read-only fixtures, so tests need not mutate the accounts above:
  #   CLIENT2$ disabled computer (password set) that IS in DirectAccessClients;
  #   carol enabled user in no extra group; dave for lockout tests (threshold is 0 until a test sets it).
  st computer create CLIENT2 --service-principal-name=host/client2.da.test
  st user setpassword 'CLIENT2$' --newpassword='Client2-Pw-12345!'
  st user disable 'CLIENT2$'       # (setpassword clears ACCOUNTDISABLE, so disable after it)
  st group addmembers DirectAccessClients 'CLIENT2$'
  st user create carol 'Carol-Pw-12345!'
  st user create dave 'Dave-Pw-12345!'
  # keytabs for tests: svc-authip (LDAP SASL/GSSAPI client), host/daserver.da.test (a GSS acceptor
  # on the "server" side), CLIENT1$ (the machine's own key)
  mkdir -p "$T/keytabs"; rm -f "$T/keytabs/"*.keytab
  st domain exportkeytab "$T/keytabs/svc-authip.keytab" --principal=svc-authip@DA.TEST
  st domain exportkeytab "$T/keytabs/daserver.keytab" --principal=host/daserver.da.test@DA.TEST
  st domain exportkeytab "$T/keytabs/client1.keytab" --principal='CLIENT1$@DA.TEST'
  echo "samba-dc seed: done in $(since "$t0")s"
}

# all descendants of a pid (smbd and winbindd call setsid, so the process group is not enough)
descendants() {
  ps -eo pid=,ppid= | awk -v root="$1" '{ kids[$2] = kids[$2] " " $1 }
    END { n = split(kids[root], q, " "); while (n > 0) { p = q[n--]; print p; m = split(kids[p], c, " ");
          for (i = 1; i <= m; i++) q[++n] = c[i] } }'
}

cmd_stop() {
  local T; T=$(absdir "${1:-}")
  local t0; t0=$(now)
  local P; P=$(cat "$T/run/samba-master.pid" 2>/dev/null) || { echo "samba-dc stop: not running"; return 0; }
  if kill -0 "$P" 2>/dev/null; then
    local all; all="$P $(descendants "$P" | tr '\n' ' ')"
    kill -TERM "$P" 2>/dev/null || true
    # wait until the master and every process it had (incl. smbd/winbindd in their own sessions) are gone
    local i alive
    for i in $(seq 1 100); do
      alive=""; for p in $all; do kill -0 "$p" 2>/dev/null && alive="$alive $p"; done
      [ -z "$alive" ] && break
      sleep 0.05
    done
    if [ -n "$alive" ]; then
      # shellcheck disable=SC2086
      kill -KILL $alive 2>/dev/null || true
      echo "samba-dc stop: had to SIGKILL$alive" >&2
    fi
  fi
  rm -f "$T/run/samba-master.pid"
  echo "samba-dc stop: $P and its children stopped in $(since "$t0")s"
}

cmd_pss() {
  local T; T=$(absdir "${1:-}")
  local P; P=$(cat "$T/run/samba-master.pid" 2>/dev/null) || die "not running"
  local pids; pids="$P $(descendants "$P" | tr '\n' ' ')"
  local p n=0 kb=0 v
  for p in $pids; do
    v=$(awk '/^Pss:/{print $2}' "/proc/$p/smaps_rollup" 2>/dev/null) || continue
    [ -n "$v" ] || continue
    n=$((n + 1)); kb=$((kb + v))
  done
  echo "samba-dc pss: $n processes, PSS $((kb / 1024)) MiB"
}

cmd_env() {
  local T; T=$(absdir "${1:-}")
  cat <<EOF
export KRB5_CONFIG=$T/etc/krb5.conf
export KRB5CCNAME=FILE:$T/run/krb5cc
export KRB5RCACHEDIR=$T/run
export LDAPTLS_CACERT=$T/private/tls/ca.pem
export LDAPTLS_REQCERT=demand
export SAMBA_DC_IP=$(sed -n 's/^ *kdc = \(.*\):88$/\1/p' "$T/etc/krb5.conf")
EOF
}

case "${1:-}" in
  install)   cmd_install ;;
  provision) cmd_provision "${2:-}" "${3:-}" ;;
  start)     cmd_start "${2:-}" ;;
  seed)      cmd_seed "${2:-}" ;;
  stop)      cmd_stop "${2:-}" ;;
  env)       cmd_env "${2:-}" ;;
  pss)       cmd_pss "${2:-}" ;;
  *) echo "usage: $0 install | provision DIR [--seed] | start DIR | seed DIR | stop DIR | env DIR | pss DIR" >&2; exit 2 ;;
esac
