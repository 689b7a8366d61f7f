"""Windows NLB: clusters, and `nlb-unicast-flooding` / `nlb-multicast-flooding`.

Fills ``report["nlb"]["clusters"]``, one entry per cluster virtual IP (``vip``; null when only
an IGMP-mode cluster MAC was seen with no unicast IP sent to it), built from:

- heartbeats (ethertype 0x886F, query ``nlb_heartbeat_hosts``): the VIP, each host's id
  (priority), dedicated IP and MAC;
- ARP packets mapping an IP to a cluster MAC (query ``nlb_arp_cluster_macs``);
- frames sent to a cluster MAC (query ``nlb_cluster_mac_traffic``): unicast ``02:bf:VIP``,
  multicast ``03:bf:VIP``, IGMP multicast ``01:00:5e:7f:x:y`` (group 239.255.x.y). The last
  MAC is shared with every 239.255.x.y group, so only frames to it that are not IP multicast
  (heartbeats, traffic to the unicast VIP) count;
- IGMP joins of the cluster's group 239.255.x.y (from ``report["igmp"]["groups"]``).

``mode`` is ``unicast``, ``multicast`` or ``igmp``: from the cluster MAC when one was seen
(ARP or traffic), else from the heartbeats (to 01:00:5e:7f → igmp; from a masked
02:<host id>:VIP source → unicast; else multicast).

Findings, per cluster with client traffic (IP frames other than IGMP) to its cluster MAC:
``nlb-unicast-flooding`` (warning) for unicast mode, ``nlb-multicast-flooding`` (warning) for
multicast mode, and ``nlb-multicast-flooding`` (info) for IGMP mode when no host joined the
cluster's group in the capture (snooping switches then have nothing to constrain it with).
"""

from __future__ import annotations

from typing import Any

from lmcap.findings import finding
from lmcap.fmt import human_bps, human_bytes, iso_ns

MODES = {"02:bf:": "unicast", "03:bf:": "multicast", "01:00:5e:7f:": "igmp"}


def _mode_of_mac(mac: str | None) -> str | None:
    for prefix, mode in MODES.items():
        if mac and mac.startswith(prefix):
            return mode
    return None


def _vip_from_mac(mac: str) -> str | None:
    if mac.startswith(("02:bf:", "03:bf:")):
        return ".".join(str(int(b, 16)) for b in mac.split(":")[2:])
    return None


def _cluster_mac(mode: str, vip: str) -> str:
    o = [int(x) for x in vip.split(".")]
    if mode == "unicast":
        return "02:bf:" + ":".join(f"{b:02x}" for b in o)
    if mode == "multicast":
        return "03:bf:" + ":".join(f"{b:02x}" for b in o)
    return f"01:00:5e:7f:{o[2]:02x}:{o[3]:02x}"


def _igmp_group(vip: str) -> str:
    o = vip.split(".")
    return f"239.255.{o[2]}.{o[3]}"


def _vip_matches_igmp_mac(vip: str, mac: str) -> bool:
    o = [int(x) for x in vip.split(".")]
    return mac == f"01:00:5e:7f:{o[2]:02x}:{o[3]:02x}"


def _is_ipv4(s: str | None) -> bool:
    parts = (s or "").split(".")
    return len(parts) == 4 and all(p.isdigit() for p in parts)


def _mode_from_heartbeats(vip: str, hosts: list[dict[str, Any]]) -> str:
    if any((h["dst_mac"] or "").startswith("01:00:5e:7f:") for h in hosts):
        return "igmp"
    tail = ":".join(f"{int(x):02x}" for x in vip.split("."))
    if any(
        (h["src_mac"] or "").startswith("02:") and (h["src_mac"] or "").endswith(tail)
        for h in hosts
    ):
        return "unicast"
    return "multicast"


