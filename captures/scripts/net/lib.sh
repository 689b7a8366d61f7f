#!/bin/bash
# Common helpers for the lmcap network-namespace capture scripts.
# Source from a scenario script. Every namespace/bridge/veth is prefixed "lmA".
# Only documentation address ranges are used (192.0.2.0/24, 198.51.100.0/24,
# 203.0.113.0/24, 2001:db8::/32). Needs root, iproute2, tcpdump, ethtool.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CAPROOT=${CAPROOT:-$(cd "$HERE/../.." && pwd)}
NETTOOL="python3 $HERE/nettool.py"
_NS=(); _PIDS=()

lm_cleanup() {
  set +e
  for p in "${_PIDS[@]}"; do kill -INT "$p" 2>/dev/null; done
  sleep 0.5
  for p in "${_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
  for n in "${_NS[@]}"; do
    for p in $(ip netns pids "$n" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
    ip netns del "$n" 2>/dev/null
  done
}
trap lm_cleanup EXIT
trap 'exit 130' INT TERM HUP
[ "$(id -u)" = 0 ] || { echo "must run as root" >&2; exit 1; }

log() { echo "[$(date +%T)] $*" >&2; }

# ns_add NAME [v6]   -- new namespace; IPv6 disabled unless 2nd arg is "v6"
ns_add() {
  local n=$1
  ip netns del "$n" 2>/dev/null || true
  ip netns add "$n"; _NS+=("$n")
  ip -n "$n" link set lo up
  if [ "${2:-}" = v6 ]; then
    ip netns exec "$n" sysctl -qw net.ipv6.conf.default.accept_dad=0 \
      net.ipv6.conf.default.router_solicitations=0 net.ipv6.conf.default.accept_ra=0
  else
    ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  fi
}
nsx() { local n=$1; shift; ip netns exec "$n" "$@"; }

# veth NS1 IF1 NS2 IF2 [MAC1] [MAC2] [MTU]
veth() {
  ip link add "$2" netns "$1" ${5:+address $5} type veth peer name "$4" netns "$3" ${6:+address $6}
  if [ -n "${7:-}" ]; then ip -n "$1" link set "$2" mtu "$7"; ip -n "$3" link set "$4" mtu "$7"; fi
  ip -n "$1" link set "$2" up; ip -n "$3" link set "$4" up
}
# bridge NS BR [extra "ip link add ... type bridge" options]
mkbridge() { local n=$1 b=$2; shift 2; ip -n "$n" link add "$b" type bridge "$@"; ip -n "$n" link set "$b" up; }
port() { ip -n "$1" link set "$2" master "$3"; }
nooffload() { nsx "$1" ethtool -K "$2" tso off gso off gro off tx off >/dev/null 2>&1 || true; }

# cap_start NS IF FILE SNAPLEN [pcap filter...]  -> sets CAP_PID
cap_start() {
  local n=$1 i=$2 f=$3 s=$4; shift 4
  mkdir -p "$(dirname "$f")"; rm -f "$f"
  local err; err=$(mktemp)
  ip netns exec "$n" tcpdump -n --immediate-mode -i "$i" -s "$s" -U -w "$f" "$@" 2>"$err" &
  CAP_PID=$!; _PIDS+=("$CAP_PID")
  for _ in $(seq 50); do grep -q listening "$err" && break; sleep 0.1; done
  rm -f "$err"; sleep 0.2
}
cap_stop() { sleep "${2:-1}"; kill -INT "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
bg() { "$@" & _PIDS+=("$!"); LAST_PID=$!; }
