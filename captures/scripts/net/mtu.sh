#!/bin/bash
# MTU scenarios -> captures/mtu/*.pcap (captured on host A, snaplen 128, offloads off).
# blackhole:   A 192.0.2.10 (02:00:00:00:e5:10, MTU 9000) and B 192.0.2.20 (..:e5:20, MTU 9000) on
#              bridge lmAbrMtu whose port to B has MTU 1500 -> frames > 1514 bytes are dropped silently.
# jumbo-clean: same, all ports 9000.
# mismatch:    A 9000, B 1500 (its NIC drops frames > 1518), C 192.0.2.30 (..:e5:30) 9000; bridge all 9000.
source "$(dirname "$0")/lib.sh"
O=$CAPROOT/mtu
SW=lmA-mtu-sw

topo() { # topo "name:octet:hostmtu:portmtu" ...
  lm_cleanup; _NS=(); _PIDS=()
  ns_add $SW; mkbridge $SW lmAbrMtu
  for h in "$@"; do
    IFS=: read -r n o hm pm <<<"$h"
    ns_add lmA-mtu-$n
    veth lmA-mtu-$n lmAm${n}0 $SW lmAmp$n 02:00:00:00:e5:$o 02:00:00:01:e5:$o
    ip -n lmA-mtu-$n link set lmAm${n}0 mtu $hm; ip -n $SW link set lmAmp$n mtu $pm
    nooffload lmA-mtu-$n lmAm${n}0; nooffload $SW lmAmp$n
    port $SW lmAmp$n lmAbrMtu
    ip -n lmA-mtu-$n addr add 192.0.2.$o/24 dev lmAm${n}0
    nsx lmA-mtu-$n sysctl -qw net.ipv4.tcp_mtu_probing=0
  done
  sleep 1
}
A=lmA-mtu-a
transfer() { # transfer SRC DSTNS DSTIP BYTES ABORT
  bg nsx $2 $NETTOOL tcpserve $3 5003 --timeout $(( ${5%.*} + 4 )); local srv=$LAST_PID
  sleep 0.3
  nsx $1 $NETTOOL tcpsend $3 5003 --bytes $4 --abort-after $5 || true
  wait $srv || true
}

log "mtu-blackhole: A/B at 9000, B's bridge port at 1500; TCP A->B 1 MB, abort (RST) after 5 s"
topo a:10:9000:9000 b:20:9000:1500
nsx $A ping -c1 -W1 192.0.2.20 >/dev/null
cap_start $A lmAma0 $O/blackhole.pcap 128 tcp or icmp
transfer $A lmA-mtu-b 192.0.2.20 1000000 5
cap_stop $CAP_PID 1

log "jumbo clean: all 9000; TCP A->B 1 MB completes"
topo a:10:9000:9000 b:20:9000:9000
nsx $A ping -c1 -W1 192.0.2.20 >/dev/null
cap_start $A lmAma0 $O/jumbo-clean.pcap 128 tcp or icmp
transfer $A lmA-mtu-b 192.0.2.20 1000000 5
cap_stop $CAP_PID 1

log "mtu-mismatch: A 9000, B 1500, C 9000 on a 9000 bridge"
topo a:10:9000:9000 b:20:1500:9000 c:30:9000:9000
nsx $A ping -c1 -W1 192.0.2.20 >/dev/null; nsx $A ping -c1 -W1 192.0.2.30 >/dev/null
cap_start $A lmAma0 $O/mismatch.pcap 128 tcp or icmp or arp
transfer $A lmA-mtu-b 192.0.2.20 300000 5        # A->B: A is limited by B's MSS 1460
transfer lmA-mtu-b $A 192.0.2.10 300000 5        # B->A: B sends 1460-byte segments
transfer $A lmA-mtu-c 192.0.2.30 300000 5        # A->C: jumbo 8960-byte segments
nsx $A ping -c 3 -i 0.3 -W 1 -s 8000 192.0.2.20 >/dev/null || true   # jumbo to B: dropped at B's NIC
nsx $A ping -c 3 -i 0.3 -W 1 -s 8000 192.0.2.30 >/dev/null || true   # jumbo to C: answered
nsx $A ping -c 3 -i 0.3 -W 1 -s 1400 192.0.2.20 >/dev/null || true   # small to B: answered
cap_stop $CAP_PID 1
log "mtu done"
