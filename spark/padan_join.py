#!/usr/bin/env python3
"""padan_join.py: the heavy part of `padan compare`, on Apache Spark.

Reads the exports of all token files of one comparison (`padan export`, Parquet or CSV,
format padan-export/1), checks that they belong together (same workflow digest, same
key check value, same match keys, one file per party, every token row present), and
joins the tokens of all lists per match key: every token that two or more records share
becomes one *group*. It writes the groups and a manifest (format padan-joined/1):

    OUT/manifest.json       what was read and written (see docs/formats.md)
    OUT/groups/part-*.csv   key,token,members   (header line in every part)
                            nik,3f…(32 hex),dtks:0a…(32 hex);dinkes:91…

`padan compare --joined OUT --workflow W --out-dir R FILE.tokens…` then finishes the
comparison on one machine (clustering, conflicts, suppression, result files), with
exactly the result of `padan compare` on the same token files.

Run it on a cluster with spark-submit, or locally with a pip-installed pyspark:

    spark-submit spark/padan_join.py --out hdfs:///padan/joined  a.parquet b.parquet …
    python3 spark/padan_join.py --master 'local[*]' --out joined  a.parquet b.csv …

Nothing here needs the key, and nothing here leaves the coordinator.
"""

import argparse
import json
import sys

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

EXPORT_FORMAT = "padan-export/1"
TOKENS_FORMAT = "padan-tokens/1"
JOINED_FORMAT = "padan-joined/1"


def fail(msg):
    print(f"padan_join: {msg}", file=sys.stderr)
    sys.exit(2)


def hadoop_path(spark, path):
    jvm = spark._jvm
    conf = spark._jsc.hadoopConfiguration()
    p = jvm.org.apache.hadoop.fs.Path(path)
    return p, p.getFileSystem(conf), conf


def parquet_metadata(spark, path):
    """The key-value metadata of a Parquet file's footer (through Spark's own Parquet)."""
    jvm = spark._jvm
    p, _, conf = hadoop_path(spark, path)
    f = jvm.org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(p, conf)
    r = jvm.org.apache.parquet.hadoop.ParquetFileReader.open(f)
    try:
        kv = r.getFooter().getFileMetaData().getKeyValueMetaData()
        return kv.get("padan"), kv.get("padan.end")
    finally:
        r.close()


def csv_metadata(spark, path):
    """The `#` header and end lines of a CSV export."""
    head = end = None
    for row in spark.read.text(path).filter(F.col("value").startswith("#")).collect():
        obj = json.loads(row.value[1:])
        if "format" in obj:
            head = row.value[1:]
        elif "rows" in obj:
            end = row.value[1:]
    return head, end


def read_export(spark, path):
    """(header facts, end facts, DataFrame party/ref/key/token with binary ref and token)."""
    if path.endswith(".csv"):
        head, end = csv_metadata(spark, path)
        df = (
            spark.read.option("header", True)
            .option("comment", "#")
            .schema("party STRING, ref STRING, key STRING, token STRING")
            .csv(path)
            .select("party", F.unhex("ref").alias("ref"), "key", F.unhex("token").alias("token"))
        )
    else:
        head, end = parquet_metadata(spark, path)
        df = spark.read.parquet(path).select("party", "ref", "key", "token")
    if head is None or end is None:
        fail(f"{path}: no padan export metadata (make it with `padan export`).")
    head, end = json.loads(head), json.loads(end)
    if head.get("format") != EXPORT_FORMAT:
        fail(f"{path}: format {head.get('format')!r}, expected {EXPORT_FORMAT}.")
    tf = head["token_file"]
    if tf.get("format") != TOKENS_FORMAT:
        fail(f"{path}: token file format {tf.get('format')!r}, expected {TOKENS_FORMAT}.")
    return tf, end, df


