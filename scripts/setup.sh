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

if ! command -v tshark >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        log "installing tshark (test oracle) with apt-get"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tshark >/dev/null
    else
        log "warning: tshark is missing: tests that compare with tshark will be skipped"
        log "         (install it with: sudo apt-get install tshark)"
    fi
fi

if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        log "installing chromium (opens the HTML reports in tests) with apt-get"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        log "warning: chromium is missing: the HTML report browser tests will be skipped"
        log "         (install it with: sudo apt-get install chromium)"
    fi
fi

if ! command -v java >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        log "installing Java 17 (runs pyspark in tests/test_spark.py) with apt-get"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null \
            || log "warning: Java could not be installed: tests/test_spark.py will be skipped"
    else
        log "warning: java is missing: tests/test_spark.py will be skipped"
    fi
fi

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
    "matplotlib>=3.7" "nbclient>=0.9" "nbformat>=5.9" "ipykernel>=6" "polars>=1.0" "pyspark>=4.0"

log "building the lmcap wheel (release)"
rm -rf dist
.venv/bin/maturin build --release --out dist --quiet 2>&1 | grep -v '^$' >&2 || true
ls dist/lmcap-*.whl >/dev/null 2>&1 || { log "error: no wheel was built"; exit 1; }
.venv/bin/python -m pip install -q --force-reinstall --no-deps dist/lmcap-*.whl
log "ready: $(.venv/bin/lmcap --version)"
