#!/bin/bash
# ARP scenarios -> captures/arp/*.pcap . All captured on the observer host "c"
# (192.0.2.10, 02:00:00:00:a1:10) attached to bridge lmAbrArp.
# Hosts: x 192.0.2.20 ..:a1:20, y 192.0.2.30 ..:a1:30,
#        d1/d2 both 192.0.2.40 (..:a1:41 / ..:a1:42), vmx ..:a1:51 / vmy ..:a1:52 (VM IP 192.0.2.50)
source "$(dirname "$0")/lib.sh"
O=$CAPROOT/arp
SW=lmA-arp-sw
ns_add $SW; mkbridge $SW lmAbrArp
H=(c x y d1 d2 vmx vmy)
declare -A IP=([c]=192.0.2.10 [x]=192.0.2.20 [y]=192.0.2.30 [d1]=192.0.2.40 [d2]=192.0.2.40 [vmx]= [vmy]=)
declare -A MAC=([c]=10 [x]=20 [y]=30 [d1]=41 [d2]=42 [vmx]=51 [vmy]=52)
for h in "${H[@]}"; do
  ns_add lmA-arp-$h
  veth lmA-arp-$h lmAa${h}0 $SW lmAap$h 02:00:00:00:a1:${MAC[$h]} 02:00:00:01:a1:${MAC[$h]}
  port $SW lmAap$h lmAbrArp
  [ -n "${IP[$h]}" ] && ip -n lmA-arp-$h addr add ${IP[$h]}/24 dev lmAa${h}0
done
C=lmA-arp-c; CI=lmAac0
sleep 1

log "normal (clean): c resolves x and y, a few pings over ~10 s"
cap_start $C $CI $O/normal.pcap 200 arp or icmp
for i in 1 2 3; do
  nsx $C ping -c 2 -i 0.5 -W 1 192.0.2.20 >/dev/null || true
  nsx $C ping -c 2 -i 0.5 -W 1 192.0.2.30 >/dev/null || true
  nsx $C ip neigh flush dev $CI
  sleep 2
done
cap_stop $CAP_PID 1

log "gratuitous ARP, request form (arping -U): x announces 192.0.2.20 three times"
cap_start $C $CI $O/garp-request.pcap 200 arp
nsx lmA-arp-x arping -q -U -c 3 -W 0.3 -i lmAax0 -S 192.0.2.20 192.0.2.20 || true
cap_stop $CAP_PID

log "gratuitous ARP, reply form (arping -U -P): y announces 192.0.2.30 three times"
cap_start $C $CI $O/garp-reply.pcap 200 arp
nsx lmA-arp-y arping -q -U -P -c 3 -W 0.3 -i lmAay0 -S 192.0.2.30 192.0.2.30 || true
cap_stop $CAP_PID

log "ARP probes (sender IP 0.0.0.0, arping -0) from c: free 192.0.2.60 x3, in-use 192.0.2.20 x3 (x answers)"
cap_start $C $CI $O/arp-probe.pcap 200 arp
nsx $C arping -q -0 -c 3 -W 0.3 -i $CI 192.0.2.60 || true
nsx $C arping -q -0 -c 3 -W 0.3 -i $CI 192.0.2.20 || true
cap_stop $CAP_PID

log "duplicate IP: d1 and d2 both own 192.0.2.40; c ARPs for it 5 times and pings it"
nsx $C ip neigh flush dev $CI
cap_start $C $CI $O/duplicate-ip.pcap 200 arp or icmp
nsx $C arping -q -c 5 -W 0.5 -i $CI 192.0.2.40 || true
nsx $C ping -c 3 -i 0.3 -W 1 192.0.2.40 >/dev/null || true
cap_stop $CAP_PID 1
# end of the duplicate: d1/d2 leave the segment so they do not show up later
ip -n lmA-arp-d1 link set lmAad10 down; ip -n lmA-arp-d2 link set lmAad20 down

log "ip-moved (live migration): 192.0.2.50 on vmx, then moved to vmy + gratuitous ARP"
nsx $C ip neigh flush dev $CI
ip -n lmA-arp-vmx addr add 192.0.2.50/24 dev lmAavmx0
cap_start $C $CI $O/ip-moved.pcap 200 arp or icmp
bg nsx $C ping -q -c 40 -i 0.2 -W 1 -w 12 192.0.2.50; PING=$LAST_PID
sleep 3
ip -n lmA-arp-vmx addr del 192.0.2.50/24 dev lmAavmx0
sleep 0.3
ip -n lmA-arp-vmy addr add 192.0.2.50/24 dev lmAavmy0
nsx lmA-arp-vmy arping -q -U -c 3 -W 0.2 -i lmAavmy0 -S 192.0.2.50 192.0.2.50 || true
wait $PING || true
cap_stop $CAP_PID 1

log "arp-storm: c sends ARP for every 192.0.2.1-254, 8 solicits each 250 ms apart (~2000 in ~2 s)"
nsx $C ip neigh flush dev $CI
nsx $C sysctl -qw net.ipv4.neigh.$CI.mcast_solicit=8 net.ipv4.neigh.$CI.retrans_time_ms=250
cap_start $C $CI $O/arp-storm.pcap 96 arp
nsx $C python3 - <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(1, 255):
    try: s.sendto(b"x", ("192.0.2.%d" % i, 9))
    except OSError: pass
PY
sleep 3
cap_stop $CAP_PID
log "arp done"
