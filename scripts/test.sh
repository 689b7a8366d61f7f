#!/usr/bin/env bash
# Install lmcap (see setup.sh) and run every check: formatting and lints (cargo fmt, clippy,
# ruff), the Rust tests of the core crate, a short fuzzing smoke run of every fuzz target
# (FUZZ_SMOKE_SECONDS each, default 10; 0 skips it), and the Python test suite against the
# built wheel.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

step() { printf '\n== %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all -- --check
step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --quiet -- -D warnings
step "ruff"
.venv/bin/ruff check python tests
step "type stubs (mypy stubtest lmcap._core)"
.venv/bin/python -m mypy.stubtest lmcap._core --ignore-disjoint-bases
step "cargo test (lmcap-core)"
cargo test -p lmcap-core --quiet
if [[ "${FUZZ_SMOKE_SECONDS:-10}" != 0 ]]; then
    step "fuzz smoke (docs/fuzzing.md)"
    bash scripts/fuzz.sh "${FUZZ_SMOKE_SECONDS:-10}"
fi
step "pytest"
.venv/bin/python -m pytest -q "$@"
