"""Spark SQL over a dataset written by ``lmcap export`` (docs/scale-out.md).

    >>> from pyspark.sql import SparkSession  # doctest: +SKIP
    >>> spark = SparkSession.builder.getOrCreate()  # doctest: +SKIP
    >>> lmcap.spark.register(spark, "hdfs:///lmcap/dataset")  # doctest: +SKIP
    >>> lmcap.spark.run(spark, "migration_classes").show()  # doctest: +SKIP

:func:`register` makes a temporary view per table, with the ``capture`` partition column.
Spark has no nanosecond timestamps: the session reads them as integers
(``spark.sql.legacy.parquet.nanosAsLong``), and each view has ``timestamp_ns`` (BIGINT,
nanoseconds since the epoch, exact) next to ``timestamp`` (a Spark TIMESTAMP, cut to
microseconds). Unsigned 64-bit columns (``frame_number``, byte counts), which Spark would read
as DECIMAL(20,0), are BIGINT. The SQL of ``lmcap/queries/spark``
(:func:`lmcap.queries.spark_queries`) uses ``timestamp_ns`` and runs unchanged in DuckDB over
the same dataset (:func:`lmcap.dataset.connect`).

Only the driver needs lmcap installed (for the table list and the SQL); executors read
Parquet with Spark's own reader.
"""

from __future__ import annotations

from typing import Any

from lmcap import queries as q
from lmcap.dataset import exported_tables

#: Session settings :func:`register` makes: nanosecond timestamps read as BIGINT (Spark would
#: refuse them otherwise), and the capture partition kept as text (a capture named 2024 stays
#: the string '2024').
SESSION_CONF = {
    "spark.sql.legacy.parquet.nanosAsLong": "true",
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
}


def _columns(df) -> list[str]:
    """The view's select list over a table as Spark reads it."""
    from pyspark.sql.types import DecimalType

    out = []
    for f in df.schema.fields:
        name = f"`{f.name}`"
        if f.name == "timestamp":
            # floor, not truncation, for stamps before 1970
            out += [f"timestamp_micros(floor({name} / 1000)) AS {name}", f"{name} AS timestamp_ns"]
        elif isinstance(f.dataType, DecimalType) and f.dataType.scale == 0:
            out.append(f"CAST({name} AS BIGINT) AS {name}")  # Parquet UINT64
        else:
            out.append(name)
    return out


def register(spark, root: str, tables: list[str] | None = None) -> list[str]:
    """Create a temporary view per table of the dataset at ``root`` (any path Spark reads:
    a folder, ``hdfs://``, ``s3a://``, ``abfss://``), and one per dataset query that others
    read (``arp_claim_runs``); returns the tables registered (a table with no folder under
    ``root`` gets none)."""
    from pyspark.errors import AnalysisException

    for key, value in SESSION_CONF.items():
        spark.conf.set(key, value)
    registered = []
    for t in tables or exported_tables():
        path = f"{root.rstrip('/')}/{t}"
        try:
            df = spark.read.option("basePath", path).parquet(path)
        except AnalysisException as e:
            if "PATH_NOT_FOUND" in str(e) or "Path does not exist" in str(e):
                continue
            raise
        df.selectExpr(*_columns(df)).createOrReplaceTempView(t)
        registered.append(t)
    for name in q.spark_query_views():  # dataset queries other dataset queries read
        spark.sql(sql_of(name)).createOrReplaceTempView(name)
    return registered


def sql_of(name: str) -> str:
    """The text of a query of ``lmcap/queries/spark``; ValueError naming the known ones."""
    known = q.spark_queries()
    if name not in known:
        raise ValueError(f"no dataset query named {name!r}; known: {', '.join(known)}")
    return known[name].sql.strip().rstrip(";")


def run(spark, name: str) -> Any:
    """A query of ``lmcap/queries/spark`` (``lmcap.queries.spark_queries()``) as a Spark
    DataFrame, over the views of :func:`register`."""
    return spark.sql(sql_of(name))
