#!/bin/bash
# IP fragmentation scenarios -> captures/frag/*.pcap (captured on receiver B's interface).
# A 198.51.100.2 / 2001:db8:5100::2 (02:00:00:00:c3:0a) -- R (router) -- B 203.0.113.2,.3 / 2001:db8:7100::2,::3 (02:00:00:00:c3:0b)
# All links MTU 1500, offloads off. B: net.ipv4.ipfrag_time=3, net.ipv6.ip6frag_time=3.
# Incomplete datagrams: R drops the 2nd fragment (v4 offset 1480, v6 offset 1448) of datagrams to
# 203.0.113.3 / 2001:db8:7100::3 with tc u32 + mirred redirect to a down veth (silent drop).
source "$(dirname "$0")/lib.sh"
O=$CAPROOT/frag
A=lmA-frag-a; R=lmA-frag-r; B=lmA-frag-b
for n in $A $R $B; do ns_add $n v6; done
veth $A lmAfa0 $R lmAfra 02:00:00:00:c3:0a 02:00:00:00:c3:1a
veth $R lmAfrb $B lmAfb0 02:00:00:00:c3:1b 02:00:00:00:c3:0b
for x in "$A lmAfa0" "$R lmAfra" "$R lmAfrb" "$B lmAfb0"; do nooffload $x; done
ip -n $A addr add 198.51.100.2/24 dev lmAfa0; ip -n $A -6 addr add 2001:db8:5100::2/64 dev lmAfa0
ip -n $R addr add 198.51.100.1/24 dev lmAfra; ip -n $R -6 addr add 2001:db8:5100::1/64 dev lmAfra
ip -n $R addr add 203.0.113.1/24 dev lmAfrb;  ip -n $R -6 addr add 2001:db8:7100::1/64 dev lmAfrb
ip -n $B addr add 203.0.113.2/24 dev lmAfb0;  ip -n $B addr add 203.0.113.3/24 dev lmAfb0
ip -n $B -6 addr add 2001:db8:7100::2/64 dev lmAfb0; ip -n $B -6 addr add 2001:db8:7100::3/64 dev lmAfb0
ip -n $A route add default via 198.51.100.1; ip -n $A -6 route add default via 2001:db8:5100::1
ip -n $B route add default via 203.0.113.1;  ip -n $B -6 route add default via 2001:db8:7100::1
nsx $R sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
nsx $B sysctl -qw net.ipv4.ipfrag_time=3 net.ipv6.ip6frag_time=3
# silent drop of one non-first fragment
ip -n $R link add lmAfdrop type veth peer name lmAfdrop1   # stays down: redirected frames are dropped
tc -n $R qdisc add dev lmAfrb clsact
tc -n $R filter add dev lmAfrb egress protocol ip prio 1 u32 match ip dst 203.0.113.3/32 \
   match u16 0x00b9 0x1fff at 6 action mirred egress redirect dev lmAfdrop
tc -n $R filter add dev lmAfrb egress protocol ipv6 prio 2 u32 match ip6 dst 2001:db8:7100::3/128 \
   match u8 44 0xff at 6 match u16 0x05a8 0xfff8 at 42 action mirred egress redirect dev lmAfdrop
sleep 1
# warm up neighbours so captures start clean
nsx $A ping -c1 -W1 203.0.113.2 >/dev/null; nsx $A ping -6 -c1 -W1 2001:db8:7100::2 >/dev/null || true
nsx $A ping -c1 -W1 203.0.113.3 >/dev/null; nsx $A ping -6 -c1 -W1 2001:db8:7100::3 >/dev/null || true

log "no fragments (clean): ping 1000, UDP 1200 B, v4 + v6"
bg nsx $B $NETTOOL udpsink :: 5001 --timeout 4
cap_start $B lmAfb0 $O/no-fragments.pcap 0 'not (ip6[6] == 58 and ip6[40] >= 133 and ip6[40] <= 137)'
nsx $A ping -c 3 -i 0.2 -s 1000 203.0.113.2 >/dev/null
nsx $A ping -6 -c 3 -i 0.2 -s 1000 2001:db8:7100::2 >/dev/null
nsx $A $NETTOOL udpsend 203.0.113.2 5001 --size 1200 --count 3
nsx $A $NETTOOL udpsend 2001:db8:7100::2 5001 --size 1200 --count 3
cap_stop $CAP_PID; wait $LAST_PID || true

log "IPv4 fragments: ping -s 4000 x3, UDP 3000 x3 and 8000 x2"
bg nsx $B $NETTOOL udpsink 0.0.0.0 5001 --timeout 4
cap_start $B lmAfb0 $O/ipv4-fragments.pcap 0 ip
nsx $A ping -c 3 -i 0.3 -s 4000 203.0.113.2 >/dev/null
nsx $A $NETTOOL udpsend 203.0.113.2 5001 --size 3000 --count 3
nsx $A $NETTOOL udpsend 203.0.113.2 5001 --size 8000 --count 2
cap_stop $CAP_PID; wait $LAST_PID || true

log "IPv6 fragments: ping -6 -s 4000 x3, UDP 3000 x3"
bg nsx $B $NETTOOL udpsink :: 5001 --timeout 4
cap_start $B lmAfb0 $O/ipv6-fragments.pcap 0 'ip6 and not (ip6[6] == 58 and ip6[40] >= 133 and ip6[40] <= 137)'
nsx $A ping -6 -c 3 -i 0.3 -s 4000 2001:db8:7100::2 >/dev/null
nsx $A $NETTOOL udpsend 2001:db8:7100::2 5001 --size 3000 --count 3
cap_stop $CAP_PID; wait $LAST_PID || true

log "incomplete IPv4 datagrams: ping -s 4000 x2 + UDP 4000 x1 to 203.0.113.3, 2nd fragment dropped"
bg nsx $B $NETTOOL udpsink 0.0.0.0 5001 --timeout 8
cap_start $B lmAfb0 $O/incomplete-ipv4.pcap 0 ip
nsx $A ping -c 2 -i 0.5 -W 1 -s 4000 203.0.113.3 >/dev/null || true
nsx $A $NETTOOL udpsend 203.0.113.3 5001 --size 4000 --count 1
sleep 5
cap_stop $CAP_PID; wait $LAST_PID || true

log "incomplete IPv6 datagrams: ping -6 -s 4000 x2 + UDP 4000 x1 to 2001:db8:7100::3"
bg nsx $B $NETTOOL udpsink :: 5001 --timeout 8
cap_start $B lmAfb0 $O/incomplete-ipv6.pcap 0 'ip6 and not (ip6[6] == 58 and ip6[40] >= 133 and ip6[40] <= 137)'
nsx $A ping -6 -c 2 -i 0.5 -W 1 -s 4000 2001:db8:7100::3 >/dev/null || true
nsx $A $NETTOOL udpsend 2001:db8:7100::3 5001 --size 4000 --count 1
sleep 5
cap_stop $CAP_PID; wait $LAST_PID || true
log "frag done"
