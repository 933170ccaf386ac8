#!/usr/bin/env bash
# Installs everything fleetlb needs on a fresh machine: system packages (as root, via apt),
# npm dependencies (offline native builds against this Node's own headers), and the lab's
# Kubernetes and etcd binaries (built once with Go from the module proxy, then cached).
# Safe to run again: each step skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[bootstrap] %s\n' "$*" >&2; }
die() { printf 'bootstrap: %s\n' "$*" >&2; exit 1; }

# System packages the lab uses. Installed only when missing, and only as root with apt.
# openssl: lab certificates; iproute2, iptables, nftables, conntrack: lab network and kube-proxy;
# bird2, frr: the lab router; gobgpd: a BGP test peer; curl, tcpdump, arping, ndisc6: probes in tests.
DEBIAN_PACKAGES=(openssl iproute2 iptables nftables conntrack bird2 frr gobgpd curl tcpdump arping ndisc6 procps)
missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    say "installing ${missing[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    die "these packages are missing: ${missing[*]}; install them (as root: apt-get install ${missing[*]}) and run this again."
  fi
fi

command -v node >/dev/null || die "Node.js 20 (>= 20.19) is needed: install it and run this again."
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a===20&&b>=19?0:1)' \
  || die "Node.js $(node -v) found; fleetlb needs Node.js 20 (>= 20.19, < 21)."

# Native addons build against the running Node's headers, never downloaded ones.
node_prefix=$(node -p 'require("path").resolve(process.execPath, "../..")')
if [ -d "$node_prefix/include/node" ]; then export npm_config_nodedir="$node_prefix"; fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dependencies"
  # `npm install` from the committed lock, not `npm ci`: npm 11 records only this platform's
  # optional packages in the lock and `npm ci` then refuses it as out of sync.
  npm install --no-fund --no-audit
else
  # The AF_PACKET addon is built by npm install; rebuild it when its source has changed since.
  addon=speaker/native/build/Release/fleetlb_packet.node
  if [ ! -f "$addon" ] || [ speaker/native/packet.c -nt "$addon" ]; then
    say "rebuilding the AF_PACKET addon"
    npm run --silent install
  fi
  npm run --silent build
fi

# Every lab node runs a kube-proxy and the tests start small labs beside the shared one: the
# default of 128 inotify instances per user runs out ("too many open files").
if [ "$(id -u)" -eq 0 ] && [ "$(sysctl -n fs.inotify.max_user_instances 2>/dev/null || echo 512)" -lt 512 ]; then
  say "raising fs.inotify.max_user_instances to 512 for the lab"
  sysctl -qw fs.inotify.max_user_instances=512
fi

say "resolving the lab's Kubernetes binaries"
node bin/fleetlb.js lab build >/dev/null
say "ready"
