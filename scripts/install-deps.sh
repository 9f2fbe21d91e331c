#!/usr/bin/env bash
# Installs what building and testing swift-authip needs on Debian, and nothing when it is
# already there: OpenSSL's headers (libssl-dev) and pkg-config for the COpenSSL target, MIT
# Kerberos (GSS-API headers, and the KDC and admin tools the Kerberos tests start on loopback),
# Python 3 with pyca/cryptography for the independent reference checks of the test vectors, and
# tshark, which captures the AuthIPNIO loopback test and judges every datagram with Wireshark's
# ISAKMP dissector (capturing needs root or CAP_NET_RAW: dumpcap is installed without setuid),
# and OpenLDAP's and winbind's client libraries (libldap-dev, libwbclient-dev) for Active
# Directory: the account directory and NTLM checked by the domain controller; etcd (server and
# etcdctl) for the cluster lab (scripts/cluster-lab.sh), which the cluster tests start on loopback.
set -euo pipefail

packages=(libssl-dev pkg-config python3 libkrb5-dev krb5-kdc krb5-admin-server krb5-user tshark libldap-dev libwbclient-dev etcd-server etcd-client openssl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing: ${missing[*]}"
  $sudo apt-get update -qq
  # wireshark-common would otherwise ask whether non-root users may capture.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $sudo debconf-set-selections
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi

if ! python3 -c 'import cryptography' 2>/dev/null; then
  echo "installing: python3 cryptography"
  python3 -m pip install --quiet cryptography 2>/dev/null \
    || { sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"; DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-cryptography; }
fi

command -v swift >/dev/null || export PATH="/opt/swift/usr/bin:$PATH"
command -v swift >/dev/null || { echo "Swift 6.3 is required (swift not on PATH nor in /opt/swift)"; exit 1; }

# pyspnego: the independent NTLM peer of the AuthIPGSS interop tests (Tools/ntlm/).
python3 -c 'import spnego' 2>/dev/null || { echo "installing: python3 pyspnego"; python3 -m pip install --quiet pyspnego; }
