#!/usr/bin/env bash
# National-scale benchmark: native `padan compare` (throughput, peak memory) against the
# Spark path (export, spark/padan_join.py in local mode, `padan compare --joined`) on the
# same demo token files. Prints numbers; asserts only that both paths give the same files.
#
#   spark/bench.sh TOKENS_IN_MILLIONS... (default: 10 50 100)
#
# Environment: PADAN (default target/release/padan), PYTHON (a python with pyspark,
# default target/tmp/pyspark-venv/bin/python), BENCH_DIR (default target/bench-scale),
# SPARK_MASTER (default local[*]). A demo person gives about 4.5 tokens, so N million
# tokens is a demo of N*222,000 people; scenarios are kept and reused.
set -euo pipefail
cd "$(dirname "$0")/.."
T="${CARGO_TARGET_DIR:-target}"
PADAN="${PADAN:-$T/release/padan}"
PYTHON="${PYTHON:-$T/tmp/pyspark-venv/bin/python}"
BENCH_DIR="${BENCH_DIR:-$T/bench-scale}"
MASTER="${SPARK_MASTER:-local[*]}"
[ -x "$PADAN" ] || { echo "build first: cargo build --release" >&2; exit 2; }
"$PYTHON" -c 'import pyspark' 2>/dev/null || { echo "no pyspark in $PYTHON (cargo test --test spark installs it)" >&2; exit 2; }
parties="dtks dinkes disdik dpmd baznas"
peak() { awk '/Maximum resident set size/ {printf "%.0f MB", $6/1024}' "$1"; }
for m in "${@:-10 50 100}"; do
  for M in $m; do
    d="$BENCH_DIR/${M}m"
    people=$((M * 222000))
    echo "== about ${M} million tokens ($people people) in $d"
    "$PADAN" bench --dir "$d" --people "$people" | grep -E "^(tokenize|compare)" | grep -v "baris/s" || true
    tok="$d/tokens"
    files=$(for p in $parties; do echo "$tok/$p.tokens"; done)
    ntok=$(python3 -c 'import json,sys; print(sum(sum(json.loads(open(f,"rb").read(70000).split(b"\n")[1])["tokens"].values()) for f in sys.argv[1:]))' $files)
    s=$(date +%s.%N)
    /usr/bin/time -v "$PADAN" compare --workflow "$d/workflow.json" --out-dir "$d/native" $files >/dev/null 2>"$d/native.time"
    e=$(date +%s.%N)
    printf "native compare:   %d tokens in %.1f s = %.2f M tokens/s, peak %s\n" "$ntok" "$(echo "$e - $s" | bc)" "$(echo "$ntok / ($e - $s) / 1000000" | bc -l)" "$(peak "$d/native.time")"
    s=$(date +%s.%N)
    for p in $parties; do "$PADAN" export --format parquet "$tok/$p.tokens" --out "$d/$p.parquet" >/dev/null; done
    e=$(date +%s.%N)
    printf "export parquet:   %.1f s\n" "$(echo "$e - $s" | bc)"
    s=$(date +%s.%N)
    "$PYTHON" spark/padan_join.py --master "$MASTER" --out "$d/joined" $(for p in $parties; do echo "$d/$p.parquet"; done) >/dev/null 2>"$d/spark.log"
    e=$(date +%s.%N)
    printf "spark join (%s): %.1f s\n" "$MASTER" "$(echo "$e - $s" | bc)"
    s=$(date +%s.%N)
    /usr/bin/time -v "$PADAN" compare --workflow "$d/workflow.json" --out-dir "$d/spark" --joined "$d/joined" $files >/dev/null 2>"$d/joined.time"
    e=$(date +%s.%N)
    printf "compare --joined: %.1f s, peak %s\n" "$(echo "$e - $s" | bc)" "$(peak "$d/joined.time")"
    diff -r "$d/native" "$d/spark" >/dev/null && echo "same summary and result files: yes" || { echo "same summary and result files: NO" ; exit 1; }
  done
done
