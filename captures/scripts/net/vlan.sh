#!/bin/bash
# VLAN scenarios -> captures/vlan/*.pcap. The kernel has no 8021q module and no act_vlan, so tags are
# pushed on egress / popped on ingress by tiny tc eBPF programs (vlan_tc.ll, compiled with llc).
# Hosts A (MAC 02:00:00:00:a9:0a) and B (02:00:00:00:a9:0b); one veth pair per VLAN, both ends of every
# pair use the same MAC (like VLAN sub-interfaces of one NIC):
#   VLAN 100: A 192.0.2.10    <-> B 192.0.2.20
#   VLAN 200: A 198.51.100.10 <-> B 198.51.100.20
#   QinQ (S-tag 802.1ad 300, C-tag 802.1Q 100): A 203.0.113.10 <-> B 203.0.113.20
# net-trunk-100-200.pcap = both VLAN links captured on A and merged (mergecap); net-qinq-300-100.pcap = QinQ link on A.
source "$(dirname "$0")/lib.sh"
O=$CAPROOT/vlan
A=lmA-vlan-a; B=lmA-vlan-b
LLC=$(command -v llc || command -v llc-14 || command -v llc-15 || command -v llc-16 || true)
[ -n "$LLC" ] || { echo "llc (LLVM) not found: cannot build the tc VLAN programs" >&2; exit 1; }
W=$(mktemp -d); trap 'lm_cleanup; rm -rf "$W"' EXIT
$LLC -march=bpf -filetype=obj "$HERE/vlan_tc.ll" -o $W/vlan_tc.o
ns_add $A; ns_add $B
link() { # link IFSUFFIX PUSHPROG A-IP B-IP
  veth $A lmAva$1 $B lmAvb$1 02:00:00:00:a9:0a 02:00:00:00:a9:0b
  nooffload $A lmAva$1; nooffload $B lmAvb$1
  ip -n $A addr add $3/24 dev lmAva$1; ip -n $B addr add $4/24 dev lmAvb$1
  local prog=$2 ns dev
  for e in "$A lmAva$1" "$B lmAvb$1"; do
    read -r ns dev <<<"$e"
    tc -n $ns qdisc add dev $dev clsact
    tc -n $ns filter add dev $dev egress  bpf da obj $W/vlan_tc.o sec lmA_$prog
    tc -n $ns filter add dev $dev ingress bpf da obj $W/vlan_tc.o sec lmA_pop2
  done
}
link 100 push100 192.0.2.10 192.0.2.20
link 200 push200 198.51.100.10 198.51.100.20
link 300 qinq 203.0.113.10 203.0.113.20
sleep 1
traffic() { # traffic B-IP
  nsx $A ping -c 4 -i 0.25 -W 1 $1 >/dev/null || true
  bg nsx $B $NETTOOL tcpserve $1 5004 --timeout 6; local s=$LAST_PID; sleep 0.3
  nsx $A $NETTOOL tcpsend $1 5004 --bytes 20000 --abort-after 4 2>/dev/null || true
  wait $s 2>/dev/null || true
}
log "trunk: VLAN 100 + VLAN 200"
cap_start $A lmAva100 $W/v100.pcap 200; C1=$CAP_PID
cap_start $A lmAva200 $W/v200.pcap 200; C2=$CAP_PID
traffic 192.0.2.20 & T1=$!; traffic 198.51.100.20; wait $T1 || true
cap_stop $C1; cap_stop $C2 0
mergecap -F pcap -w $O/net-trunk-100-200.pcap $W/v100.pcap $W/v200.pcap
log "QinQ 300/100"
cap_start $A lmAva300 $O/net-qinq-300-100.pcap 200
traffic 203.0.113.20
cap_stop $CAP_PID
log "vlan done"
