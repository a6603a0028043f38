"""Run the dbt project on a local Apache Spark (docs/spark.md).

dbt-spark's ``session`` method runs dbt inside the Python process that owns a SparkSession, so
this module does what the DuckDB profile's plugins do for DuckDB, then calls dbt in-process:

1. start a SparkSession (``local[2]`` by default, driver memory from
   ``LAKEHOUSE_SPARK_DRIVER_MEMORY``, session time zone UTC, warehouse and Hive metastore under
   ``$LAKEHOUSE_DATA_DIR/spark``);
2. register the keyed-hash UDF ``pii_hash`` that staging calls (``{{ pii_hash(expr) }}`` ->
   ``spark__pii_hash``). It computes the same HMAC-SHA256 as the DuckDB UDF
   (:mod:`orchestration.lib.privacy.duckdb_plugin`) and reads the key from the environment
   *inside the Python worker*: the key is in no SQL text, no pickled plan, ``target/`` or log;
3. expose the landed raw tables: landing writes DuckDB (``raw.*``); each raw table is exported to
   Parquet and registered as a Spark table of the same name in the Spark schema ``raw``, so the
   dbt sources resolve unchanged;
4. run dbt (``dbtRunner``) with ``LAKEHOUSE_ENGINE=spark`` (the ``spark`` target of
   profiles/profiles.yml), sharing this process's SparkSession.

``python -m orchestration.lib.spark build`` does all four (``make spark-run``). ``--export-dir``
then writes every table that build created to Parquet (one folder per ``schema.table``), which is
how the equivalence test reads Spark's results without a second Spark session.

What runs on Spark is the dbt selector ``spark_slice`` (dbt_project/selectors.yml); dbt Python
models do not (the session method cannot submit them).
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from orchestration.lib.settings import DBT_PROFILES_DIR, DBT_PROJECT_DIR, Settings, load_settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger(__name__)

SELECTOR = "spark_slice"
RAW_SCHEMA = "raw"
UDF_NAME = "pii_hash"


@dataclass(frozen=True)
class SparkSettings:
    root: Path  # everything Spark writes: warehouse, metastore, raw export, scratch
    master: str
    driver_memory: str
    shuffle_partitions: int

    @property
    def warehouse_dir(self) -> Path:
        return self.root / "warehouse"

    @property
    def metastore_dir(self) -> Path:
        return self.root / "metastore"

    @property
    def raw_export_dir(self) -> Path:
        return self.root / "raw_parquet"

    @property
    def local_dir(self) -> Path:
        return self.root / "tmp"


def load_spark_settings(settings: Settings | None = None) -> SparkSettings:
    """Spark settings from the environment, with defaults for a 2-core / 24 GB machine.

    LAKEHOUSE_SPARK_DIR (default $LAKEHOUSE_DATA_DIR/spark), LAKEHOUSE_SPARK_MASTER (local[2]),
    LAKEHOUSE_SPARK_DRIVER_MEMORY (6g: local mode runs everything in the driver JVM; 2g ran out
    of memory in customer_state_daily), LAKEHOUSE_SPARK_SHUFFLE_PARTITIONS (8: Spark's 200 is
    sized for clusters; adaptive execution still coalesces or splits them by data size).
    """
    settings = settings or load_settings()
    root = os.environ.get("LAKEHOUSE_SPARK_DIR")
    return SparkSettings(
        root=Path(root).resolve() if root else settings.data_dir / "spark",
        master=os.environ.get("LAKEHOUSE_SPARK_MASTER", "local[2]"),
        driver_memory=os.environ.get("LAKEHOUSE_SPARK_DRIVER_MEMORY", "6g"),
        shuffle_partitions=int(os.environ.get("LAKEHOUSE_SPARK_SHUFFLE_PARTITIONS", "8")),
    )


def java_available() -> bool:
    home = os.environ.get("JAVA_HOME")
    return bool(shutil.which("java") or (home and (Path(home) / "bin" / "java").exists()))


def start_session(spark_settings: SparkSettings | None = None) -> SparkSession:
    """The process's SparkSession (created once; dbt-spark's session method picks it up with
    getOrCreate, so the UDF and the raw tables registered here are visible to dbt)."""
    if not java_available():
        raise RuntimeError(
            "Spark needs a Java runtime and none was found (java on PATH or JAVA_HOME): "
            "run `make spark-install` (scripts/install_java.sh installs Debian's JRE)."
        )
    from pyspark.sql import SparkSession

    ss = spark_settings or load_spark_settings()
    for d in (ss.warehouse_dir, ss.metastore_dir, ss.local_dir):
        d.mkdir(parents=True, exist_ok=True)
    # Python workers (the pii_hash UDF) must run this interpreter: its environment has this
    # package, pandas and pyarrow. Derby (the local Hive metastore) writes its log beside it.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    java_opts = f"-Dderby.system.home={ss.metastore_dir} -Duser.timezone=UTC"
    builder = (
        SparkSession.builder.master(ss.master)
        .appName("marketing-lakehouse")
        .config("spark.driver.memory", ss.driver_memory)
        .config("spark.driver.extraJavaOptions", java_opts)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.warehouse.dir", str(ss.warehouse_dir))
        .config(
            "spark.hadoop.javax.jdo.option.ConnectionURL",
            f"jdbc:derby:;databaseName={ss.metastore_dir / 'metastore_db'};create=true",
        )
        .config("spark.local.dir", str(ss.local_dir))
        .config("spark.sql.shuffle.partitions", str(ss.shuffle_partitions))
        .config("spark.sql.adaptive.enabled", "true")
        # Parquet timestamps as instants in microseconds (not legacy INT96): readable by DuckDB
        # and every Parquet reader, and exact.
        .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .enableHiveSupport()
    )
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark


def _pii_hash_batch(values):  # pandas.Series -> pandas.Series, runs in a Python worker
    import hashlib
    import hmac

    import pandas as pd

    from orchestration.lib.settings import pii_key

    key = pii_key()  # read from the environment here, in the worker: never shipped in the plan
    # Nulls arrive as None or NaN depending on the pandas version's string dtype.
    return pd.Series(
        [
            None
            if v is None or pd.isna(v)
            else hmac.new(key, v.encode("utf-8"), hashlib.sha256).hexdigest()
            for v in values
        ],
        dtype=object,
    )


def register_pii_hash(spark: SparkSession) -> None:
    """Register ``pii_hash(string) -> string`` (HMAC-SHA256, 64 lower-case hex chars, NULL stays
    NULL), byte-identical to the DuckDB UDF. Vectorised: Arrow batches, one HMAC per value."""
    from pyspark.sql.functions import pandas_udf

    udf = pandas_udf(_pii_hash_batch, "string")
    spark.udf.register(UDF_NAME, udf)


def export_raw_tables(
    spark: SparkSession, warehouse_path: Path, spark_settings: SparkSettings
) -> list[str]:
    """Expose every ``raw.*`` table of the DuckDB warehouse to Spark as ``raw.<table>``.

    Each table is written to Parquet by DuckDB (timestamps as UTC instants, so Spark reads them
    as TIMESTAMP, not TIMESTAMP_NTZ) and registered as an external Parquet table. Re-running
    replaces both, so Spark always sees what is landed now. Returns the table names."""
    import duckdb

    out = spark_settings.raw_export_dir
    spark.sql(f"create database if not exists {RAW_SCHEMA}")
    with duckdb.connect(str(warehouse_path), read_only=True) as conn:
        conn.execute("SET TimeZone = 'UTC'")
        tables = [
            r[0]
            for r in conn.execute(
                "select table_name from information_schema.tables "
                "where table_schema = ? and table_type = 'BASE TABLE' order by table_name",
                [RAW_SCHEMA],
            ).fetchall()
        ]
        for table in tables:
            cols = conn.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position",
                [RAW_SCHEMA, table],
            ).fetchall()
            select = ", ".join(
                f'cast("{c}" as timestamptz) as "{c}"' if t.startswith("TIMESTAMP") else f'"{c}"'
                for c, t in cols
            )
            target = out / table
            if target.exists():
                shutil.rmtree(target)
            target.mkdir(parents=True)
            conn.execute(
                f'copy (select {select} from {RAW_SCHEMA}."{table}") '
                f"to '{target / 'data.parquet'}' (format parquet)"
            )
            spark.sql(f"drop table if exists {RAW_SCHEMA}.{table}")
            spark.sql(
                f"create table {RAW_SCHEMA}.{table} using parquet location '{target.as_posix()}'"
            )
    return tables


def run_dbt(
    args: list[str],
    *,
    project_dir: Path = DBT_PROJECT_DIR,
    profiles_dir: Path = DBT_PROFILES_DIR,
) -> tuple[bool, list[str]]:
    """``dbt <args>`` in this process against the spark target (LAKEHOUSE_ENGINE=spark).
    Returns (success, the ``schema.table`` of every seed and model it built)."""
    from dbt.cli.main import dbtRunner

    os.environ["LAKEHOUSE_ENGINE"] = "spark"
    full = [
        *args,
        "--project-dir", str(project_dir),
        "--profiles-dir", str(profiles_dir),
        "--target", "spark",
    ]  # fmt: skip
    result = dbtRunner().invoke(full)
    if result.exception is not None:
        log.error("dbt failed: %s", result.exception)
    built = []
    for r in getattr(result.result, "results", None) or []:
        node = r.node
        if node.resource_type in ("model", "seed") and str(r.status) == "success":
            built.append(f"{node.schema}.{node.alias}")
    return bool(result.success), sorted(built)


def export_tables(spark: SparkSession, names: list[str], out: Path) -> None:
    """Write each ``schema.table`` to ``out/<schema>.<table>/`` as Parquet."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for name in names:
        spark.table(name).write.parquet(str(out / name))


