#!/usr/bin/env python3
"""Small stdlib-only traffic helpers for the lmcap capture scripts.
Every loop is bounded in count and time."""
import argparse, socket, struct, sys, time

def mjoin(a):
    """Join groups on an interface address, hold, then leave (IP_DROP_MEMBERSHIP)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", a.port))
    for g in a.groups:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                     socket.inet_aton(g) + socket.inet_aton(a.ifaddr))
    s.settimeout(0.2)
    end = time.time() + min(a.hold, 300); n = 0
    while time.time() < end:
        try:
            s.recvfrom(65535); n += 1
        except socket.timeout:
            pass
    if a.leave:
        for g in a.groups:
            s.setsockopt(socket.IPPROTO_IP, socket.IP_DROP_MEMBERSHIP,
                         socket.inet_aton(g) + socket.inet_aton(a.ifaddr))
        time.sleep(0.5)
    print(f"mjoin {a.groups} received {n}", file=sys.stderr)

def msend(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, a.ttl)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(a.ifaddr))
    end = time.time() + 60
    for i in range(min(a.count, 10000)):
        if time.time() > end: break
        s.sendto(b"lmcap-mcast %06d " % i + b"x" * a.size, (a.group, a.port))
        time.sleep(a.interval)

def udpsend(a):
    fam = socket.AF_INET6 if ":" in a.host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if a.df is not None and fam == socket.AF_INET:
        s.setsockopt(socket.IPPROTO_IP, 10, 0)  # IP_MTU_DISCOVER = IP_PMTUDISC_DONT: allow fragmentation
    for i in range(min(a.count, 10000)):
        s.sendto(bytes([0x41 + i % 26]) * a.size, (a.host, a.port))
        time.sleep(a.interval)

def udpsink(a):
    fam = socket.AF_INET6 if ":" in a.bind else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM); s.bind((a.bind, a.port)); s.settimeout(0.5)
    end = time.time() + min(a.timeout, 300); n = 0
    while time.time() < end:
        try: s.recv(65535); n += 1
        except socket.timeout: pass
    print(f"udpsink {a.bind}:{a.port} got {n}", file=sys.stderr)

def tcpserve(a):
    fam = socket.AF_INET6 if ":" in a.bind else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.bind, a.port)); s.listen(4); s.settimeout(a.timeout)
    deadline = time.time() + a.timeout
    for _ in range(a.conns):
        try:
            c, peer = s.accept()
        except socket.timeout:
            break
        c.settimeout(max(1, deadline - time.time())); total = 0
        try:
            while True:
                d = c.recv(65536)
                if not d: break
                if total == 0 and d.startswith(b"HELLO"):
                    c.sendall(b"OLLEH " + b"r" * 64)
                total += len(d)
        except (socket.timeout, ConnectionError) as e:
            print(f"tcpserve {peer}: {e!r}", file=sys.stderr)
        print(f"tcpserve {peer} got {total} bytes", file=sys.stderr)
        c.close()

def tcpsend(a):
    fam = socket.AF_INET6 if ":" in a.host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(a.abort_after)
    s.connect((a.host, a.port))
    t0 = time.time()
    s.sendall(b"HELLO " + b"h" * 94)          # small segment, passes any path
    try:
        s.recv(1024)
    except socket.timeout:
        pass
    sent = 0; ok = True
    try:
        while sent < a.bytes:
            left = a.abort_after - (time.time() - t0)
            if left <= 0: raise socket.timeout
            s.settimeout(left)
            sent += s.send(b"D" * min(65536, a.bytes - sent))
        # wait for everything to be ACKed (SIOCOUTQ) or the abort deadline
        import fcntl, array
        while time.time() - t0 < a.abort_after:
            buf = array.array('i', [0]); fcntl.ioctl(s.fileno(), 0x5411, buf)  # TIOCOUTQ
            if buf[0] == 0: break
            time.sleep(0.05)
        else:
            ok = False
    except socket.timeout:
        ok = False
    if not ok:
        # abortive close: SO_LINGER {on, 0} -> RST ("connection forcibly closed")
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        print(f"tcpsend: not acked after {a.abort_after}s, sent {sent}, RST", file=sys.stderr)
    else:
        print(f"tcpsend: {sent} bytes acked", file=sys.stderr)
    s.close()

p = argparse.ArgumentParser()
sp = p.add_subparsers(dest="cmd", required=True)
x = sp.add_parser("mjoin"); x.add_argument("ifaddr"); x.add_argument("groups", nargs="+")
x.add_argument("--hold", type=float, default=5); x.add_argument("--port", type=int, default=5000)
x.add_argument("--leave", action="store_true"); x.set_defaults(f=mjoin)
x = sp.add_parser("msend"); x.add_argument("ifaddr"); x.add_argument("group")
x.add_argument("--port", type=int, default=5000); x.add_argument("--count", type=int, default=10)
x.add_argument("--interval", type=float, default=0.1); x.add_argument("--size", type=int, default=64)
x.add_argument("--ttl", type=int, default=1); x.set_defaults(f=msend)
x = sp.add_parser("udpsend"); x.add_argument("host"); x.add_argument("port", type=int)
x.add_argument("--size", type=int, default=3000); x.add_argument("--count", type=int, default=1)
x.add_argument("--interval", type=float, default=0.1); x.add_argument("--df", action="store_const", const=0, help="IP_PMTUDISC_DONT")
x.set_defaults(f=udpsend)
x = sp.add_parser("udpsink"); x.add_argument("bind"); x.add_argument("port", type=int)
x.add_argument("--timeout", type=float, default=10); x.set_defaults(f=udpsink)
x = sp.add_parser("tcpserve"); x.add_argument("bind"); x.add_argument("port", type=int)
x.add_argument("--conns", type=int, default=1); x.add_argument("--timeout", type=float, default=20)
x.set_defaults(f=tcpserve)
x = sp.add_parser("tcpsend"); x.add_argument("host"); x.add_argument("port", type=int)
x.add_argument("--bytes", type=int, default=200000); x.add_argument("--abort-after", type=float, default=5)
x.set_defaults(f=tcpsend)
a = p.parse_args(); a.f(a)
