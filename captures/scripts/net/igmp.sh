#!/bin/bash
# IGMP scenarios -> captures/igmp/*.pcap
# Bridge lmAbrIg (ns lmA-igmp-sw, 192.0.2.1, 02:00:00:00:b2:01): mcast_snooping 1,
# mcast_query_interval 1000 (=10 s), querier on/off per capture, query source = 192.0.2.1.
# Hosts h1 192.0.2.11 (..:b2:11), h2 192.0.2.12 (..:b2:12), src 192.0.2.14 (..:b2:14).
# Capture point: monitor host "mon" (..:b2:99, no IP) on a port set mcast_router 2
# (permanent multicast-router port => receives every report/leave/query and all multicast data).
# Usage: igmp.sh [v2|v3|clean|noquerier]...   (default: all)
source "$(dirname "$0")/lib.sh"
O=$CAPROOT/igmp
SW=lmA-igmp-sw

topo() { # topo QUERIER(0/1) IGMPVER(2/3)
  local q=$1 v=$2
  lm_cleanup; _NS=(); _PIDS=()
  ns_add $SW
  nsx $SW sysctl -qw net.ipv4.conf.default.force_igmp_version=$v net.ipv4.conf.all.force_igmp_version=$v
  ip -n $SW link add lmAbrIg address 02:00:00:00:b2:01 type bridge mcast_snooping 1 mcast_querier $q \
     mcast_query_interval 1000 mcast_igmp_version $v mcast_query_use_ifaddr 1 \
     mcast_startup_query_interval 250 mcast_query_response_interval 500
  ip -n $SW addr add 192.0.2.1/24 dev lmAbrIg
  for h in h1:11 h2:12 src:14 mon:99; do
    local n=${h%%:*} m=${h##*:}
    ns_add lmA-igmp-$n
    veth lmA-igmp-$n lmAi${n}0 $SW lmAip$n 02:00:00:00:b2:$m 02:00:00:01:b2:$m
    port $SW lmAip$n lmAbrIg
    [ $n = mon ] || ip -n lmA-igmp-$n addr add 192.0.2.$m/24 dev lmAi${n}0
    nsx lmA-igmp-$n sysctl -qw net.ipv4.conf.lmAi${n}0.force_igmp_version=$v \
       net.ipv4.conf.lmAi${n}0.igmpv2_unsolicited_report_interval=1000 \
       net.ipv4.conf.lmAi${n}0.igmpv3_unsolicited_report_interval=1000
  done
  ip -n $SW link set dev lmAipmon type bridge_slave mcast_router 2
  ip -n lmA-igmp-mon link set lmAimon0 promisc on
  sleep 0.5
}
join()  { bg nsx lmA-igmp-$1 $NETTOOL mjoin 192.0.2.$2 "${@:4}" --hold $3 --leave; }
msend() { nsx lmA-igmp-src $NETTOOL msend 192.0.2.14 $1 --count $2 --interval 0.2; }

querier_run() { # querier_run FILE VER UNREG(0/1)
  topo 1 $2
  ip -n $SW link set lmAbrIg up
  cap_start lmA-igmp-mon lmAimon0 $O/$1 200 igmp or udp
  sleep 1
  join h1 11 20 239.1.1.1 239.255.0.1
  join h2 12 12 239.1.1.1 239.255.1.1
  sleep 2
  msend 239.1.1.1 20; msend 239.255.0.1 10; msend 239.255.1.1 10
  if [ "$3" = 1 ]; then msend 239.1.2.3 20; msend 239.255.9.9 10; fi
  sleep 16
  cap_stop $CAP_PID 0.5
}

run_noquerier() {
  topo 0 3
  ip -n $SW link set lmAbrIg up
  cap_start lmA-igmp-mon lmAimon0 $O/no-querier.pcap 200 igmp or udp
  local t0=$SECONDS
  join h1 11 132 239.1.1.1 239.255.0.1
  sleep 5
  join h2 12 30 239.1.1.1
  sleep 5
  msend 239.1.1.1 5
  sleep 50
  join h2 12 30 239.255.2.2
  sleep 5
  msend 239.255.2.2 5
  while [ $((SECONDS - t0)) -lt 138 ]; do sleep 1; done
  cap_stop $CAP_PID 0.5
}

SEL=${*:-v2 v3 clean noquerier}
for s in $SEL; do
  case $s in
    v2) log "IGMPv2 + querier + unregistered multicast"; querier_run igmpv2-unregistered.pcap 2 1 ;;
    v3) log "IGMPv3 + querier + unregistered multicast"; querier_run igmpv3-unregistered.pcap 3 1 ;;
    clean) log "IGMPv3 + querier, only joined groups (clean)"; querier_run clean-querier.pcap 3 0 ;;
    noquerier) log "no querier, ~138 s"; run_noquerier ;;
  esac
done
log "igmp done"
