#!/bin/bash
# Print the tshark facts quoted in the "SMB (captures/smb/)" section of captures/README-net.md.
# Usage: smb-verify.sh [file...]   (default: every file in captures/smb/)
cd "$(dirname "$0")/../../smb" || exit 1
t() { tshark -r "$1" "${@:2}" 2>/dev/null; }
n() { t "$1" -Y "$2" | wc -l; }
# one line per stream: server address, client port, SMB1/SMB2 commands (requests) with counts,
# non-zero session ids (last 8 hex digits), binding SESSION_SETUP requests, SESSION_SETUP statuses
streams() {
  t "$1" -Y 'smb||smb2' -T fields -E occurrence=a -E aggregator=, -e tcp.stream -e ip.src -e ip.dst \
    -e tcp.srcport -e tcp.dstport -e smb.cmd -e smb.flags.response -e smb2.cmd -e smb2.flags.response \
    -e smb2.sesid -e smb2.ses_req_flags.session_binding -e smb2.nt_status | python3 -c '
import collections, sys
N = {0:"NEGOTIATE",1:"SESSION_SETUP",2:"LOGOFF",3:"TREE_CONNECT",4:"TREE_DISCONNECT",5:"CREATE",6:"CLOSE",
     7:"FLUSH",8:"READ",9:"WRITE",10:"LOCK",11:"IOCTL",12:"CANCEL",13:"ECHO",14:"QUERY_DIRECTORY",
     15:"CHANGE_NOTIFY",16:"QUERY_INFO",17:"SET_INFO",18:"OPLOCK_BREAK"}
st = collections.OrderedDict()
for line in sys.stdin:
    s, src, dst, sp, dp, c1, r1, c2, r2, ses, bind, status = (line.rstrip("\n").split("\t") + [""] * 12)[:12]
    d = st.setdefault(int(s), dict(srv=None, cli=None, cmds=collections.Counter(), ses=set(), bind=0, ss=[]))
    srv, cli = (dst, src + ":" + sp) if dp == "445" else (src, dst + ":" + dp)
    d["srv"], d["cli"] = srv, cli
    for c, r in zip(c1.split(","), r1.split(",")):
        if c and r == "0": d["cmds"]["SMB1:" + c] += 1
    cs, rs = c2.split(","), r2.split(",")
    for i, c in enumerate(cs):
        r = rs[i] if i < len(rs) else rs[-1]
        if c and r in ("0", "False"): d["cmds"][N.get(int(c), c)] += 1
    for x in ses.split(","):
        if x and int(x, 16): d["ses"].add(x[-8:])
    d["bind"] += sum(1 for b in bind.split(",") if b in ("1", "True"))
    if "1" in cs and ("1" in rs or "True" in rs): d["ss"] += [x for x in status.split(",") if x]
for s in sorted(st):
    d = st[s]
    cmds = " ".join("%sx%d" % kv for kv in d["cmds"].items())
    ses = ",".join(sorted(d["ses"])) or "-"
    print("  stream %d: %s -> %s:445  %s  ses=%s  binding_req=%d" % (s, d["cli"], d["srv"], cmds, ses, d["bind"]))
'
}
summary() {
  local f=$1
  echo "== $f: $(stat -c %s "$f") bytes, $(capinfos -c "$f" | awk 'END{print $NF}') frames, \
snaplen $(capinfos -l "$f" | tail -1 | sed 's/^Packet size limit: *//'), \
tcp streams $(t "$f" -T fields -e tcp.stream | sort -u | grep -c .)"
  echo "  dialects (NEGOTIATE responses): $(t "$f" -Y 'smb2.cmd==0&&smb2.flags.response==1' -T fields -e smb2.dialect | sort | uniq -c | xargs)"
  echo "  smb2 headers: $(t "$f" -Y smb2 -T fields -e smb2.cmd | tr , '\n' | grep -c .)  transform headers: $(t "$f" -Y smb2.header.transform.msg_size -T fields -e smb2.header.transform.msg_size | tr , '\n' | grep -c .)  smb1 frames: $(n "$f" smb)"
  echo "  frames with >=2 NetBIOS headers: $(t "$f" -Y nbss -T fields -e nbss.length | awk -F, 'NF>=2' | wc -l)  max NetBIOS length: $(t "$f" -Y nbss -T fields -e nbss.length | tr , '\n' | sort -n | tail -1)"
  echo "  truncated frames (cap_len<len): $(n "$f" 'frame.cap_len<frame.len')  max frame.len: $(t "$f" -T fields -e frame.len | sort -n | tail -1)  SYN MSS: $(t "$f" -Y 'tcp.flags.syn==1' -T fields -e tcp.options.mss_val | sort | uniq -c | xargs)"
  echo "  tcp.analysis.zero_window by sender: $(t "$f" -Y tcp.analysis.zero_window -T fields -e ip.src | sort | uniq -c | xargs)  retransmissions: $(n "$f" tcp.analysis.retransmission)"
  echo "  session ids -> streams:"
  t "$f" -Y 'smb2.sesid!=0' -T fields -e smb2.sesid -e tcp.stream |
    awk '{n=split($1,a,","); for(i=1;i<=n;i++) if (a[i]!="0x0000000000000000") print a[i], $2}' | sort -u |
    awk '{s[$1]=s[$1]" "$2; c[$1]++} END{for(k in s) print "   ", k, c[k], "streams:" s[k]}' | sort
  echo "  binding SESSION_SETUP requests (smb2.ses_req_flags.session_binding==1) by server address:"
  t "$f" -Y 'smb2.ses_req_flags.session_binding==1' -T fields -e ip.dst -e smb2.sesid | sort | uniq -c | sed 's/^/   /'
  echo "  SESSION_SETUP response statuses: $(t "$f" -Y 'smb2.cmd==1&&smb2.flags.response==1' -T fields -e smb2.nt_status | sort | uniq -c | xargs)"
  echo "  FSCTL_QUERY_NETWORK_INTERFACE_INFO responses: $(n "$f" 'smb2.ioctl.function==0x001401fc&&smb2.flags.response==1')"
  t "$f" -Y 'smb2.ioctl.function==0x001401fc&&smb2.flags.response==1' -T fields -e tcp.stream \
    -e smb2.ioctl.network_interfaces.index -e smb2.ioctl.network_interfaces.capabilities \
    -e smb2.ioctl.network_interfaces.link_speed | sed 's/^/    stream /'
  t "$f" -Y 'smb2.ioctl.function==0x001401fc&&smb2.flags.response==1' -V | grep -E 'Socket IPv4:' | sed 's/^ */    /'
  echo "  per stream:"; streams "$f"
}
for f in ${*:-*.pcap *.pcapng}; do [ -f "$f" ] && summary "$f"; done
f=readwrite-full.pcap; [ -f $f ] && echo "== $f: WRITE requests $(t $f -Y 'smb2.cmd==9&&smb2.flags.response==0' -T fields -e smb2.write_length | tr , '\n' | grep -c .), READ requests $(t $f -Y 'smb2.cmd==8&&smb2.flags.response==0' -T fields -e smb2.read_length | tr , '\n' | grep -c .), segments per reassembled PDU: $(t $f -Y 'tcp.segment.count' -T fields -e tcp.segment.count | sort -n | uniq -c | xargs)"
f=readwrite-snap.pcap; [ -f $f ] && echo "== $f: WRITE requests found $(t $f -Y 'smb2.cmd==9&&smb2.flags.response==0' -T fields -e smb2.cmd | tr , '\n' | grep -c .), WRITE responses $(t $f -Y 'smb2.cmd==9&&smb2.flags.response==1' -T fields -e smb2.cmd | tr , '\n' | grep -c .), READ requests $(t $f -Y 'smb2.cmd==8&&smb2.flags.response==0' -T fields -e smb2.cmd | tr , '\n' | grep -c .), READ responses $(t $f -Y 'smb2.cmd==8&&smb2.flags.response==1' -T fields -e smb2.cmd | tr , '\n' | grep -c .)"
# Raw scan for truncated files: SMB2 headers that start a captured TCP payload, either at offset 0
# (smb-rs sends the 4-byte NetBIOS header in a segment of its own) or right after a NetBIOS header.
# Prints per stream and direction the commands found, session ids, and the SESSION_SETUP request
# flags byte (0x01 = binding), which lies within the first 200 bytes of the frame.
rawscan() {
  t "$1" -Y 'tcp.len>0' -T fields -e tcp.stream -e ip.dst -e tcp.dstport -e tcp.payload | python3 -c '
import collections, struct, sys
N = {0:"NEGOTIATE",1:"SESSION_SETUP",2:"LOGOFF",3:"TREE_CONNECT",4:"TREE_DISCONNECT",5:"CREATE",6:"CLOSE",
     8:"READ",9:"WRITE",11:"IOCTL",14:"QUERY_DIRECTORY",16:"QUERY_INFO",17:"SET_INFO"}
out = collections.defaultdict(collections.Counter); ses = collections.defaultdict(set); srv = {}
for line in sys.stdin:
    s, dst, dport, hexp = line.rstrip("\n").split("\t")
    b = bytes.fromhex(hexp.replace(":", ""))
    for off in (0, 4):
        h = b[off:off + 64]
        if len(h) == 64 and h[:4] == b"\xfeSMB":
            cmd, = struct.unpack_from("<H", h, 12); fl, = struct.unpack_from("<I", h, 16)
            sid, = struct.unpack_from("<Q", h, 40); req = dport == "445"
            if req: srv[s] = dst
            st, = struct.unpack_from("<I", h, 8)
            k = N.get(cmd, str(cmd)) + ("" if req else "-resp") + ("(pending)" if not req and st == 0x103 else "")
            if cmd == 1 and req and len(b) > off + 66:
                k += "(flags=0x%02x)" % b[off + 66]
            out[s][k] += 1
            if sid: ses[s].add("%016x" % sid)
            break
for s in sorted(out, key=int):
    print("  stream %s (server %s): %s  ses=%s" % (s, srv.get(s), " ".join("%sx%d" % kv for kv in sorted(out[s].items())), ",".join(sorted(ses[s]))))
'
}
f=multichannel-transfer.pcapng; [ -f $f ] && { echo "== $f raw scan (SMB2 header at payload start):"; rawscan $f; }
exit 0
