#!/bin/bash
# Throughput scenarios -> captures/throughput/*.pcap (captured on A, snaplen 128, offloads off,
# filter "tcp port 6600"; TCP to port 6600 = Hyper-V live migration).
# Topology: one veth pair, MTU 9000 on both ends.
#   A lmT-tpt-a 192.0.2.10 (02:00:00:00:f8:10, lmTta0) <-> B lmT-tpt-b 192.0.2.20 (02:00:00:00:f8:20, lmTtb0)
# Every namespace/veth is named lmT...; only 192.0.2.0/24 is used; traffic never leaves the pair.
#   steady-6600      iperf3 -c B -p 6600 -t 6 -b $RATE (paced, flat per-second rate)
#   jagged-6600      python sender: $BURST paced for 1 s, silent for 1 s, x4. It connects on a whole
#                    wall-clock second, so both tshark's capture-relative and lmcap's epoch-aligned
#                    1 s buckets alternate full/empty (0.5 s on/0.5 s off would average out at 1 s).
#   zero-window-6600 B accepts with SO_RCVBUF 64 KiB (set before listen), reads nothing for 3 s,
#                    then reads slowly for 2 s, then drains; A sends 20 MB -> zero windows + probes
# Rates are far below what the veth can do: at snaplen 128 every 9014-byte frame costs 144 bytes of
# pcap (plus ~82 per ACK), so 800 Mbit/s for 6 s would be ~67k frames / ~12 MB. RATE/BURST keep each
# file under ~1 MB; override them (RATE=800M ./throughput.sh) for a full-rate but larger file.
source "$(dirname "$0")/lib.sh"
O=$CAPROOT/throughput
A=lmT-tpt-a; B=lmT-tpt-b
RATE=${RATE:-60M}             # steady: iperf3 -b
BURST=${BURST:-80}            # jagged: Mbit/s while a burst is on
T=$(mktemp -d)
trap 'rm -rf "$T"; lm_cleanup' EXIT

cat >"$T/tput.py" <<'EOF'
# stdlib-only helpers for throughput.sh; every loop is bounded in count and time.
import socket, sys, time
def sink(bind, port, stall, slow, timeout):
    """Accept one connection; read nothing for `stall` s, read 16 KiB / 20 ms for `slow` s, drain."""
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)   # before listen: sets the window
    s.bind((bind, port)); s.listen(1); s.settimeout(timeout)
    c, peer = s.accept(); c.settimeout(timeout); end = time.time() + timeout; total = 0
    time.sleep(stall)
    t1 = time.time() + slow
    for _ in range(int(slow / 0.02) + 1):
        if time.time() >= t1: break
        d = c.recv(16384)
        if not d: break
        total += len(d); time.sleep(0.02)
    for _ in range(100000):
        if time.time() > end: break
        d = c.recv(262144)
        if not d: break
        total += len(d)
    print(f"sink {peer} got {total} bytes", file=sys.stderr); c.close()
def drain(bind, port, timeout):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((bind, port)); s.listen(1); s.settimeout(timeout)
    c, peer = s.accept(); c.settimeout(timeout); end = time.time() + timeout; total = 0
    for _ in range(1000000):
        if time.time() > end: break
        d = c.recv(262144)
        if not d: break
        total += len(d)
    print(f"drain {peer} got {total} bytes", file=sys.stderr); c.close()
def send(host, port, nbytes, timeout):
    s = socket.create_connection((host, port), timeout=5); s.settimeout(timeout)
    s.sendall(b"M" * nbytes); s.shutdown(socket.SHUT_WR)
    s.recv(1); s.close(); print(f"send {nbytes} bytes", file=sys.stderr)
