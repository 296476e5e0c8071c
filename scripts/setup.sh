#!/usr/bin/env bash
# Everything a fresh Debian machine needs for tcpwatch: libpcap headers (so the `cap` module
# builds for live capture), tcpdump and tshark (tests compare against them), tmux (UI tests),
# then the npm packages. Debian packages are installed only when missing, as root or with sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
# dnsmasq, dig, ping, sshd and nginx are the real peers the protocol tests record traffic with;
# curl, python3, iperf3 and iproute2 make the lossy-link transfers (test/lossy-tcp.test.ts); samba's
# nmbd and smbclient's nmblookup the NetBIOS name service traffic (test/nbns.test.ts).
for pkg in libpcap-dev tcpdump tshark tmux openssl patch dnsmasq-base bind9-dnsutils iputils-ping openssh-server nginx-light curl python3 iperf3 iproute2 samba smbclient; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else sudo=""; fi
  if [ "$(id -u)" -eq 0 ] || [ -n "$sudo" ]; then
    echo "setup: installing Debian packages: ${need[*]}" >&2
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "setup: not root and no sudo: skipping Debian packages ${need[*]} (live capture and some tests need them)" >&2
  fi
fi

if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi

# cap 0.2.1 binds no pcap_stats, so a capture could not say what the kernel dropped. This small
# patch adds Cap.prototype.stats() (native-notes/cap.md, "Drops"); tcpwatch works without it and
# then says "kernel drops unknown". Applied once; on failure cap is rebuilt as it came.
cap=node_modules/cap
if [ -f "$cap/src/binding.cc" ] && ! grep -q 'NAN_METHOD(Stats)' "$cap/src/binding.cc"; then
  if patch -s -p1 -d "$cap" < scripts/cap-stats.patch && npm rebuild cap >/dev/null 2>&1; then
    echo "setup: cap patched to report the kernel's drop counters" >&2
  else
    echo "setup: could not patch cap (drop counters will be unknown); rebuilding it unpatched" >&2
    patch -s -R -p1 -d "$cap" < scripts/cap-stats.patch || true
    npm rebuild cap >/dev/null 2>&1 || true
  fi
fi

# Node binds no prctl: native/prctl empties the capability bounding set and sets no_new_privs on
# every thread before a root capture gives up root (native-notes/cap.md, "Giving up root"). Built
# by node-gyp as cap is; tcpwatch runs without it and then says once that the bounding set is kept.
if (cd native/prctl && npm run --silent build >/dev/null 2>&1); then
  echo "setup: native/prctl built: a root capture empties its capability bounding set before giving up root" >&2
else
  echo "setup: could not build native/prctl (cd native/prctl && npm run build says why); live captures will keep the capability bounding set" >&2
fi
