#!/usr/bin/env bash
# Install lmcap (see setup.sh) and analyze a capture shipped in captures/.
# Any capture can be given instead: bash scripts/demo.sh path/to/trace.pcapng [--format json]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if [ $# -eq 0 ]; then
    # A live-migration-style transfer at MTU 9000 through a path that drops jumbo frames
    # silently: the black hole, the retransmissions and the reset that ends it.
    set -- captures/mtu/blackhole.pcap --link-speed 10G
fi
exec .venv/bin/lmcap analyze "$@"
