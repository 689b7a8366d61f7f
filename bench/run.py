#!/usr/bin/env python3
"""lmcap benchmark harness: one command, self-contained.

    python3 bench/run.py [--quick] [--memory] [--workdir DIR] [--keep]
                         [--repeat N] [--markdown FILE] [--json FILE]

Steps: compile the C programs in bench/ into the work dir, generate the
captures with gen_capture (deterministic from --seed), warm the page cache
(read each file once right before it is measured), then time every reader on
every file, each run in its own child process.  Prints a Markdown report
(tables + target checks) on stdout.

Every reader's packet count is checked against the generator's count
(FILE.meta.json); a mismatch is reported at once on stderr, marked FAIL in the
table, and makes the run exit 1.  When `import lmcap` fails, the lmcap rows are
skipped with a note and the reference readers still run, so the harness can be
tested on its own.  See docs/performance.md.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
MiB = 1 << 20
GiB = 1 << 30

# Child script for `lmcap.read(path)`: import excluded from the timed region.
LMCAP_READ_CHILD = r"""
import json, sys, time
import lmcap
path, expected = sys.argv[1], int(sys.argv[2])
columns = sys.argv[3].split(",") if len(sys.argv) > 3 else None
t0 = time.perf_counter()
t = lmcap.read(path, columns=columns)
n = t.num_rows
secs = time.perf_counter() - t0
print(json.dumps({"packets": n, "secs": secs}))
sys.stdout.flush()
assert n == expected, f"lmcap.read({path!r}).num_rows == {n}, generator wrote {expected}"
"""

#: The columns of the narrow read (`lmcap.read(columns=...)`), as the child takes them.
FIVE_TUPLE = "timestamp,src_ip,dst_ip,ip_proto,src_port,dst_port,wire_len"

# Child script for dpkt: iterate the pcap and decode Ethernet/IP/TCP/UDP.
DPKT_CHILD = r"""
import json, sys, time
import dpkt
path = sys.argv[1]
t0 = time.perf_counter()
n = nbytes = h = 0
with open(path, "rb") as f:
    for ts, buf in dpkt.pcap.Reader(f):
        n += 1
        nbytes += len(buf)
        try:
            eth = dpkt.ethernet.Ethernet(buf)
            ip = eth.data
            if isinstance(ip, (dpkt.ip.IP, dpkt.ip6.IP6)):
                l4 = ip.data
                if isinstance(l4, (dpkt.tcp.TCP, dpkt.udp.UDP)):
                    h ^= hash((ip.src, ip.dst, ip.p if hasattr(ip, "p") else ip.nxt,
                               l4.sport, l4.dport))
        except (dpkt.UnpackError, ValueError):
            pass
