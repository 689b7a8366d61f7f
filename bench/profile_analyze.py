#!/usr/bin/env python3
"""Where `lmcap analyze` spends its time and memory, phase by phase.

    python3 bench/profile_analyze.py CAPTURE [MEMORY_LIMIT]

Prints the time and peak RSS of `lmcap.connect` (scan + DuckDB load), of each diagnostic,
and of the slowest shipped queries with the rows each returns to Python. Runs the same code
as `lmcap analyze` (report sections, diagnostics in order), so its phases add up to it.
"""

import resource
import sys
import time

import lmcap
from lmcap import diagnostics
from lmcap import queries as q
from lmcap import report as rp


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    path = sys.argv[1]
    limit = sys.argv[2] if len(sys.argv) > 2 else "2GB"
    t0 = time.perf_counter()
    con = lmcap.connect(path, memory_limit=limit)
    print(f"connect {time.perf_counter() - t0:.2f}s  peak rss {rss_mib():.0f} MiB")
    rep: dict = {"lmcap_version": lmcap.__version__}
    for k in rp.SECTIONS:
        rep[k] = [] if k in ("findings", "vlans") else {}
    rep["capture"] = rp.capture_section(con)
    rep["vlans"] = q.run(con, "vlan_summary")
    ctx = diagnostics.Context(con, rep, diagnostics.Params())
    run, stats = ctx.run, {}

    def timed(name: str):
        s = time.perf_counter()
        rows = run(name)
        stats[name] = (time.perf_counter() - s, len(rows))
        return rows

    ctx.run = timed  # type: ignore[method-assign]
    for d in rp.DIAGNOSTICS:
        s = time.perf_counter()
        d(ctx)
        print(f"  {d.__module__:32} {time.perf_counter() - s:6.2f}s  peak rss {rss_mib():.0f} MiB")
    for name, (secs, rows) in sorted(stats.items(), key=lambda x: -x[1][0])[:15]:
        print(f"    {name:36} {secs:6.2f}s  {rows} rows")
    print(f"total {time.perf_counter() - t0:.2f}s  peak rss {rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
