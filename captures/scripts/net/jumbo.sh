#!/bin/bash
# Jumbo-frame scenarios -> captures/jumbo/*.pcap (snaplen 128, offloads off, captured on A).
# A/B connected by veth pair(s); iperf3 -p 6600 -n 2M (bounded), A = client, B = server.
#  link1: A 192.0.2.10 (02:00:00:00:f6:10) <-> B 192.0.2.20 (02:00:00:00:f6:20)
#  link2: A 198.51.100.10 (02:00:00:00:f6:11) <-> B 198.51.100.20 (02:00:00:00:f6:21)   [partial only]
source "$(dirname "$0")/lib.sh"
O=$CAPROOT/jumbo
A=lmA-jmb-a; B=lmA-jmb-b

topo() { # topo MTU1 [MTU2]
  lm_cleanup; _NS=(); _PIDS=()
  ns_add $A; ns_add $B
  veth $A lmAja0 $B lmAjb0 02:00:00:00:f6:10 02:00:00:00:f6:20 $1
  nooffload $A lmAja0; nooffload $B lmAjb0
  ip -n $A addr add 192.0.2.10/24 dev lmAja0; ip -n $B addr add 192.0.2.20/24 dev lmAjb0
  if [ -n "${2:-}" ]; then
    veth $A lmAja1 $B lmAjb1 02:00:00:00:f6:11 02:00:00:00:f6:21 $2
    nooffload $A lmAja1; nooffload $B lmAjb1
    ip -n $A addr add 198.51.100.10/24 dev lmAja1; ip -n $B addr add 198.51.100.20/24 dev lmAjb1
  fi
  sleep 1
}
iperf() { # iperf SERVERIP
  bg nsx $B timeout 20 iperf3 -s -1 -p 6600 -B $1 >/dev/null 2>&1; local srv=$LAST_PID
  sleep 0.5
  nsx $A timeout 20 iperf3 -c $1 -p 6600 -n 2M --connect-timeout 2000 >/dev/null || true
  wait $srv >/dev/null || true
}

for m in 1500 9000; do
  log "iperf3 at MTU $m"
  topo $m
  cap_start $A lmAja0 $O/iperf-$m.pcap 128 tcp port 6600
  iperf 192.0.2.20
  cap_stop $CAP_PID
done

log "jumbo-partial: link1 9000, link2 1500, iperf3 on both"
topo 9000 1500
T=$(mktemp -d)
cap_start $A lmAja0 $T/l1.pcap 128 tcp port 6600; C1=$CAP_PID
cap_start $A lmAja1 $T/l2.pcap 128 tcp port 6600; C2=$CAP_PID
iperf 192.0.2.20
iperf 198.51.100.20
cap_stop $C1; cap_stop $C2 0
mergecap -F pcap -w $O/partial.pcap $T/l1.pcap $T/l2.pcap
rm -rf "$T"
log "jumbo done"
