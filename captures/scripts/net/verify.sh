#!/bin/bash
# Print the tshark counts quoted in captures/README-net.md for the namespace captures.
cd "$(dirname "$0")/../.."
t() { tshark -r "$1" -o ip.defragment:FALSE -o ipv6.defragment:FALSE "${@:2}" 2>/dev/null; }
n() { t "$1" -Y "$2" | wc -l; }
tot() { t "$1" | wc -l; }
echo "## arp"
f=arp/normal.pcap;        echo "$f total=$(tot $f) req=$(n $f arp.opcode==1) rep=$(n $f arp.opcode==2) gratuitous=$(n $f arp.isgratuitous==1) icmp=$(n $f icmp)"
f=arp/garp-request.pcap;  echo "$f total=$(tot $f) gratuitous=$(n $f arp.isgratuitous==1) op1=$(n $f 'arp.isgratuitous==1&&arp.opcode==1')"
f=arp/garp-reply.pcap;    echo "$f total=$(tot $f) gratuitous=$(n $f arp.isgratuitous==1) op2=$(n $f 'arp.isgratuitous==1&&arp.opcode==2')"
f=arp/arp-probe.pcap;     echo "$f total=$(tot $f) probes=$(n $f 'arp.opcode==1&&arp.src.proto_ipv4==0.0.0.0') probe.60=$(n $f 'arp.src.proto_ipv4==0.0.0.0&&arp.dst.proto_ipv4==192.0.2.60') probe.20=$(n $f 'arp.src.proto_ipv4==0.0.0.0&&arp.dst.proto_ipv4==192.0.2.20') replies=$(n $f arp.opcode==2)"
f=arp/duplicate-ip.pcap;  echo "$f total=$(tot $f) req.40=$(n $f 'arp.opcode==1&&arp.dst.proto_ipv4==192.0.2.40') rep.40=$(n $f 'arp.opcode==2&&arp.src.proto_ipv4==192.0.2.40')"; t $f -Y 'arp.opcode==2&&arp.src.proto_ipv4==192.0.2.40' -T fields -e arp.src.hw_mac | sort | uniq -c
f=arp/ip-moved.pcap;      echo "$f total=$(tot $f) echo_req=$(n $f icmp.type==8) echo_rep=$(n $f icmp.type==0) garp=$(n $f arp.isgratuitous==1)"; t $f -Y 'icmp.type==0' -T fields -e eth.src | sort | uniq -c; t $f -Y 'arp.src.proto_ipv4==192.0.2.50' -T fields -e frame.time_relative -e arp.opcode -e arp.src.hw_mac -e arp.dst.proto_ipv4
f=arp/arp-storm.pcap;     echo "$f total=$(tot $f) req=$(n $f arp.opcode==1) rep=$(n $f arp.opcode==2) targets=$(t $f -Y arp.opcode==1 -T fields -e arp.dst.proto_ipv4 | sort -u | wc -l) span=$(t $f -T fields -e frame.time_relative | tail -1)"
echo "## igmp"
for f in igmp/*.pcap; do
  echo "$f total=$(tot $f) span=$(t $f -T fields -e frame.time_relative | tail -1) queries=$(n $f igmp.type==0x11) v2report=$(n $f igmp.type==0x16) v2leave=$(n $f igmp.type==0x17) v3report=$(n $f igmp.type==0x22)"
  t $f -Y igmp.type==0x11 -T fields -e frame.time_relative -e ip.src -e igmp.version | tr '\n' ' '; echo
  t $f -Y udp -T fields -e ip.src -e ip.dst | sort | uniq -c
  t $f -Y 'igmp.type==0x22' -T fields -e frame.time_relative -e ip.src -e igmp.record_type -e igmp.maddr
  t $f -Y 'igmp.type==0x16||igmp.type==0x17' -T fields -e ip.src -e igmp.type -e igmp.maddr | sort | uniq -c
done
echo "## frag"
for f in frag/*.pcap; do
  echo "$f total=$(tot $f) v4frags=$(n $f 'ip.flags.mf==1||ip.frag_offset>0') v6frags=$(n $f ipv6.fraghdr) icmp_te_reasm=$(n $f 'icmp.type==11&&icmp.code==1') icmp6_te_reasm=$(n $f 'icmpv6.type==3&&icmpv6.code==1')"
  t $f -Y 'ip.flags.mf==1||ip.frag_offset>0||ipv6.fraghdr' -T fields -e ip.src -e ip.dst -e ip.id -e ip.frag_offset -e ipv6.src -e ipv6.dst -e ipv6.fraghdr.ident -e ipv6.fraghdr.offset | awk '{print $1,$2,$4}' | sort | uniq -c
done
echo "## icmp"
f=icmp/frag-needed.pcap;   echo "$f total=$(tot $f) fragneeded=$(n $f 'icmp.type==3&&icmp.code==4') mtu1400=$(n $f icmp.mtu==1400)"; t $f -Y 'icmp.type==3' -T fields -e ip.src -e ip.dst | sort | uniq -c; t $f -Y 'tcp.flags.syn==1' -T fields -e ip.src -e tcp.options.mss_val; t $f -Y 'ip.src==198.51.100.2&&tcp.len>0' -T fields -e ip.len | sort -n | uniq -c | sort -rn | head -3
f=icmp/packet-too-big.pcap; echo "$f total=$(tot $f) ptb=$(n $f icmpv6.type==2) mtu1400=$(n $f icmpv6.mtu==1400)"; t $f -Y 'icmpv6.type==2' -T fields -e ipv6.src -e ipv6.dst | sort | uniq -c; t $f -Y 'tcp.flags.syn==1' -T fields -e ipv6.src -e tcp.options.mss_val; t $f -Y 'ipv6.src==2001:db8:5100::2&&tcp.len>0' -T fields -e ipv6.plen | sort -n | uniq -c | sort -rn | head -3
f=icmp/df-sweep.pcap; echo "$f total=$(tot $f) echo_req=$(n $f icmp.type==8) echo_rep=$(n $f icmp.type==0) icmp_unreach=$(n $f icmp.type==3)"
for d in 192.0.2.20 192.0.2.30 192.0.2.40; do
  ans=$(t $f -Y "icmp.type==0&&ip.src==$d" -T fields -e icmp.seq -e ip.len | awk '{print $2-28}' | sort -n | tr '\n' ' ')
  req=$(t $f -Y "icmp.type==8&&ip.dst==$d" -T fields -e ip.len | awk '{print $1-28}' | sort -n | tr '\n' ' ')
  echo " $d requested: $req"; echo " $d answered:  $ans"
done
echo "## mtu"
for f in mtu/*.pcap; do
  echo "$f total=$(tot $f) retrans=$(n $f tcp.analysis.retransmission) rst=$(n $f tcp.flags.reset==1) fin=$(n $f tcp.flags.fin==1)"
  t $f -Y 'tcp.flags.syn==1' -T fields -e ip.src -e ip.dst -e tcp.options.mss_val
  t $f -Y 'tcp.len>0' -T fields -e ip.src -e ip.dst -e frame.len | sort | uniq -c | sort -rn | head -4
  t $f -Y icmp -T fields -e ip.src -e ip.dst -e icmp.type -e frame.len | sort | uniq -c
done
echo "## jumbo / offload / vlan"
for f in jumbo/*.pcap offload/*.pcap; do
  echo "$f total=$(tot $f) maxlen=$(t $f -T fields -e frame.len | sort -n | tail -1) gt1514=$(n $f 'frame.len>1514') gt1518=$(n $f 'frame.len>1518') truncated=$(n $f 'frame.cap_len<frame.len') maxcap=$(t $f -T fields -e frame.cap_len | sort -n | tail -1)"
  t $f -Y 'tcp.flags.syn==1' -T fields -e ip.src -e ip.dst -e tcp.options.mss_val
  t $f -T fields -e eth.src -e ip.src -e frame.len | awk '{k=$1" "$2; c[k]++; if($3>m[k])m[k]=$3} END{for(k in c) print "   "k, c[k], "max", m[k]}' | sort
done
for f in vlan/net-*.pcap; do
  echo "$f total=$(tot $f)"; t $f -T fields -e eth.type -e vlan.id -e vlan.etype -e _ws.col.Protocol | sort | uniq -c
done
echo "## throughput"
for f in throughput/*.pcap; do
  echo "$f total=$(tot $f) zero_window=$(n $f tcp.analysis.zero_window) retrans=$(n $f tcp.analysis.retransmission)"
  t $f -q -z io,stat,1
done
