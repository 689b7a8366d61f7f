#!/bin/bash
# ICMP/PMTU scenarios -> captures/icmp/*.pcap
# (1) frag-needed / packet-too-big: A 198.51.100.2 / 2001:db8:5100::2 (02:00:00:00:d4:0a) -- R -- B
#     (203.0.113.2,.3 / 2001:db8:7100::2,::3, 02:00:00:00:d4:0b). R's B-side link MTU 1400
#     (B itself 1500, so B advertises MSS 1460/1440). Captured on A.
# (2) df-sweep: A 192.0.2.10, B .20, C .30, D .40 (all MTU 9000, MACs 02:00:00:00:d5:HH)
#     on bridge lmAbrSwp whose ports to B / D have MTU 1500 / 4000 (silent drop, no ICMP). Captured on A.
source "$(dirname "$0")/lib.sh"
O=$CAPROOT/icmp
A=lmA-icmp-a; R=lmA-icmp-r; B=lmA-icmp-b
for n in $A $R $B; do ns_add $n v6; done
veth $A lmAia0 $R lmAira 02:00:00:00:d4:0a 02:00:00:00:d4:1a
veth $R lmAirb $B lmAib0 02:00:00:00:d4:1b 02:00:00:00:d4:0b
ip -n $R link set lmAirb mtu 1400
for x in "$A lmAia0" "$R lmAira" "$R lmAirb" "$B lmAib0"; do nooffload $x; done
ip -n $A addr add 198.51.100.2/24 dev lmAia0; ip -n $A -6 addr add 2001:db8:5100::2/64 dev lmAia0
ip -n $R addr add 198.51.100.1/24 dev lmAira; ip -n $R -6 addr add 2001:db8:5100::1/64 dev lmAira
ip -n $R addr add 203.0.113.1/24 dev lmAirb;  ip -n $R -6 addr add 2001:db8:7100::1/64 dev lmAirb
for a in 203.0.113.2/24 203.0.113.3/24; do ip -n $B addr add $a dev lmAib0; done
for a in 2001:db8:7100::2/64 2001:db8:7100::3/64; do ip -n $B -6 addr add $a dev lmAib0; done
ip -n $A route add default via 198.51.100.1; ip -n $A -6 route add default via 2001:db8:5100::1
ip -n $B route add default via 203.0.113.1;  ip -n $B -6 route add default via 2001:db8:7100::1
nsx $R sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
sleep 1
nsx $A ping -c1 -W1 198.51.100.1 >/dev/null; nsx $A ping -6 -c1 -W1 2001:db8:5100::1 >/dev/null || true
nsx $R ping -c1 -W1 203.0.113.2 >/dev/null; nsx $R ping -6 -c1 -W1 2001:db8:7100::2 >/dev/null || true

log "IPv4 fragmentation-needed: ping -M do -s 1472 x3, -s 1372 x2, TCP 200 kB A->B:5002"
bg nsx $B $NETTOOL tcpserve 203.0.113.3 5002 --timeout 15; SRV=$LAST_PID
cap_start $A lmAia0 $O/frag-needed.pcap 200 ip
nsx $A ping -M do -c 3 -i 0.3 -W 1 -s 1472 203.0.113.2 || true
nsx $A ping -M do -c 2 -i 0.3 -W 1 -s 1372 203.0.113.2 >/dev/null || true
nsx $A $NETTOOL tcpsend 203.0.113.3 5002 --bytes 200000 --abort-after 8
wait $SRV || true
cap_stop $CAP_PID

log "IPv6 packet-too-big: ping -6 -M do -s 1452 x3, -s 1352 x2, TCP 200 kB A->B:5002"
bg nsx $B $NETTOOL tcpserve 2001:db8:7100::3 5002 --timeout 15; SRV=$LAST_PID
cap_start $A lmAia0 $O/packet-too-big.pcap 200 'ip6 and not (ip6[6] == 58 and ip6[40] >= 133 and ip6[40] <= 137)'
nsx $A ping -6 -M do -c 3 -i 0.3 -W 1 -s 1452 2001:db8:7100::2 || true
nsx $A ping -6 -M do -c 2 -i 0.3 -W 1 -s 1352 2001:db8:7100::2 >/dev/null || true
nsx $A $NETTOOL tcpsend 2001:db8:7100::3 5002 --bytes 200000 --abort-after 8
wait $SRV || true
cap_stop $CAP_PID

log "DF ping sweep across a bridge with 1500/4000 ports (silent drops)"
SW=lmA-icmp-sw; ns_add $SW; mkbridge $SW lmAbrSwp
for h in a:10:9000 b:20:1500 c:30:9000 d:40:4000; do
  IFS=: read -r n o pm <<<"$h"
  ns_add lmA-icmp-s$n
  veth lmA-icmp-s$n lmAis${n}0 $SW lmAisp$n 02:00:00:00:d5:$o 02:00:00:01:d5:$o 9000
  ip -n $SW link set lmAisp$n mtu $pm
  nooffload lmA-icmp-s$n lmAis${n}0; nooffload $SW lmAisp$n
  port $SW lmAisp$n lmAbrSwp
  ip -n lmA-icmp-s$n addr add 192.0.2.$o/24 dev lmAis${n}0
done
sleep 1
SIZES="1000 1472 1473 1500 2000 2500 3000 3500 3972 3973 4000 4500 5000 5500 6000 6500 7000 7500 8000 8500 8972"
cap_start lmA-icmp-sa lmAisa0 $O/df-sweep.pcap 200 arp or icmp
for t in 192.0.2.20 192.0.2.30 192.0.2.40; do
  bg bash -c "for s in $SIZES; do ip netns exec lmA-icmp-sa ping -M do -c 1 -W 1 -s \$s $t >/dev/null; echo \"$t \$s rc=\$?\"; done"
done
wait "${_PIDS[@]: -3}" || true
cap_stop $CAP_PID
log "icmp done"
