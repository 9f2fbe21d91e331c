#!/usr/bin/env bash
# A throw-away MIT Kerberos realm for the tests, all state under one folder, the KDC on
# 127.0.0.1 (no root needed).
#   scripts/krb5-realm.sh start DIR PORT   creates realm DA.TEST in DIR, starts krb5kdc
#   scripts/krb5-realm.sh stop DIR         stops it
# Principals: alice (password Alice-Pw-1, enabled), bob (password Bob-Pw-1, disabled with
# -allow_tix after his TGT was issued), host/daserver.da.test and host/other.da.test (keytab
# DIR/daserver.keytab holds only the first), host/client1.da.test (keytab DIR/client1.keytab,
# used as FAST armor). Credential caches: DIR/cc_alice (SPAKE password login),
# DIR/cc_alice_fast (FAST encrypted-challenge login, indicator fast-password),
# DIR/cc_bob (obtained before bob was disabled).
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"
action=${1:?start|stop}
dir=${2:?folder}
if [ "$action" = stop ]; then
  # SIGKILL: a KDC started with SIGTERM blocked (as some process launchers leave it) would
  # not stop otherwise, and its whole state is files.
  [ -f "$dir/krb5kdc.pid" ] && kill -KILL "$(cat "$dir/krb5kdc.pid")" 2>/dev/null || true
  exit 0
fi
port=${3:?port}
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "port $port is already in use" >&2
  exit 1
fi
mkdir -p "$dir/rcache"
export KRB5_CONFIG=$dir/krb5.conf KRB5_KDC_PROFILE=$dir/kdc.conf KRB5RCACHEDIR=$dir/rcache
cat > "$KRB5_CONFIG" <<CONF
[libdefaults]
    default_realm = DA.TEST
    dns_lookup_kdc = false
    dns_lookup_realm = false
    dns_canonicalize_hostname = false
    rdns = false
    udp_preference_limit = 1
    spake_preauth_groups = edwards25519
[realms]
    DA.TEST = {
        kdc = 127.0.0.1:$port
    }
[domain_realm]
    .da.test = DA.TEST
    da.test = DA.TEST
CONF
# A client that refuses SPAKE (its only group is one the KDC does not offer) uses FAST's
# encrypted challenge when armored.
sed 's/spake_preauth_groups = edwards25519/spake_preauth_groups = P-256/' "$KRB5_CONFIG" > "$dir/krb5-nospake.conf"
cat > "$KRB5_KDC_PROFILE" <<CONF
[kdcdefaults]
    kdc_listen = 127.0.0.1:$port
    kdc_tcp_listen = 127.0.0.1:$port
[realms]
    DA.TEST = {
        database_name = $dir/principal
        key_stash_file = $dir/stash
        acl_file = $dir/kadm5.acl
        max_life = 10h
        default_principal_flags = +preauth
        encrypted_challenge_indicator = fast-password
        spake_preauth_indicator = spake-password
    }
[logging]
    kdc = FILE:$dir/kdc.log
CONF
: > "$dir/kadm5.acl"
kdb5_util create -s -r DA.TEST -P 'master-Pw-1' >/dev/null 2>&1
ka() { kadmin.local -r DA.TEST -q "$*" >/dev/null 2>&1; }
ka addprinc -pw Alice-Pw-1 alice
ka addprinc -pw Bob-Pw-1 bob
ka addprinc -randkey host/daserver.da.test
ka addprinc -randkey host/other.da.test
ka addprinc -randkey host/client1.da.test
ka ktadd -k "$dir/daserver.keytab" host/daserver.da.test
ka ktadd -k "$dir/client1.keytab" host/client1.da.test
# A second service with keys of its own (a rogue server's), and computer accounts that log on
# with a password (Main Mode Kerberos as the computer).
ka ktadd -k "$dir/other.keytab" host/other.da.test
ka addprinc -pw Client1-Kerberos-Pw-1 'CLIENT1$'
ka addprinc -pw Client2-Kerberos-Pw-1 'CLIENT2$'
# The KDC keeps no descriptor of whoever started this script (a caller waiting for the
# script's end would otherwise wait for the KDC's).
(
  for fd in /proc/$BASHPID/fd/*; do
    fd=${fd##*/}
    [ "$fd" -gt 2 ] && eval "exec $fd>&-"
  done
  exec krb5kdc -n -r DA.TEST
) > "$dir/krb5kdc.stdout" 2>&1 < /dev/null &
echo $! > "$dir/krb5kdc.pid"
# Up to 30 s for the KDC to listen (40 test processes may be starting on 2 cores); a KDC that
# exited (its port taken, for one) is reported at once with its log.
listening=false
for _ in $(seq 1 600); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then listening=true; break; fi
  if ! kill -0 "$(cat "$dir/krb5kdc.pid")" 2>/dev/null; then break; fi
  sleep 0.05
done
if ! $listening; then
  echo "krb5kdc is not listening on 127.0.0.1:$port" >&2
  cat "$dir/krb5kdc.stdout" "$dir/kdc.log" >&2 2>/dev/null || true
  kill -KILL "$(cat "$dir/krb5kdc.pid")" 2>/dev/null || true
  exit 1
fi
echo Alice-Pw-1 | kinit -c "FILE:$dir/cc_alice" alice >/dev/null
kinit -k -t "$dir/client1.keytab" -c "FILE:$dir/cc_armor" host/client1.da.test
echo Alice-Pw-1 | KRB5_CONFIG=$dir/krb5-nospake.conf kinit -T "FILE:$dir/cc_armor" -c "FILE:$dir/cc_alice_fast" alice >/dev/null
echo Bob-Pw-1 | kinit -c "FILE:$dir/cc_bob" bob >/dev/null
ka modprinc -allow_tix bob
echo "KDC $(cat "$dir/krb5kdc.pid") on 127.0.0.1:$port"