def run(ctx) -> None:
    hb = ctx.run("nlb_heartbeat_hosts")
    arp = ctx.run("nlb_arp_cluster_macs")
    traffic = ctx.run("nlb_cluster_mac_traffic")
    igmp_groups = {g["group"]: g for g in ctx.report.get("igmp", {}).get("groups", [])}

    clusters: dict[str | None, dict[str, Any]] = {}

    def cluster(vip: str | None) -> dict[str, Any]:
        return clusters.setdefault(
            vip,
            {"vip": vip, "macs": set(), "hb": [], "arp": [], "traffic": [], "sources": set()},
        )

    for h in hb:
        c = cluster(h["vip"])
        c["hb"].append(h)
        c["sources"].add("heartbeats")
    for a in arp:
        c = cluster(a["vip"])
        c["arp"].append(a)
        c["macs"].add(a["cluster_mac"])
        c["sources"].add("arp")
    for t in traffic:
        mac = t["cluster_mac"]
        vip = _vip_from_mac(mac)
        if vip is None:  # IGMP mode: the VIP is the unicast IP the frames were sent to
            known = [v for v in clusters if v and _vip_matches_igmp_mac(v, mac)]
            sent = [ip for ip in t["dst_ips"] if _is_ipv4(ip) and _vip_matches_igmp_mac(ip, mac)]
            vip = (known or sent or [None])[0]
        c = cluster(vip)
        c["traffic"].append(t)
        c["macs"].add(mac)
        c["sources"].add("cluster_mac_traffic")

    out = []
    for vip, c in sorted(clusters.items(), key=lambda kv: (kv[0] is None, kv[0] or "")):
        modes = {_mode_of_mac(m) for m in c["macs"]} - {None}
        if modes:
            mode = sorted(modes)[0] if len(modes) == 1 else "mixed"
        elif vip and c["hb"]:
            mode = _mode_from_heartbeats(vip, c["hb"])
        else:
            mode = None
        if c["macs"]:
            cluster_mac = sorted(c["macs"])[0]
        elif vip and mode in ("unicast", "multicast", "igmp"):
            cluster_mac = _cluster_mac(mode, vip)
        else:
            cluster_mac = None
        group = None
        if mode == "igmp":
            if vip:
                group = _igmp_group(vip)
            elif cluster_mac:
                o = cluster_mac.split(":")
                group = f"239.255.{int(o[4], 16)}.{int(o[5], 16)}"
        members = igmp_groups.get(group, {}).get("members", []) if group else []
        if members:
            c["sources"].add("igmp")
        tr = c["traffic"]
        client_frames = sum(t["client_frames"] for t in tr)
        traffic_summary = {
            "frames": sum(t["frames"] for t in tr),
            "bytes": sum(t["bytes"] for t in tr),
            "client_frames": client_frames,
            "client_bytes": sum(t["client_bytes"] for t in tr),
            "clients": sorted({x for t in tr for x in t["clients"]}),
            "client_macs": sorted({x for t in tr for x in t["client_macs"]}),
            "dst_ips": sorted({x for t in tr for x in t["dst_ips"]}),
            "client_fps": round(sum(t["client_fps"] for t in tr), 3),
            "client_bps": round(sum(t["client_bps"] for t in tr), 1),
            "share_frames": round(sum(t["share_frames"] for t in tr), 6),
            "share_bytes": round(sum(t["share_bytes"] for t in tr), 6),
            "vlans": sorted({t["vlan"] for t in tr if t["vlan"] is not None}),
            "first_client_frame": min(
                (t["first_client_frame"] for t in tr if t["first_client_frame"]), default=None
            ),
            "first_seen": iso_ns(min((t["first_ns"] for t in tr if t["first_ns"]), default=None)),
            "last_seen": iso_ns(max((t["last_ns"] for t in tr if t["last_ns"]), default=None)),
        }
        out.append(
            {
                "vip": vip,
                "mode": mode,
                "cluster_mac": cluster_mac,
                "cluster_macs_seen": sorted(c["macs"]),
                "igmp_group": group,
                "igmp_members": members,
                "hosts": [
                    {
                        "host_id": h["host_id"],
                        "my_host_id": h["my_host_id"],
                        "dedicated_ip": h["dedicated_ip"],
                        "mac": h["src_mac"],
                        "heartbeat_dst_mac": h["dst_mac"],
                        "vlan": h["vlan"],
                        "version": h["version"],
                        "heartbeats": h["heartbeats"],
                        "convergence_state": h["convergence_state"],
                        "first_seen": iso_ns(h["first_ns"]),
                        "last_seen": iso_ns(h["last_ns"]),
                        "first_frame": h["first_frame"],
                    }
                    for h in c["hb"]
                ],
                "arp": [
                    {
                        "cluster_mac": a["cluster_mac"],
                        "vlan": a["vlan"],
                        "frames": a["frames"],
                        "replies": a["replies"],
                        "answered_by": a["hosts"],
                        "first_frame": a["first_frame"],
                        "first_seen": iso_ns(a["first_ns"]),
                    }
                    for a in c["arp"]
                ],
                "traffic": traffic_summary,
                "sources": sorted(c["sources"]),
            }
        )
    ctx.report["nlb"]["clusters"] = out

    for cl in out:
        t = cl["traffic"]
        if not t["client_frames"]:
            continue
        mode = cl["mode"]
        if mode == "unicast":
            fid, sev = "nlb-unicast-flooding", "warning"
            why = "a unicast cluster MAC never appears as a source, so switches flood it"
        elif mode == "igmp" and not cl["igmp_members"]:
            fid, sev = "nlb-multicast-flooding", "info"
            why = (
                f"no host joined {cl['igmp_group']} in the capture, so IGMP snooping has "
                "nothing to constrain it with"
            )
        elif mode in ("multicast", "mixed"):
            fid, sev = "nlb-multicast-flooding", "warning"
            why = "a multicast cluster MAC without static entries is flooded to every port"
        else:
            continue
        hosts = [h["dedicated_ip"] for h in cl["hosts"]]
        ctx.add(
            finding(
                fid,
                sev,
                f"NLB cluster {cl['vip'] or '?'} ({mode} mode, MAC {cl['cluster_mac']}): "
                f"{t['client_frames']} client frames, {human_bytes(t['client_bytes'])} "
                f"({human_bps(t['client_bps'])}, {100 * t['share_bytes']:.1f}% of the "
                f"capture's bytes) to the cluster MAC: {why}",
                {
                    "vip": cl["vip"],
                    "mode": mode,
                    "cluster_mac": cl["cluster_mac"],
                    "igmp_group": cl["igmp_group"],
                    "hosts": hosts,
                    "frames": t["client_frames"],
                    "bytes": t["client_bytes"],
                    "fps": t["client_fps"],
                    "bps": t["client_bps"],
                    "share_frames": t["share_frames"],
                    "share_bytes": t["share_bytes"],
                    "clients": t["clients"][: ctx.params.evidence_list_max],
                    "client_macs": t["client_macs"][: ctx.params.evidence_list_max],
                    "vlans": t["vlans"],
                    "first_frame": t["first_client_frame"],
                    "first_seen": t["first_seen"],
                    "last_seen": t["last_seen"],
                },
                "Switch the cluster to IGMP multicast mode (cluster MAC "
                + (_cluster_mac("igmp", cl["vip"]) if cl["vip"] else "01:00:5e:7f:x:y")
                + (f", group {_igmp_group(cl['vip'])}" if cl["vip"] else "")
                + ") with IGMP snooping and a querier on the VLAN, or pin the cluster MAC "
                "with static MAC entries ('mac address-table static <cluster MAC> vlan <id> "
                "interface <NLB host ports>') on the switches. Alternatively put the cluster "
                "in its own VLAN so the flooding stays there.",
            )
        )
