#!/bin/bash
# Live migration over TCP 6600 at a standard MTU -> captures/throughput/steady-6600-mtu1500.pcap
# The same paced iperf3 transfer as throughput.sh's steady-6600 (MTU 9000), over a veth pair at
# MTU 1500: the pair of captures shows what jumbo frames change (frame sizes, MSS 1460 vs 8960,
# six times the packets for the same bytes). Captured on A, snaplen 128, offloads off.
#   A lmT-mtu-a 192.0.2.10 (02:00:00:00:f9:10, lmTma0) <-> B lmT-mtu-b 192.0.2.20 (02:00:00:00:f9:20, lmTmb0)
source "$(dirname "$0")/lib.sh"
O=$CAPROOT/throughput
A=lmT-mtu-a; B=lmT-mtu-b
RATE=${RATE:-10M}   # 10 Mbit/s keeps the file under 1 MB at 1500-byte frames
ns_add $A; ns_add $B
veth $A lmTma0 $B lmTmb0 02:00:00:00:f9:10 02:00:00:00:f9:20 1500
nooffload $A lmTma0; nooffload $B lmTmb0
ip -n $A addr add 192.0.2.10/24 dev lmTma0; ip -n $B addr add 192.0.2.20/24 dev lmTmb0
sleep 1
nsx $A ping -c1 -W1 192.0.2.20 >/dev/null   # resolve ARP before the capture
log "steady at MTU 1500: iperf3 -t 6 -b $RATE to 192.0.2.20:6600"
cap_start $A lmTma0 $O/steady-6600-mtu1500.pcap 128 tcp port 6600
bg nsx $B timeout 20 iperf3 -s -1 -p 6600 -B 192.0.2.20 >/dev/null 2>&1; srv=$LAST_PID
sleep 0.5
python3 -c 'import time; time.sleep((0.45 - time.time() % 1) % 1)'
nsx $A timeout 20 iperf3 -c 192.0.2.20 -p 6600 -t 6 -b $RATE --connect-timeout 2000 >/dev/null || true
wait $srv 2>/dev/null || true
cap_stop $CAP_PID 1
log "done: $O/steady-6600-mtu1500.pcap"