secs = time.perf_counter() - t0
print(json.dumps({"packets": n, "bytes": nbytes, "secs": secs}))
"""


def secs(t):
    return f"{t:.4f}" if t < 1 else f"{t:.3f}" if t < 100 else f"{t:.1f}"


def human(x):
    for div, suf in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if x >= div:
            return f"{x / div:.3g}{suf}"
    return f"{x:.3g}"


class Harness:
    def __init__(self, args):
        self.args = args
        self.rows = []          # measurement rows (dicts)
        self.notes = []         # free-form notes for the report
        self.failures = []      # loud failures -> exit 1
        self.files = {}         # key -> dict(path, packets, bytes, file_bytes, desc)
        self.env_info = {}

    # ------------------------------------------------------------ utilities
    def log(self, msg):
        print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)

    def note(self, msg):
        self.log("NOTE: " + msg)
        self.notes.append(msg)

    def fail(self, msg):
        print("\n" + "!" * 78 + f"\nBENCH FAILURE: {msg}\n" + "!" * 78 + "\n",
              file=sys.stderr, flush=True)
        self.failures.append(msg)

    def run_child(self, cmd, env=None, stdout_path=None, timeout=None):
        """Run one command as its own child process.

        Returns dict(rc, wall, maxrss_kib, stdout (text, unless stdout_path),
        stderr).  Peak RSS comes from wait4() on that child (Linux: the max RSS
        of the child and of any descendants it waited for)."""
        timeout = timeout or self.args.timeout
        out = open(stdout_path, "w+b") if stdout_path else tempfile.TemporaryFile()
        err = tempfile.TemporaryFile()
        rss_file = None
        if self.time_bin:
            # GNU time forks the reader from a ~2 MiB process; wait4() straight from
            # Python would report at least this interpreter's RSS (Linux carries the
            # pre-exec high-water mark of the forked child into ru_maxrss).
            rss_file = os.path.join(self.workdir, "maxrss.txt")
            cmd = [self.time_bin, "-f", "%M", "-o", rss_file, *cmd]
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env,
                             start_new_session=True)
        killed = []

        def _kill():
            killed.append(True)
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, _kill)
        timer.start()
        try:
            _, status, ru = os.wait4(p.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        res = {"rc": p.returncode, "wall": wall, "maxrss_kib": ru.ru_maxrss}
        if rss_file:
            try:
                with open(rss_file) as f:
                    res["maxrss_kib"] = int(f.read().split()[-1])
            except (OSError, ValueError, IndexError):
                pass
        err.seek(0)
        res["stderr"] = err.read().decode("utf-8", "replace")
        if killed:
            res["rc"] = -9
            res["stderr"] += f"\n[killed after {timeout}s timeout]"
        if stdout_path:
            res["stdout"] = None
        else:
            out.seek(0)
            res["stdout"] = out.read().decode("utf-8", "replace")
        out.close()
        err.close()
        return res

    def compile(self):
        cc = os.environ.get("CC", "cc")
        cflags = ["-O2", "-march=native"]
        self.bin = {}
        specs = [
            ("gen_capture", ["gen_capture.c"], []),
            ("ref_mmap", ["ref_mmap.c"], ["-pthread"]),
            ("ref_libpcap", ["ref_libpcap.c"], ["-lpcap"]),
        ]
        for name, srcs, extra in specs:
            out = os.path.join(self.workdir, name)
            cmd = [cc, *cflags, "-o", out, *[os.path.join(BENCH_DIR, s) for s in srcs], *extra]
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode != 0:
                if name == "ref_libpcap":
                    last = (r.stderr.strip().splitlines() or [""])[-1]
                    self.note(f"ref_libpcap not built (is libpcap-dev installed?): {last}")
                    continue
                sys.exit(f"compiling {name} failed:\n{r.stderr}")
            self.bin[name] = out
        self.log(f"compiled {', '.join(self.bin)} with {cc} {' '.join(cflags)}")

    # --------------------------------------------------------- generation
    def generate(self, key, desc, *, profile, fmt="pcap", size=None, packets=None):
        path = os.path.join(self.workdir, f"{key}.{fmt}")
        cmd = [self.bin["gen_capture"], "--profile", profile, "--format", fmt,
               "--seed", str(self.args.seed), "--out", path]
        if size is not None:
            cmd += ["--bytes", str(int(size))]
        if packets is not None:
            cmd += ["--packets", str(int(packets))]
        t0 = time.perf_counter()
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"gen_capture failed: {' '.join(cmd)}\n{r.stderr}")
        secs = time.perf_counter() - t0
        printed = json.loads(r.stdout)
        with open(path + ".meta.json") as f:
            meta = json.load(f)
        assert printed["packets"] == meta["packets"], "generator stdout/meta mismatch"
        assert meta["file_bytes"] == os.path.getsize(path), "generator meta file_bytes mismatch"
        info = dict(path=path, key=key, desc=desc, packets=meta["packets"], bytes=meta["bytes"],
                    file_bytes=meta["file_bytes"], profile=profile, format=fmt)
        self.files[key] = info
        self.log(f"generated {key}: {meta['packets']:,} packets, "
                 f"{meta['file_bytes'] / 1e6:,.1f} MB in {secs:.1f}s")
        return info

    def warm(self, info):
        t0 = time.perf_counter()
        buf = bytearray(16 * MiB)
        with open(info["path"], "rb", buffering=0) as f:
            while f.readinto(buf):
                pass
        self.log(f"warmed page cache for {info['key']} in {time.perf_counter() - t0:.2f}s")

    def remove(self, info):
        if self.args.keep:
            return
        for p in (info["path"], info["path"] + ".meta.json"):
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass

    # --------------------------------------------------------- measuring
    def measure(self, info, reader, cmd, *, parse, threads="", env_extra=None, repeat=None,
                kind="ref", stdout_to_file=False, soft_fail=False):
        """Run cmd `repeat` times; keep the best time and the max peak RSS.

        parse(res) -> dict(packets=int|None, secs=float|None, extra=str) where
        secs is the reader's own in-process time (Python API readers), else None
        and the process wall time is used."""
        repeat = repeat or self.repeat_for(info)
        env = dict(os.environ)
        for k in ("LMCAP_THREADS", "RAYON_NUM_THREADS"):
            env.pop(k, None)
        if env_extra:
            env.update(env_extra)
        best = None
        rss = 0
        row = dict(file=info["key"], reader=reader, threads=threads, kind=kind,
                   expected=info["packets"], file_bytes=info["file_bytes"], note="")
        for i in range(repeat):
            stdout_path = os.path.join(self.workdir, "reader.out") if stdout_to_file else None
            res = self.run_child(cmd, env=env, stdout_path=stdout_path)
            res["stdout_path"] = stdout_path
            if res["rc"] != 0 and not soft_fail:
                try:  # a child that printed its count before failing its own assert
                    n = parse(res).get("packets")
                except Exception:  # noqa: BLE001 - output of a failed run may be anything
                    n = None
                if n is not None and n != info["packets"]:
                    self.fail(f"COUNT MISMATCH: {reader} on {info['key']} reported {n} packets, "
                              f"generator wrote {info['packets']}")
                    row.update(status="FAIL", packets=n,
                               note=f"COUNT MISMATCH ({n} != {info['packets']})")
                    self.rows.append(row)
                    return row
            if res["rc"] != 0:
                tail = " | ".join(res["stderr"].strip().splitlines()[-3:])
                msg = f"{reader} on {info['key']} exited {res['rc']}: {tail}"
                if soft_fail:
                    self.note(f"skipped: {msg}")
                    row["note"] = "skipped (error, see notes)"
                    row["status"] = "skip"
                    self.rows.append(row)
                    return row
                self.fail(msg)
                row.update(status="FAIL", note=f"exit {res['rc']}")
                self.rows.append(row)
                return row
            parsed = parse(res)
            n = parsed.get("packets")
            if n is None:
                row["note"] = parsed.get("extra") or "count not reported"
            elif n != info["packets"]:
                self.fail(f"COUNT MISMATCH: {reader} on {info['key']} reported {n} packets, "
                          f"generator wrote {info['packets']}")
                row.update(status="FAIL", packets=n, note=f"COUNT MISMATCH ({n} != {info['packets']})")
                self.rows.append(row)
                return row
            t = parsed.get("secs") or res["wall"]
            rss = max(rss, res["maxrss_kib"])
            if best is None or t < best["time"]:
                best = dict(time=t, proc=res["wall"], packets=n, extra=parsed.get("extra", ""))
        row.update(status="ok", time=best["time"], proc=best["proc"], packets=best["packets"],
                   rss_kib=rss, repeat=repeat)
        if best["extra"] and not row["note"]:
            row["note"] = best["extra"]
        self.rows.append(row)
        self.log(f"{info['key']:>8} {reader:<22} {threads:>3}  {best['time']:.3f}s  "
                 f"rss {rss / 1024:.0f} MiB {row['note']}")
        return row

    def repeat_for(self, info):
        return 1 if info.get("big") else self.args.repeat

    @staticmethod
    def parse_json_stdout(res):
        try:
            d = json.loads(res["stdout"].strip().splitlines()[-1])
        except (ValueError, IndexError):
            return {"packets": None, "extra": "unparsable output"}
        return d

    def parse_ref_mmap(self, res):
        d = self.parse_json_stdout(res)
        return {"packets": d.get("packets"), "extra": f"hash {d.get('hash')}", "hash": d.get("hash")}

    def parse_ref_libpcap(self, res):
        d = self.parse_json_stdout(res)
        if "libpcap" in d:
            self.env_info["libpcap"] = d["libpcap"]
        return {"packets": d.get("packets")}

    @staticmethod
    def parse_lines(res):
        n = 0
        with open(res["stdout_path"], "rb") as f:
            for _ in f:
                n += 1
        return {"packets": n}

    @staticmethod
    def parse_iostat(res):
        frames = 0
        found = False
        with open(res["stdout_path"], "r", errors="replace") as f:
            for line in f:
                m = re.match(r"^\|\s*[\d.]+\s*<>\s*(?:[\d.]+|Dur)\s*\|\s*(\d+)\s*\|", line)
                if m:
                    frames += int(m.group(1))
                    found = True
        return {"packets": frames if found else None,
                "extra": "" if found else "io,stat rows not found; count not checked"}

    @staticmethod
    def find_count(obj, depth=0):
        keys = ("packets", "num_packets", "total_packets", "packet_count", "n_packets",
                "frames", "num_frames", "num_rows", "rows")
        if isinstance(obj, dict):
            for k in keys:
                v = obj.get(k)
                if isinstance(v, int) and not isinstance(v, bool):
                    return v
            if depth < 3:
                for v in obj.values():
                    if isinstance(v, dict):
                        c = Harness.find_count(v, depth + 1)
                        if c is not None:
                            return c
        return None

    def parse_analyze(self, res):
        try:
            with open(res["stdout_path"], "r") as f:
                d = json.load(f)
        except (ValueError, OSError) as e:
            return {"packets": None, "extra": f"output is not JSON ({e.__class__.__name__})"}
        n = self.find_count(d)
        if n is None:
            self.log("WARNING: lmcap analyze JSON has no packet-count key; count not asserted")
            return {"packets": None, "extra": "no packet count in JSON: NOT asserted"}
        return {"packets": n}

    # ------------------------------------------------------- lmcap probing
    def probe_lmcap(self):
        self.lmcap_ok = False
        self.lmcap_cli = None
        if self.args.no_lmcap:
            self.note("lmcap runs disabled by --no-lmcap")
            return
        r = subprocess.run([sys.executable, "-c",
                            "import lmcap; print(getattr(lmcap, '__version__', '?'))"],
                           capture_output=True, text=True)
        if r.returncode == 0:
            self.lmcap_ok = True
            self.env_info["lmcap"] = r.stdout.strip()
        else:
            tail = (r.stderr.strip().splitlines() or ["?"])[-1]
            self.note(f"`import lmcap` failed ({tail}); lmcap.read rows skipped")
        if self.args.lmcap_cli:
            self.lmcap_cli = self.args.lmcap_cli.split()
        elif shutil.which("lmcap"):
            self.lmcap_cli = [shutil.which("lmcap")]
        elif self.lmcap_ok:
            self.lmcap_cli = [sys.executable, "-m", "lmcap"]
        else:
            self.note("`lmcap` CLI not found on PATH; lmcap analyze rows skipped")

    def ensure_dpkt(self):
        probe = [sys.executable, "-c", "import dpkt"]
        if subprocess.run(probe, capture_output=True).returncode == 0:
            return True
        if self.args.no_install:
            self.note("dpkt not installed (--no-install); dpkt row skipped")
            return False
        self.log("dpkt missing; trying `pip install dpkt`")
        r = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "dpkt"],
                           capture_output=True, text=True)
        if r.returncode != 0 or subprocess.run(probe, capture_output=True).returncode != 0:
            self.note("dpkt not installed and `pip install dpkt` failed; dpkt row skipped")
            return False
        return True

    # ------------------------------------------------------------ readers
    def refs(self, info):
        rows = {}
        for t in self.threads:
            rows[f"ref_mmap/{t}"] = self.measure(
                info, "ref_mmap", [self.bin["ref_mmap"], "-t", str(t), info["path"]],
                parse=self.parse_ref_mmap, threads=str(t))
        if "ref_libpcap" in self.bin:
            rows["ref_libpcap"] = self.measure(info, "ref_libpcap",
                                               [self.bin["ref_libpcap"], info["path"]],
                                               parse=self.parse_ref_libpcap, threads="1")
        hashes = {r.get("note") for k, r in rows.items() if k.startswith("ref_mmap") and r["status"] == "ok"}
        if len(hashes) > 1:
            self.fail(f"ref_mmap hash differs between thread counts on {info['key']}: {hashes}")
        return rows

    def lmcap_runs(self, info, analyze_threads):
        if self.lmcap_ok:
            for t in self.threads:
                env = {"LMCAP_THREADS": str(t), "RAYON_NUM_THREADS": str(t)}
                self.measure(info, "lmcap.read", [sys.executable, "-c", LMCAP_READ_CHILD,
                                                  info["path"], str(info["packets"])],
                             parse=lambda res: self.parse_json_stdout(res), threads=str(t),
                             env_extra=env, kind="lmcap")
                # projection pushdown: the 5-tuple, length and time only
                self.measure(info, "lmcap.read 5-tuple", [sys.executable, "-c", LMCAP_READ_CHILD,
                                                          info["path"], str(info["packets"]),
                                                          FIVE_TUPLE],
                             parse=lambda res: self.parse_json_stdout(res), threads=str(t),
                             env_extra=env, kind="lmcap")
        if self.lmcap_cli and not self.cli_broken:
            for t in analyze_threads:
                env = {"LMCAP_THREADS": str(t), "RAYON_NUM_THREADS": str(t)}
                row = self.measure(info, "lmcap analyze", [*self.lmcap_cli, "analyze", info["path"],
                                                           "--format", "json"],
                                   parse=self.parse_analyze, threads=str(t), env_extra=env,
                                   kind="lmcap", stdout_to_file=True, soft_fail=True)
                if row["status"] == "skip":
                    self.cli_broken = True
                    break

    def prefix_readers(self, info):
        out = os.path.join(self.workdir, "reader.out")
        tshark = shutil.which("tshark")
        if tshark:
            fields = [tshark, "-n", "-r", info["path"], "-T", "fields", "-e", "frame.number",
                      "-e", "ip.src", "-e", "ip.dst", "-e", "tcp.srcport", "-e", "tcp.dstport",
                      "-e", "udp.srcport"]
            self.measure(info, "tshark -T fields", fields, parse=self.parse_lines, threads="1",
                         stdout_to_file=True)
            conv = [tshark, "-n", "-r", info["path"], "-q", "-z", "conv,tcp", "-z", "io,stat,1"]
            self.measure(info, "tshark conv+io,stat", conv, parse=self.parse_iostat, threads="1",
                         stdout_to_file=True)
            r = subprocess.run([tshark, "--version"], capture_output=True, text=True)
            self.env_info["tshark"] = (r.stdout.splitlines() or ["?"])[0]
        else:
            self.note("tshark not found; tshark rows skipped")
        if self.ensure_dpkt():
            self.measure(info, "dpkt", [sys.executable, "-c", DPKT_CHILD, info["path"]],
                         parse=lambda res: self.parse_json_stdout(res), threads="1")
        if os.path.exists(out):
            os.unlink(out)

    # ----------------------------------------------------------- the plan
    def run(self):
        a = self.args
        if a.workdir:
            self.workdir = os.path.abspath(a.workdir)
            os.makedirs(self.workdir, exist_ok=True)
            self.own_workdir = False
        else:
            self.workdir = tempfile.mkdtemp(prefix="lmcap-bench-")
            self.own_workdir = True
        self.threads = [int(x) for x in a.threads.split(",")]
        self.time_bin = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None
        if not self.time_bin:
            self.note("/usr/bin/time not found: peak RSS from wait4(), which includes "
                      "the harness's own RSS as a floor (~30 MiB)")
        self.cli_broken = False
        self.log(f"work dir {self.workdir}")
        try:
            self._run()
        finally:
            if not a.keep:
                for info in self.files.values():
                    self.remove(info)
                if self.own_workdir:
                    shutil.rmtree(self.workdir, ignore_errors=True)
            else:
                self.log(f"kept work dir {self.workdir}")

    def _run(self):
        a = self.args
        q = a.quick
        small_size = 100 * MiB if q else int(1.5 * GiB)
        jumbo_size = 100 * MiB if q else 2 * GiB
        prefix_pkts = a.prefix_packets or (50_000 if q else 200_000)
        self.compile()
        self.probe_lmcap()
        self.collect_env()

        # small (pcap) + its prefix + pcapng copy
        small = self.generate("small", f"small profile, {small_size / GiB:.2f} GiB target",
                              profile="small", size=small_size)
        self.warm(small)
        small_refs = self.refs(small)
        self.lmcap_runs(small, analyze_threads=self.threads)
        self.small_ref_hash = small_refs.get(f"ref_mmap/{self.threads[0]}", {}).get("note")

        prefix = self.generate("prefix", f"first {prefix_pkts:,} frames of small",
                               profile="small", packets=prefix_pkts)
        self.warm(prefix)
        self.refs(prefix)
        self.prefix_readers(prefix)
        self.remove(prefix)

        ng = self.generate("small_ng", "small, same frames as pcapng", profile="small",
                           fmt="pcapng", packets=small["packets"])
        self.remove(small)  # frees disk before the pcapng copy is measured
        self.warm(ng)
        ng_refs = self.refs(ng)
        ng_hash = ng_refs.get(f"ref_mmap/{self.threads[0]}", {}).get("note")
        if self.small_ref_hash and ng_hash and ng_hash != self.small_ref_hash:
            self.fail(f"pcap and pcapng copies of small hash differently: "
                      f"{self.small_ref_hash} vs {ng_hash}")
        self.lmcap_runs(ng, analyze_threads=self.threads[-1:])
        self.remove(ng)

        jumbo = self.generate("jumbo", f"jumbo profile, {jumbo_size / GiB:.2f} GiB target",
                              profile="jumbo", size=jumbo_size)
        self.warm(jumbo)
        self.refs(jumbo)
        self.lmcap_runs(jumbo, analyze_threads=self.threads[-1:])
        self.remove(jumbo)

        if a.memory:
            for key, size in (("mem1g", 64 * MiB if q else GiB), ("mem8g", 512 * MiB if q else 8 * GiB)):
                info = self.generate(key, f"small profile, {size / GiB:.2f} GiB (memory test)",
                                     profile="small", size=size)
                info["big"] = True
                self.warm(info)
                if "ref_mmap" in self.bin:
                    self.measure(info, "ref_mmap", [self.bin["ref_mmap"], "-t", "1", info["path"]],
                                 parse=self.parse_ref_mmap, threads="1")
                if self.lmcap_cli and not self.cli_broken:
                    self.lmcap_runs_cli_only(info)
                self.remove(info)

    def lmcap_runs_cli_only(self, info):
        t = self.threads[-1]
        env = {"LMCAP_THREADS": str(t), "RAYON_NUM_THREADS": str(t)}
        row = self.measure(info, "lmcap analyze", [*self.lmcap_cli, "analyze", info["path"],
                                                   "--format", "json"],
                           parse=self.parse_analyze, threads=str(t), env_extra=env, kind="lmcap",
                           stdout_to_file=True, soft_fail=True)
        if row["status"] == "skip":
            self.cli_broken = True

    def collect_env(self):
        e = self.env_info
        cpu = platform.processor() or "?"
        try:
            with open("/proc/cpuinfo") as f:
                for line in f:
                    if line.startswith("model name"):
                        cpu = line.split(":", 1)[1].strip()
                        break
        except OSError:
            pass
        e["cpu"] = f"{cpu} x {os.cpu_count()}"
        e["kernel"] = platform.release()
        e["python"] = platform.python_version()
        try:
            with open("/proc/meminfo") as f:
                e["mem"] = f.readline().split(":", 1)[1].strip()
        except OSError:
            pass

    # ------------------------------------------------------------- report
    def find(self, file, reader, threads=None):
        for r in self.rows:
            if r["file"] == file and r["reader"] == reader and r.get("status") == "ok" and \
                    (threads is None or r["threads"] == str(threads)):
                return r
        return None

    def report(self):
        a = self.args
        L = []
        L.append(f"# lmcap benchmark ({'quick' if a.quick else 'full'} run)")
        L.append("")
        L.append(f"- date: {datetime.datetime.now().isoformat(timespec='seconds')}")
        for k in ("cpu", "mem", "kernel", "python", "lmcap", "tshark", "libpcap"):
            if k in self.env_info:
                L.append(f"- {k}: {self.env_info[k]}")
        L.append(f"- seed {a.seed}; repeats: best of {a.repeat} (1 for the memory files); "
                 "page cache warmed before each file")
        L.append("")
        L.append("## Captures")
        L.append("")
        L.append("| file | description | packets | frame bytes | file MB |")
        L.append("|---|---|---:|---:|---:|")
        for f in self.files.values():
            L.append(f"| {f['key']} | {f['desc']} | {f['packets']:,} | {f['bytes']:,} | "
                     f"{f['file_bytes'] / 1e6:,.1f} |")
        L.append("")
        L.append("## Readers")
        L.append("")
        L.append("`time` = the reader's own timed region for Python API readers (lmcap.read, dpkt: "
                 "interpreter start and import excluded), else the whole process wall time "
                 "(`proc`). MB/s uses the file size on disk (MB = 10^6 bytes). Peak RSS is the child's "
                 "max RSS (GNU time %M); file pages mapped by mmap readers count in it.")
        L.append("")
        L.append("| file | reader | thr | packets | time s | proc s | pkt/s | MB/s | peak RSS MiB | note |")
        L.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
        for r in self.rows:
            if r.get("status") != "ok":
                L.append(f"| {r['file']} | {r['reader']} | {r['threads']} | | | | | | | "
                         f"**{r.get('status', '?')}** {r['note']} |")
                continue
            pk = r["packets"] if r["packets"] is not None else r["expected"]
            L.append(f"| {r['file']} | {r['reader']} | {r['threads']} | {pk:,} | {secs(r['time'])} | "
                     f"{secs(r['proc'])} | {human(pk / r['time'])} | "
                     f"{r['file_bytes'] / r['time'] / 1e6:,.0f} | {r['rss_kib'] / 1024:,.0f} | "
                     f"{r['note']} |")
        L.append("")
        L += self.ratio_section()
        L += self.target_section()
        if self.notes:
            L.append("## Notes")
            L.append("")
            for n in self.notes:
                L.append(f"- {n}")
            L.append("")
        if self.failures:
            L.append("## FAILURES")
            L.append("")
            for n in self.failures:
                L.append(f"- **{n}**")
            L.append("")
        return "\n".join(L)

    def ratio_section(self):
        lm = [r for r in self.rows if r["kind"] == "lmcap" and r.get("status") == "ok"]
        L = ["## lmcap vs references (same run)", ""]
        if not lm:
            L += ["lmcap was not measured in this run (see Notes).", ""]
            return L
        same_file = [(f"ref_mmap t{t}", "ref_mmap", t) for t in self.threads] + \
                    [("ref_libpcap", "ref_libpcap", None)]
        prefix = [("tshark -T fields", "tshark -T fields"), ("tshark conv+io,stat", "tshark conv+io,stat"),
                  ("dpkt", "dpkt")]
        L.append("Time ratios lmcap / reference on the same file (lower is better); per-packet "
                 "speedups vs the prefix-based readers (reference s/pkt on the prefix divided by "
                 "lmcap s/pkt; higher is better; small file only).")
        L.append("")
        hdr = "| file | lmcap run | thr | " + " | ".join(f"÷ {h}" for h, _, _ in same_file) + " | " + \
              " | ".join(f"× vs {h} /pkt" for h, _ in prefix) + " |"
        L.append(hdr)
        L.append("|---|---|---:|" + "---:|" * (len(same_file) + len(prefix)))
        for r in lm:
            cells = []
            for _, name, t in same_file:
                ref = self.find(r["file"], name, t)
                cells.append(f"{r['time'] / ref['time']:.2f}×" if ref else "")
            lm_pp = r["time"] / (r["packets"] or r["expected"])
            for _, name in prefix:
                ref = self.find("prefix", name) if r["file"] == "small" else None
                cells.append(f"{(ref['time'] / ref['expected']) / lm_pp:,.0f}×" if ref else "")
            L.append(f"| {r['file']} | {r['reader']} | {r['threads']} | " + " | ".join(cells) + " |")
        L.append("")
        return L

    def target_section(self):
        t1, t2 = self.threads[0], self.threads[-1]
        L = ["## Targets", ""]
        L.append("| target | measured | goal | status |")
        L.append("|---|---:|---:|---|")

        def add(name, value, goal, ok, fmt="{:.2f}×"):
            if value is None:
                L.append(f"| {name} | n/a | {goal} | n/a |")
            else:
                L.append(f"| {name} | {fmt.format(value)} | {goal} | {'PASS' if ok(value) else 'FAIL'} |")

        def ratio(a, b):
            return a["time"] / b["time"] if a and b else None

        rd2 = self.find("small", "lmcap.read", t2)
        rd1 = self.find("small", "lmcap.read", t1)
        mm1 = self.find("small", "ref_mmap", 1)
        add(f"lmcap.read small, {t2} threads ÷ ref_mmap -t 1", ratio(rd2, mm1), "≤ 1.0×", lambda v: v <= 1.0)
        add("lmcap.read small, 1 thread ÷ ref_mmap -t 1", ratio(rd1, mm1), "≤ 2.0×", lambda v: v <= 2.0)
        add(f"lmcap.read small speedup {t2} threads vs 1", ratio(rd1, rd2), "≥ 1.7×", lambda v: v >= 1.7)
        add("lmcap.read small, all columns, 1 thread ÷ ref_mmap -t 1", ratio(rd1, mm1), "≤ 4.0×",
            lambda v: v <= 4.0)
        ft1 = self.find("small", "lmcap.read 5-tuple", t1)
        add("lmcap.read small, 5-tuple + time + length, 1 thread ÷ ref_mmap -t 1",
            ratio(ft1, mm1), "≤ 1.5×", lambda v: v <= 1.5)
        jb = self.find("jumbo", "lmcap.read", t2)
        add(f"lmcap.read jumbo throughput ({t2} threads)",
            jb["file_bytes"] / jb["time"] / 1e9 if jb else None, "≥ 5 GB/s", lambda v: v >= 5.0,
            fmt="{:.2f} GB/s")
        an = self.find("small", "lmcap analyze", t2)
        ts = self.find("prefix", "tshark conv+io,stat")
        v = None
        if an and ts:
            v = (ts["time"] / ts["expected"]) / (an["time"] / an["expected"])
        add("lmcap analyze small vs tshark conv,tcp+io,stat (per packet)", v, "≥ 100×",
            lambda v: v >= 100, fmt="{:,.0f}×")
        add("lmcap analyze small ÷ lmcap.read small", ratio(an, rd2), "≤ 3.0×", lambda v: v <= 3.0)
        ng = self.find("small_ng", "lmcap.read", t2)
        add("lmcap.read pcapng ÷ pcap (small)", ratio(ng, rd2), "≤ 1.2×", lambda v: v <= 1.2)
        m1 = self.find("mem1g", "lmcap analyze")
        m8 = self.find("mem8g", "lmcap analyze")
        add("lmcap analyze peak RSS 8 GB ÷ 1 GB",
            m8["rss_kib"] / m1["rss_kib"] if m1 and m8 else None, "≤ 1.2×", lambda v: v <= 1.2)
        add("lmcap analyze peak RSS on 8 GB", m8["rss_kib"] / 1024 if m8 else None, "< 1024 MiB",
            lambda v: v < 1024, fmt="{:,.0f} MiB")
        L.append("")
        if self.args.quick:
            L.append("_Quick run: sizes are ~100 MB, so the targets are indicative only._")
            L.append("")
        if not self.args.memory:
            L.append("_Memory targets need `--memory` (8 GB + 1 GB captures)._")
            L.append("")
        return L


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="~100 MB captures, 50k-frame prefix")
    ap.add_argument("--memory", action="store_true", help="also run the 8 GB + 1 GB RSS test")
    ap.add_argument("--workdir", help="where binaries and captures go (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep generated captures")
    ap.add_argument("--repeat", type=int, default=3, help="runs per reader, best time kept (default 3)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", default="1,2", help="thread counts for lmcap and ref_mmap (default 1,2)")
    ap.add_argument("--prefix-packets", type=int, help="frames in the tshark/dpkt prefix "
                    "(default 200000, 50000 with --quick)")
    ap.add_argument("--lmcap-cli", help="command for the CLI (default: `lmcap` on PATH, "
                    "else `python -m lmcap`)")
    ap.add_argument("--no-lmcap", action="store_true", help="measure only the reference readers")
    ap.add_argument("--no-install", action="store_true", help="don't pip-install dpkt if missing")
    ap.add_argument("--timeout", type=float, default=1800, help="per-run timeout in seconds")
    ap.add_argument("--markdown", help="also write the report to this file")
    ap.add_argument("--json", help="write raw measurement rows as JSON to this file")
    args = ap.parse_args()

    h = Harness(args)
    h.run()
    text = h.report()
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text + "\n")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"env": h.env_info, "files": list(h.files.values()), "rows": h.rows,
                       "notes": h.notes, "failures": h.failures}, f, indent=1)
    if h.failures:
        print(f"\n{len(h.failures)} benchmark failure(s); see FAILURES above.", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
