#!/usr/bin/env bash
# National-scale benchmark: native `padan compare` (throughput, peak memory) against the
# Spark path (export, spark/padan_join.py in local mode, `padan compare --joined`) on the
# same token files. Prints numbers; asserts only that both paths give the same files.
#
#   spark/bench.sh TOKENS_IN_MILLIONS... (default: 10 50 100)
#
# Environment: PADAN (default target/release/padan), PYTHON (a python with pyspark,
# default target/tmp/pyspark-venv/bin/python), BENCH_DIR (default target/bench-stream, the
# same synthetic token files as bench/compare.sh: `padan bench-tokens`, about N million
# valid tokens of the demo workflow, made once and reused), SPARK_MASTER (default local[*]).
set -euo pipefail
cd "$(dirname "$0")/.."
T="${CARGO_TARGET_DIR:-target}"
PADAN="${PADAN:-$T/release/padan}"
PYTHON="${PYTHON:-$T/tmp/pyspark-venv/bin/python}"
BENCH_DIR="${BENCH_DIR:-$T/bench-stream}"
MASTER="${SPARK_MASTER:-local[*]}"
[ -x "$PADAN" ] || { echo "build first: cargo build --release" >&2; exit 2; }
"$PYTHON" -c 'import pyspark' 2>/dev/null || { echo "no pyspark in $PYTHON (cargo test --test spark installs it)" >&2; exit 2; }
export PADAN_TRUST_STORE="$BENCH_DIR/trust.json"
parties="dtks dinkes disdik dpmd baznas"
peak() { awk '/Maximum resident set size/ {printf "%.0f MB", $6/1024}' "$1"; }
for m in "${@:-10 50 100}"; do
  for M in $m; do
    d="$BENCH_DIR/${M}m"
    echo "== about ${M} million tokens in $d (load $(cut -d' ' -f1-3 /proc/loadavg))"
    [ -f "$d/tokens/baznas.tokens" ] || "$PADAN" bench-tokens --dir "$d" --tokens "$((M * 1000000))" >/dev/null
    fp=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["fingerprint"])' "$d/officer.pub")
    "$PADAN" officer trust --public "$d/officer.pub" --fingerprint "$fp" >/dev/null 2>&1 || true
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
    rm -rf "$d/native/receipt.json" "$d/spark/receipt.json"
    diff -r "$d/native" "$d/spark" >/dev/null && echo "same summary and result files: yes" || { echo "same summary and result files: NO" ; exit 1; }
  done
done
