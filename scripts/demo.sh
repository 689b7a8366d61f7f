#!/usr/bin/env bash
# Install lmcap (see setup.sh) and analyze a capture shipped in captures/.
# Any capture can be given instead: bash scripts/demo.sh path/to/trace.pcapng [--format json]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ $# -eq 0 ]; then
    set -- captures/demo/live-migration-mtu-mismatch.pcap
    [ -f "$1" ] || set -- captures/vlan/jumbo.pcap
fi
exec .venv/bin/lmcap analyze "$@"