def write_text(spark, path, text):
    """Writes one small file through Hadoop's file system (local, HDFS, S3, …)."""
    p, fs, _ = hadoop_path(spark, path)
    out = fs.create(p, True)
    try:
        out.write(bytearray(text.encode("utf-8")))
    finally:
        out.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="output directory (manifest.json, groups/)")
    ap.add_argument("--master", help="Spark master, e.g. local[2] (spark-submit sets it)")
    ap.add_argument("--partitions", type=int, help="spark.sql.shuffle.partitions")
    ap.add_argument("exports", nargs="+", help="padan export files (.parquet or .csv)")
    a = ap.parse_args()

    b = SparkSession.builder.appName("padan-join").config("spark.ui.showConsoleProgress", "false")
    if a.master:
        b = b.master(a.master)
    if a.partitions:
        b = b.config("spark.sql.shuffle.partitions", str(a.partitions))
    spark = b.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")

    # The header facts of every export: they must belong together.
    inputs, frames, first = [], [], None
    for path in a.exports:
        tf, end, df = read_export(spark, path)
        facts = (tf["workflow_id"], tf["workflow_digest"], tf["kcv"], tf["match_keys"])
        if first is None:
            first = (path, facts)
        elif facts != first[1]:
            fail(
                f"{path}: workflow, key check value or match keys differ from {first[0]} "
                "(all exports must come from token files of one comparison)."
            )
        if any(i["party"] == tf["party"] for i in inputs):
            fail(f"{path}: party {tf['party']!r} appears twice; one file per party.")
        inputs.append(
            {
                "party": tf["party"],
                "records": tf["records"],
                "tokens": tf["tokens"],
                "checksum": end["checksum"],
            }
        )
        frames.append(df)
    workflow_id, digest, kcv, keys = first[1]

    rows = frames[0]
    for df in frames[1:]:
        rows = rows.unionByName(df)

    # Every token row arrived: counts per (party, key) equal the token files' headers.
    seen = {(r["party"], r["key"]): r["n"] for r in rows.groupBy("party", "key").agg(F.count("*").alias("n")).collect()}
    for i in inputs:
        for k in keys:
            want = i["tokens"].get(k, 0)
            if seen.get((i["party"], k), 0) != want:
                fail(
                    f"party {i['party']!r}, key {k!r}: {seen.get((i['party'], k), 0)} rows, "
                    f"the token file says {want} (export changed or incomplete)."
                )
    if set(p for p, _ in seen) - set(i["party"] for i in inputs):
        fail("rows of a party that no export header names.")

    # The join: per match key, the records sharing each token.
    member = F.concat_ws(":", F.col("party"), F.lower(F.hex("ref")))
    groups = (
        rows.groupBy("key", "token")
        .agg(F.count("*").alias("n"), F.sort_array(F.collect_list(member)).alias("m"))
        .filter(F.col("n") >= 2)
        .select(
            "key",
            F.lower(F.hex("token")).alias("token"),
            F.concat_ws(";", "m").alias("members"),
            "n",
        )
        .persist()
    )
    groups.select("key", "token", "members").write.mode("overwrite").option("header", True).csv(
        a.out.rstrip("/") + "/groups"
    )
    stats = {r["key"]: (r["g"], r["m"]) for r in groups.groupBy("key").agg(F.count("*").alias("g"), F.sum("n").alias("m")).collect()}
    manifest = {
        "format": JOINED_FORMAT,
        "workflow_id": workflow_id,
        "workflow_digest": digest,
        "kcv": kcv,
        "match_keys": keys,
        "inputs": inputs,
        "groups": {k: int(stats.get(k, (0, 0))[0]) for k in keys},
        "members": {k: int(stats.get(k, (0, 0))[1] or 0) for k in keys},
        "created_by": f"spark/padan_join.py (Spark {spark.version})",
    }
    write_text(spark, a.out.rstrip("/") + "/manifest.json", json.dumps(manifest, indent=1) + "\n")
    print(
        "padan_join: "
        + ", ".join(f"{k}: {manifest['groups'][k]} groups" for k in keys)
        + f"; {a.out}"
    )
    spark.stop()


if __name__ == "__main__":
    main()
