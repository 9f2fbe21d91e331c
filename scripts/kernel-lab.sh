#!/usr/bin/env bash
# The data plane in a real kernel: boots Debian's cloud kernel under qemu (TCG: this machine's
# own kernel has no ESP), and inside it runs the DirectAccess server and client daemons with
# "dataPlane": "xfrm" in network namespaces, then checks that traffic flows through ESP:
#
#   client ns  c0 ==veth== s0  server ns  s1 ==veth== i0  intranet ns
#   2002:c612:1::c612:1         2002:836b:2::836b:2           2001:db8:1::53 (infrastructure)
#                               2002:836b:3::836b:3           2001:db8:1::10 (infrastructure, not management)
#                               131.107.0.2, 131.107.0.3      2001:db8:1:5::20 (intranet host)
#                                                             2001:db8:1:8000::5 (management)
#
# One line per check ("check: ... passed|failed"), then "kernel lab: N passed, M failed"; the
# exit status is non-zero on any failure. Needs root (apt, the lab's files). Everything lives
# in $AUTHIP_KERNEL_LAB (default /tmp/authip-kernel-lab); the kernel package is kept in
# /var/cache/authip-kernel-lab. AUTHIP: the authip binary (default: the debug build).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${AUTHIP_KERNEL_LAB:-/tmp/authip-kernel-lab}"
cache=/var/cache/authip-kernel-lab
authip="${AUTHIP:-$repo/.build/debug/authip}"
kdc_port=8889
export PATH="$PATH:/usr/sbin:/sbin"
start=$SECONDS

