#!/bin/bash
# Regenerate every namespace capture (captures/{arp,igmp,frag,icmp,mtu,jumbo,offload,vlan,throughput,smb}).
# Run as root. Takes ~8 minutes (igmp.sh alone ~4.5 min: its no-querier capture spans ~138 s),
# plus ~5 minutes the first time smb.sh builds its smb-rs client (needs samba, smbclient,
# samba-testsuite and cargo).
# Usage: make_all.sh [script...]   e.g. make_all.sh arp.sh mtu.sh
set -u
cd "$(dirname "$0")"
[ "$(id -u)" = 0 ] || { echo "must run as root" >&2; exit 1; }
for t in ip tc tcpdump ethtool arping iperf3 mergecap python3; do
  command -v $t >/dev/null || { echo "missing tool: $t" >&2; exit 1; }
done
SCRIPTS=${*:-arp.sh igmp.sh frag.sh icmp.sh mtu.sh jumbo.sh offload.sh vlan.sh throughput.sh throughput-mtu.sh smb.sh}
fail=0
for s in $SCRIPTS; do
  echo "=== $s"
  if ! timeout 600 ./$s; then echo "!!! $s failed" >&2; fail=1; fi
done
exit $fail
