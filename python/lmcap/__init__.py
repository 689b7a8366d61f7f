"""lmcap: packet-capture analytics for data-center and Hyper-V networks.

A Rust core reads pcap/pcapng (plain, gzip, zstd) and decodes every frame into Arrow tables;
DuckDB SQL over those tables answers the questions network engineers ask about live
migration, jumbo frames and MTU, fragmentation, IGMP/NLB flooding and ARP.

    >>> import lmcap
    >>> lmcap.read("captures/jumbo/iperf-mtu9000.pcap").num_rows  # doctest: +SKIP
    >>> lmcap.analyze("captures/mtu/blackhole.pcap")["findings"][0]["id"]  # doctest: +SKIP
"""

from lmcap._core import __version__
from lmcap.api import (
    CaptureError,
    CaptureWarning,
    ScanPanic,
    analyze,
    connect,
    query,
    read,
    read_tables,
    scan,
    schema,
    table_names,
)
from lmcap.filters import Filter

__all__ = [
    "CaptureError",
    "CaptureWarning",
    "Filter",
    "Report",
    "ScanPanic",
    "__version__",
    "analyze",
    "connect",
    "query",
    "read",
    "read_tables",
    "scan",
    "schema",
    "table_names",
]

#: Imported on first use (``lmcap.Report``, ``lmcap.dataset``, ``lmcap.spark``), so that the
#: command line does not pay for them: name -> (module, attribute or None for the module).
_LAZY = {
    "Report": ("lmcap.reportview", "Report"),
    "dataset": ("lmcap.dataset", None),
    "spark": ("lmcap.spark", None),
}


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'lmcap' has no attribute {name!r}")
    import importlib

    module_name, attribute = _LAZY[name]
    module = importlib.import_module(module_name)
    return getattr(module, attribute) if attribute else module