die() { echo "kernel lab: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root"

# --- What it needs: qemu, busybox, cpio, iproute2, nftables, the MIT KDC, the kernel.
missing=()
for tool in qemu-system-x86_64:qemu-system-x86 cpio:cpio ip:iproute2 nft:nftables krb5kdc:krb5-kdc \
  kadmin.local:krb5-admin-server kvno:krb5-user depmod:kmod; do
  command -v "${tool%%:*}" > /dev/null || missing+=("${tool#*:}")
done
dpkg -s busybox-static > /dev/null 2>&1 || missing+=(busybox-static)
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update -q > /dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" > /dev/null
fi
mkdir -p "$cache"
if ! ls "$cache"/kernel/boot/vmlinuz-* > /dev/null 2>&1; then
  # linux-image-cloud-amd64 names the current cloud kernel package.
  package=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  [ -n "$package" ] || die "no cloud kernel package in the apt sources"
  (cd "$cache" && rm -f ./*.deb && apt-get download -q "$package" > /dev/null 2>&1)
  rm -rf "$cache/kernel" && mkdir -p "$cache/kernel"
  dpkg -x "$cache"/*.deb "$cache/kernel"
fi
kernel=$(ls "$cache"/kernel/boot/vmlinuz-*)
modules=$(ls -d "$cache"/kernel/lib/modules/*)
# The package leaves modules.dep to depmod at installation.
[ -s "$modules/modules.dep" ] || depmod -b "$cache/kernel" "$(basename "$modules")"

[ -x "$authip" ] || (cd "$repo" && swift build --product authip)

# --- The lab's files: Examples' configurations, a throw-away PKI and realm, as scripts/lab.sh
# makes them, at the same path inside the VM.
rm -rf "$work"
mkdir -p "$work"
lab="$work/lab"
AUTHIP_LAB="$lab" AUTHIP="$authip" AUTHIP_DATA_PLANE=xfrm bash "$repo/scripts/lab.sh" prepare > /dev/null
bash "$repo/scripts/krb5-realm.sh" start "$lab/krb5" "$kdc_port" > "$work/krb5.log"
# The user's service ticket for the server, from the real KDC before the VM starts: the
# client's GSS-API finds it in the cache, and the VM needs no KDC (krb5kdc's event loop does
# not start in the initramfs: "Cannot allocate memory - while creating main loop").
KRB5_CONFIG="$lab/krb5/krb5.conf" KRB5CCNAME="FILE:$lab/krb5/cc_alice" kvno -q host/daserver.da.test@DA.TEST
bash "$repo/scripts/krb5-realm.sh" stop "$lab/krb5"
# The client acquires nothing at start: its traffic raises the kernel's ACQUIREs.
python3 - "$lab/directaccess-client.json" <<'PY'
import json, sys
path = sys.argv[1]
config = json.load(open(path))
config.pop("acquire", None)
json.dump(config, open(path, "w"), indent=2)
PY

# NAT traversal, over IPv4 (NAT-D is IPv4's): a laptop at 10.1.0.2 behind a masquerading
# router (192.0.2.1) reaches a gateway at 192.0.2.2 whose network is 172.16.0.0/24, in tunnel
# mode with the computer certificates, AES-CBC with HMAC-SHA-1, and a 64 KB lifetime the
# kernel's EXPIRE enforces.
cat > "$lab/nat-server.json" <<JSON
{"computerName": "NATGW", "principalName": "NATGW\$@CORP.CONTOSO.COM", "localAddresses": ["192.0.2.2"],
 "dataPlane": "xfrm", "controlSocket": "nat-server.sock",
 "rules": [{"name": "NAT clients", "local": "172.16.0.0/24", "remote": "0.0.0.0/0",
            "tunnel": {"localEndpoint": "192.0.2.2", "remoteEndpoints": "0.0.0.0/0"}, "peerSelectors": ["10.1.0.0/16"],
            "quickModeCrypto": {"proposals": [{"cipher": "aes128", "integrity": "sha1"}], "lifetimeKilobytes": 64},
            "authentication": [{"method": "certificate",
                                "identities": [{"certificate": "pki/daserver.pem", "key": "pki/daserver.key"}],
                                "trustedRoots": ["pki/root.pem"], "revocation": "none", "peerUsage": "initiator"}]}]}
JSON
cat > "$lab/nat-client.json" <<JSON
{"computerName": "CLIENT1", "principalName": "CLIENT1\$@CORP.CONTOSO.COM", "localAddresses": ["10.1.0.2"],
 "dataPlane": "xfrm", "controlSocket": "nat-client.sock",
 "rules": [{"name": "To the gateway's network", "local": "10.1.0.2", "remote": "172.16.0.0/24",
            "tunnel": {"localEndpoint": "10.1.0.2", "remoteEndpoints": "192.0.2.2"},
            "quickModeCrypto": {"proposals": [{"cipher": "aes128", "integrity": "sha1"}], "lifetimeKilobytes": 64},
            "authentication": [{"method": "certificate",
                                "identities": [{"certificate": "pki/client1.pem", "key": "pki/client1.key"}],
                                "trustedRoots": ["pki/root.pem"], "revocation": "none", "peerUsage": "responder"}]}]}
JSON

# --- The initramfs: busybox, the binaries with their libraries, the lab, the modules.
root="$work/root"
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,run,tmp,var,mods}
chmod 1777 "$root/tmp"
cp /bin/busybox "$root/bin/busybox"
copy_with_libraries() { # FILE...: each at its own path, with what ldd lists
  local file library
  for file in "$@"; do
    mkdir -p "$root$(dirname "$file")"
    cp -L "$file" "$root$file"
    for library in $(ldd "$file" 2>/dev/null | grep -o '/[^ ]*'); do
      [ -e "$root$library" ] && continue
      mkdir -p "$root$(dirname "$library")"
      cp -L "$library" "$root$library"
    done
  done
}
copy_with_libraries "$authip" "$(command -v ip)" "$(command -v nft)"
# Loaded at run time: the GSS-API's plugins, OpenSSL's providers (MD4 for NTLM is in the
# legacy one).
copy_with_libraries $(find /usr/lib/x86_64-linux-gnu/krb5 /usr/lib/x86_64-linux-gnu/ossl-modules -name '*.so*')
# Busybox for the rest; iproute2's ip stays first on the path (busybox's has no xfrm).
for applet in $("$root/bin/busybox" --list); do
  for folder in bin sbin usr/bin usr/sbin; do [ -e "$root/$folder/$applet" ] && continue 2; done
  ln -s busybox "$root/bin/$applet"
done
mkdir -p "$root$work"
cp -a "$lab" "$root$lab"
echo "root:x:0:0:root:/:/bin/sh" > "$root/etc/passwd"
echo "root:x:0:" > "$root/etc/group"
printf '127.0.0.1 localhost\n::1 localhost\n' > "$root/etc/hosts"

# Modules: what ESP, tunnel mode, veth and NAT need, with their dependencies (modules.dep).
wanted="xfrm_user esp4 esp6 xfrm4_tunnel xfrm6_tunnel tunnel4 tunnel6 veth authenc echainiv seqiv gcm ghash-generic
  ctr sha512_generic des_generic crypto_null nf_tables nft_masq nft_nat nft_chain_nat nf_nat nf_conntrack"
declare -A seen=()
loaded=0
add_module() { # NAME or PATH (relative to the modules folder)
  local path=$1 dependency
  case "$path" in
    */*) ;;
    *) path=$(awk -F: -v n="$1" '{m=$1; sub(/.*\//, "", m); sub(/\.ko.*$/, "", m); gsub(/-/, "_", m); t=n; gsub(/-/, "_", t); if (m == t) {print $1; exit}}' "$modules/modules.dep") ;;
  esac
  [ -n "$path" ] || return 0
  [ -n "${seen[$path]:-}" ] && return 0
  seen[$path]=1
  for dependency in $(awk -F: -v p="$path" '$1 == p {print $2}' "$modules/modules.dep"); do
    add_module "$dependency"
  done
  loaded=$((loaded + 1))
  cp "$modules/$path" "$root/mods/$(printf '%03d' "$loaded")-$(basename "$path")"
}
for name in $wanted; do add_module "$name"; done
# And every crypto module (the default RNG the IV generators need, ecb for ESP without
# encryption, ...): the kernel cannot load them on demand without a modprobe of its own.
for path in $(cd "$modules" && ls kernel/crypto/*.ko | grep -v tcrypt); do add_module "$path"; done

authip_vm="$authip"
cat > "$root/init" <<INIT
#!/bin/sh
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mount -t tmpfs tmpfs /run; mkdir -p /run/netns; ln -sf /run /var/run
for module in /mods/*.ko; do insmod "\$module" 2>/dev/null || echo "module \$module: not loaded"; done
sh /lab-checks.sh
echo "kernel lab: done"
poweroff -f
INIT
chmod +x "$root/init"
sed -e "s|@LAB@|$lab|g" -e "s|@AUTHIP@|$authip_vm|g" "$repo/scripts/kernel-lab-checks.sh" > "$root/lab-checks.sh"

echo "kernel lab: initramfs of $(du -sm "$root" | cut -f1) MB ($((SECONDS - start)) s)"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1 > "$work/initrd.gz")

# --- The VM: TCG (nested KVM does not work on this kind of machine), the console on stdout.
timeout 900 qemu-system-x86_64 -accel tcg,thread=multi -smp 2 -m 2048 -nographic -no-reboot \
  -kernel "$kernel" -initrd "$work/initrd.gz" \
  -append "console=ttyS0 panic=-1 quiet rdinit=/init" > "$work/console.log" 2>&1 || true
tr -d '\r' < "$work/console.log" > "$work/console.txt"
grep -E '^check: ' "$work/console.txt" || true
passed=$(grep -c -E '^check: .*: passed$' "$work/console.txt" || true)
failed=$(grep -c -E '^check: .*: failed' "$work/console.txt" || true)
if ! grep -q '^kernel lab: done' "$work/console.txt"; then
  echo "the VM did not finish; its console is in $work/console.txt:"
  tail -40 "$work/console.txt"
  failed=$((failed + 1))
fi
if [ "$failed" -gt 0 ]; then
  echo "--- the VM's console (last 80 lines) ---"
  tail -80 "$work/console.txt"
fi
echo "kernel lab: $passed passed, $failed failed ($((SECONDS - start)) s)"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
