#!/usr/bin/env bash
# Set up everything lmcap needs, from a clean clone, idempotently:
#   - tshark (the test oracle), from Debian's packages when running as root;
#   - chromium (opens `lmcap analyze --html` pages in tests/test_html_report.py), likewise;
#   - a virtualenv in .venv with maturin, pyarrow, duckdb, pytest and ruff, and what the
#     notebook and dataset tests use (matplotlib, nbclient, ipykernel, polars, pyspark: Spark
#     also needs Java 17, else tests/test_spark.py skips);
#   - the lmcap wheel, built in release mode from this checkout and installed into .venv.
# Needs: a Rust toolchain (cargo), python3 with venv, and network access to the registries.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*" >&2; }

# Install a Debian package when its command is missing (as root), else say which tests will
# be skipped without it.
install_missing() {
    local cmd=$1 package=$2 needed_by=$3
    command -v "$cmd" >/dev/null 2>&1 && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        log "installing $package ($needed_by) with apt-get"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
    else
        log "warning: $cmd is missing: $needed_by will be skipped"
        log "         (install it with: sudo apt-get install $package)"
    fi
}

install_missing tshark tshark "the tests that compare with tshark, the oracle"
install_missing chromium chromium "the browser tests of the HTML report"
install_missing java openjdk-17-jre-headless "tests/test_spark.py (pyspark)" \
    || log "warning: Java could not be installed: tests/test_spark.py will be skipped"

command -v cargo >/dev/null 2>&1 || { log "error: cargo not found: install Rust (https://rustup.rs)"; exit 1; }

if [ ! -x .venv/bin/python ]; then
    log "creating .venv"
    python3 -m venv .venv || {
        log "python3 -m venv failed; on Debian: apt-get install python3-venv"
        exit 1
    }
fi
log "installing Python packages"
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q "maturin>=1.5,<2" "pyarrow>=14" "duckdb>=1.0" "pytest>=7" "jsonschema>=4" "ruff>=0.4" "mypy>=1.10" \
    "matplotlib>=3.7" "nbclient>=0.9" "nbformat>=5.9" "ipykernel>=6" "polars>=1.0" "pyspark>=4.0" \
    "hypothesis>=6.100"

log "building the lmcap wheel (release)"
rm -rf dist
.venv/bin/maturin build --release --out dist --quiet 2>&1 | grep -v '^$' >&2 || true
ls dist/lmcap-*.whl >/dev/null 2>&1 || { log "error: no wheel was built"; exit 1; }
.venv/bin/python -m pip install -q --force-reinstall --no-deps dist/lmcap-*.whl
log "ready: $(.venv/bin/lmcap --version)"
