#!/bin/bash
# Capture-artefact scenarios -> captures/offload/*.pcap (captured on sender A).
# A 192.0.2.10 (02:00:00:00:f7:10) <-> B 192.0.2.20 (02:00:00:00:f7:20), veth pair, iperf3 -p 6600.
# tso-gso-on:       MTU 1500, TSO/GSO/GRO/checksum offload left ON -> super-segments >> MTU in capture.
# capture-truncated: MTU 9000, offloads off, captured with snaplen 1536 (tcpdump -s 1536).
source "$(dirname "$0")/lib.sh"
O=$CAPROOT/offload
A=lmA-off-a; B=lmA-off-b
topo() { # topo MTU OFFLOAD(on/off)
  lm_cleanup; _NS=(); _PIDS=()
  ns_add $A; ns_add $B
  veth $A lmAoa0 $B lmAob0 02:00:00:00:f7:10 02:00:00:00:f7:20 $1
  if [ $2 = off ]; then nooffload $A lmAoa0; nooffload $B lmAob0
  else nsx $A ethtool -K lmAoa0 tso on gso on gro on tx on >/dev/null 2>&1 || true
       nsx $B ethtool -K lmAob0 tso on gso on gro on tx on >/dev/null 2>&1 || true; fi
  ip -n $A addr add 192.0.2.10/24 dev lmAoa0; ip -n $B addr add 192.0.2.20/24 dev lmAob0
  sleep 1
}
iperf() {
  bg nsx $B timeout 20 iperf3 -s -1 -p 6600 -B 192.0.2.20 >/dev/null 2>&1; local srv=$LAST_PID
  sleep 0.5
  nsx $A timeout 20 iperf3 -c 192.0.2.20 -p 6600 $1 --connect-timeout 2000 >/dev/null || true
  wait $srv >/dev/null || true
}
log "offloads on, MTU 1500: iperf3 -n 4M"
topo 1500 on
nsx $A ethtool -k lmAoa0 | grep -E '^(tcp-segmentation-offload|generic-segmentation-offload|generic-receive-offload|tx-checksumming):' >&2
cap_start $A lmAoa0 $O/tso-gso-on.pcap 128 tcp port 6600
iperf "-n 4M"
cap_stop $CAP_PID

log "capture-truncated: MTU 9000, offloads off, snaplen 1536, iperf3 -n 1M"
topo 9000 off
cap_start $A lmAoa0 $O/capture-truncated.pcap 1536 tcp port 6600
iperf "-n 1M"
cap_stop $CAP_PID
log "offload done"
