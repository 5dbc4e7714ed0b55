#!/usr/bin/env bash
# Native `padan compare` at scale: throughput and peak memory (VmHWM, from /usr/bin/time)
# for about N million tokens, with each --memory budget given. Token files are synthetic
# but valid (`padan bench-tokens`: the demo workflow, 3 match keys, ~2.95 tokens per
# record, overlapping lists with duplicates, missing and mistyped NIKs); they are kept
# for reuse under BENCH_DIR. Checks that every budget gives the same files.
#
#   bench/compare.sh [MILLIONS...]        (default: 10 50 100)
#
# Environment: PADAN (default $CARGO_TARGET_DIR/release/padan), BENCH_DIR (default
# $CARGO_TARGET_DIR/bench-stream), MEMORY (budgets, default "64G 512M 128M"; 64G never
# spills, as compare did before it streamed), CLEAN=1 deletes each scenario afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
T="${CARGO_TARGET_DIR:-target}"
PADAN="${PADAN:-$T/release/padan}"
BENCH_DIR="${BENCH_DIR:-$T/bench-stream}"
MEMORY="${MEMORY:-64G 512M 128M}"
[ -x "$PADAN" ] || { echo "build first: cargo build --release" >&2; exit 2; }
export PADAN_TRUST_STORE="$BENCH_DIR/trust.json"
parties="dtks dinkes disdik dpmd baznas"
for M in ${@:-10 50 100}; do
  d="$BENCH_DIR/${M}m"
  [ -f "$d/tokens/baznas.tokens" ] || "$PADAN" bench-tokens --dir "$d" --tokens "$((M * 1000000))" >/dev/null
  fp=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["fingerprint"])' "$d/officer.pub")
  "$PADAN" officer trust --public "$d/officer.pub" --fingerprint "$fp" >/dev/null 2>&1 || true
  files=$(for p in $parties; do echo "$d/tokens/$p.tokens"; done)
  read -r ntok nrec < <(python3 -c 'import json,sys
hs=[json.loads(open(f,"rb").read(70000).split(b"\n")[1]) for f in sys.argv[1:]]
print(sum(sum(h["tokens"].values()) for h in hs), sum(h["records"] for h in hs))' $files)
  echo "== $ntok tokens, $nrec records ($d)"
  first=""
  for mem in $MEMORY; do
    out="$d/out-$mem"
    s=$(date +%s.%N)
    /usr/bin/time -v "$PADAN" compare --workflow "$d/workflow.json" --out-dir "$out" --memory "$mem" $files >"$d/compare.log" 2>"$d/time.log"
    e=$(date +%s.%N)
    peak=$(awk '/Maximum resident set size/ {printf "%.0f", $6/1024}' "$d/time.log")
    runs=$(grep -o '[0-9]* berkas sementara' "$d/compare.log" | cut -d' ' -f1 || true)
    printf "memory %-5s %6.1f s  %5.2f M tokens/s  peak %5d MB (%.0f bytes/record)  runs spilled: %s\n" \
      "$mem" "$(echo "$e - $s" | bc)" "$(echo "$ntok / ($e - $s) / 1000000" | bc -l)" "$peak" \
      "$(echo "$peak * 1048576 / $nrec" | bc -l)" "${runs:-0}"
    rm -f "$out/receipt.json"
    if [ -z "$first" ]; then first="$out"; else
      diff -r "$first" "$out" >/dev/null && echo "  same files as --memory ${first##*-}: yes" || { echo "  same files: NO"; exit 1; }
      rm -rf "$out"
    fi
  done
  rm -rf "$first"
  [ "${CLEAN:-0}" = 1 ] && rm -rf "$d"
done