def build(
    *,
    selector: str = SELECTOR,
    land: bool = False,
    with_tests: bool = False,
    export_dir: Path | None = None,
    project_dir: Path = DBT_PROJECT_DIR,
    profiles_dir: Path = DBT_PROFILES_DIR,
    target_path: Path | None = None,
    log_path: Path | None = None,
) -> bool:
    """Land (optionally), start Spark, expose raw, ``dbt build --selector <selector>`` on Spark."""
    settings = load_settings()
    spark_settings = load_spark_settings(settings)
    started = time.monotonic()
    if land:
        from orchestration.lib.landing import land_inbox

        land_inbox(settings.warehouse_path, settings.inbox_dir)
        print(f"landed {settings.inbox_dir} into {settings.warehouse_path}", flush=True)
    spark = start_session(spark_settings)
    register_pii_hash(spark)
    tables = export_raw_tables(spark, settings.warehouse_path, spark_settings)
    print(
        f"spark {spark.version} ({spark_settings.master}, driver {spark_settings.driver_memory}): "
        f"{len(tables)} raw tables exposed in {time.monotonic() - started:.0f}s",
        flush=True,
    )
    args = ["build", "--selector", selector]
    if not with_tests:
        args += ["--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
    if target_path:
        args += ["--target-path", str(target_path)]
    if log_path:
        args += ["--log-path", str(log_path)]
    t0 = time.monotonic()
    ok, built = run_dbt(args, project_dir=project_dir, profiles_dir=profiles_dir)
    print(
        f"dbt build on spark: {'ok' if ok else 'FAILED'} in {time.monotonic() - t0:.0f}s, "
        f"{len(built)} tables",
        flush=True,
    )
    if ok and export_dir is not None:
        export_tables(spark, built, export_dir)
        print(f"exported {len(built)} tables to {export_dir}", flush=True)
    spark.stop()
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.lib.spark")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build a dbt selection on a local Spark")
    b.add_argument("--selector", default=SELECTOR)
    b.add_argument("--land", action="store_true", help="land the inbox into DuckDB first")
    b.add_argument("--with-tests", action="store_true", help="also run the data tests on Spark")
    b.add_argument("--export-dir", type=Path, help="write the built tables to Parquet here")
    b.add_argument("--project-dir", type=Path, default=DBT_PROJECT_DIR)
    b.add_argument("--profiles-dir", type=Path, default=DBT_PROFILES_DIR)
    b.add_argument("--target-path", type=Path)
    b.add_argument("--log-path", type=Path)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    ok = build(
        selector=args.selector,
        land=args.land,
        with_tests=args.with_tests,
        export_dir=args.export_dir,
        project_dir=args.project_dir.resolve(),
        profiles_dir=args.profiles_dir.resolve(),
        target_path=args.target_path,
        log_path=args.log_path,
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