def jagged(host, port, mbps, cycles, on, off):
    """`cycles` x (paced at `mbps` for `on` s, silent for `off` s); bursts start on whole seconds."""
    cycles = min(cycles, 10); per10ms = int(mbps * 1e6 / 8 / 100); buf = b"J" * per10ms
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 262144)
    t = float(int(time.time()) + 1)                    # next whole wall-clock second:
    time.sleep(max(0, t - time.time()))                # connect there, so the capture-relative
    s.settimeout(10); s.connect((host, port)); total = 0   # and epoch 1 s buckets line up
    for _ in range(cycles):
        time.sleep(max(0, t - time.time()))
        for k in range(int(on * 100)):                 # one chunk per 10 ms slot
            if time.time() < t + k * 0.01: time.sleep(t + k * 0.01 - time.time())
            if time.time() > t + on: break
            s.sendall(buf); total += len(buf)
        t += on + off
    s.shutdown(socket.SHUT_WR); s.recv(1); s.close()
    print(f"jagged sent {total} bytes in {cycles} bursts", file=sys.stderr)
f = sys.argv[1]; a = sys.argv[2:]
if f == "sink": sink(a[0], int(a[1]), float(a[2]), float(a[3]), float(a[4]))
elif f == "drain": drain(a[0], int(a[1]), float(a[2]))
elif f == "send": send(a[0], int(a[1]), int(a[2]), float(a[3]))
elif f == "jagged": jagged(a[0], int(a[1]), float(a[2]), int(a[3]), float(a[4]), float(a[5]))
EOF
PY="python3 $T/tput.py"

topo() {
  lm_cleanup; _NS=(); _PIDS=()
  ns_add $A; ns_add $B
  veth $A lmTta0 $B lmTtb0 02:00:00:00:f8:10 02:00:00:00:f8:20 9000
  nooffload $A lmTta0; nooffload $B lmTtb0
  ip -n $A addr add 192.0.2.10/24 dev lmTta0; ip -n $B addr add 192.0.2.20/24 dev lmTtb0
  sleep 1
  nsx $A ping -c1 -W1 192.0.2.20 >/dev/null   # resolve ARP before the capture
}

log "steady: iperf3 -t 6 -b $RATE to 192.0.2.20:6600"
topo
cap_start $A lmTta0 $O/steady-6600.pcap 128 tcp port 6600
bg nsx $B timeout 20 iperf3 -s -1 -p 6600 -B 192.0.2.20 >/dev/null 2>&1; srv=$LAST_PID
sleep 0.5
# start at about x.45 s wall clock: the 6 s transfer then spans 7 epoch-aligned 1 s buckets with
# two half-full edge buckets (per-bucket cov ~0.26) rather than one nearly empty one (up to ~0.43)
python3 -c 'import time; time.sleep((0.45 - time.time() % 1) % 1)'
nsx $A timeout 20 iperf3 -c 192.0.2.20 -p 6600 -t 6 -b $RATE --connect-timeout 2000 >/dev/null || true
wait $srv 2>/dev/null || true
cap_stop $CAP_PID 1

log "jagged: 4 x (1 s at $BURST Mbit/s, 1 s silent) to 192.0.2.20:6600"
topo
cap_start $A lmTta0 $O/jagged-6600.pcap 128 tcp port 6600
bg nsx $B timeout 20 $PY drain 192.0.2.20 6600 15; srv=$LAST_PID
sleep 0.3
nsx $A timeout 20 $PY jagged 192.0.2.20 6600 $BURST 4 1 1 || true
wait $srv 2>/dev/null || true
cap_stop $CAP_PID 1

log "zero-window: B SO_RCVBUF 64 KiB, stalls 3 s, slow 2 s; A sends 20 MB"
topo
cap_start $A lmTta0 $O/zero-window-6600.pcap 128 tcp port 6600
bg nsx $B timeout 25 $PY sink 192.0.2.20 6600 3 2 15; srv=$LAST_PID
sleep 0.3
nsx $A timeout 25 $PY send 192.0.2.20 6600 20000000 15 || true
wait $srv 2>/dev/null || true
cap_stop $CAP_PID 1
chown root:root $O/*.pcap 2>/dev/null || true   # tcpdump drops privileges when writing
log "throughput done"
