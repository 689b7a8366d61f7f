"""lmcap.spark: the dataset's tables as Spark SQL views, and the headline questions of
``lmcap/queries/spark`` answered there equal DuckDB's answers over the same dataset and over
the captures loaded directly by lmcap.connect.

Runs pyspark in local mode (``pip install 'lmcap[spark]'``, Java 17); skipped when pyspark or
Java is missing. One Spark session for the module: starting one takes tens of seconds."""

from __future__ import annotations

import os
import shutil
import time

import pytest
from dataset_checks import DATASET_CAPTURES, assert_same_rows, reference_connection

import lmcap
from lmcap import dataset, queries, spark

pyspark = pytest.importorskip("pyspark", reason="pyspark is not installed (pip install pyspark)")
if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
    pytest.skip("Java is not installed (Spark needs it)", allow_module_level=True)

SPARK_QUERIES = sorted(queries.spark_queries())


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("dataset")
    list(dataset.export(DATASET_CAPTURES, root, jobs=2))
    return root


@pytest.fixture(scope="module")
def session(exported):
    from pyspark.sql import SparkSession

    started = time.monotonic()
    s = (
        SparkSession.builder.master("local[2]")
        .appName("lmcap-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")  # small data: 200 tasks per shuffle is slow
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    s.sparkContext.setLogLevel("ERROR")
    registered = spark.register(s, str(exported))
    print(f"\nSpark session started and views registered in {time.monotonic() - started:.1f} s")
    assert sorted(registered) == sorted(dataset.exported_tables())
    yield s
    s.stop()


@pytest.fixture(scope="module")
def dataset_duckdb(exported):
    return dataset.connect(exported)


@pytest.fixture(scope="module")
def reference():
    return reference_connection(DATASET_CAPTURES)


def spark_rows(session, name: str) -> list[tuple]:
    return [tuple(r) for r in spark.run(session, name).collect()]


def test_views_hold_every_row(session, reference):
    # one Spark job for every table (a job per table costs seconds each)
    sql = " UNION ALL ".join(
        f"SELECT '{t}' AS t, capture, count(*) AS n FROM {t} GROUP BY capture"
        for t in dataset.exported_tables()
    )
    got = [tuple(r) for r in session.sql(sql).collect()]
    assert_same_rows(got, reference.sql(sql).fetchall(), "rows per table and capture")
    assert {t for t, _, _ in got} == set(dataset.exported_tables())  # each has some rows


def test_view_types(session):
    """Spark has no nanosecond timestamp and reads UINT64 as DECIMAL(20,0): the views give
    a microsecond TIMESTAMP, the exact nanoseconds as BIGINT, and BIGINT frame numbers."""
    from pyspark.sql.types import LongType, TimestampType

    fields = {f.name: f.dataType for f in session.table("packets").schema.fields}
    assert fields["timestamp"] == TimestampType()
    assert fields["timestamp_ns"] == LongType()
    assert fields["frame_number"] == LongType()
    first = session.sql("SELECT timestamp, timestamp_ns FROM packets LIMIT 1").collect()[0]
    micros = first.timestamp.timestamp() * 1e6
    assert abs(micros - first.timestamp_ns / 1000) < 1


def test_timestamps_exact_in_nanoseconds(session, dataset_duckdb):
    got = session.sql("SELECT capture, frame_number, timestamp_ns FROM packets").collect()
    want = dataset_duckdb.sql(
        'SELECT capture, frame_number, epoch_ns("timestamp") FROM packets'
    ).fetchall()
    assert_same_rows([tuple(r) for r in got], want, "packets.timestamp_ns")


@pytest.mark.parametrize("name", SPARK_QUERIES)
def test_spark_answers_equal_duckdb(session, dataset_duckdb, reference, name):
    sql = spark.sql_of(name)
    on_spark = spark_rows(session, name)
    assert on_spark, f"{name}: no rows over {len(DATASET_CAPTURES)} captures: nothing compared"
    assert_same_rows(on_spark, dataset_duckdb.sql(sql).fetchall(), f"{name} (DuckDB, dataset)")
    assert_same_rows(on_spark, reference.sql(sql).fetchall(), f"{name} (lmcap.connect)")


@pytest.mark.parametrize(
    "spark_query, shipped, columns",
    [
        ("migration_buckets", "throughput_migrations_concurrent", "bucket_start_ns, flows, bytes"),
        (
            "arp_claim_runs",
            "arp_claim_runs",
            "ip, mac, vlan, run, start_ns, end_ns, claims, arp_claims, first_frame, last_frame, "
            "garp_frame, garp_ns",
        ),
    ],
)
def test_spark_equals_shipped_query_per_capture(session, spark_query, shipped, columns):
    """The dataset's version of a question gives, capture by capture, the answer of the
    shipped query lmcap analyze runs on that capture alone."""
    got = spark_rows(session, spark_query)
    want = []
    for path in DATASET_CAPTURES:
        con = lmcap.connect(path)
        rel = lmcap.query(shipped, con)
        name = dataset.capture_name(path)
        want += [(name, *row) for row in rel.project(columns).fetchall()]
        con.close()
    cols = ["capture", *[c.strip() for c in columns.split(",")]]
    got_cols = spark.run(session, spark_query).columns
    picked = [tuple(r[got_cols.index(c)] for c in cols) for r in got]
    assert want, f"{shipped}: no rows in any capture: nothing compared"
    assert_same_rows(picked, want, f"{spark_query} vs {shipped}")
