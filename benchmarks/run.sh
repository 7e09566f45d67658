#!/usr/bin/env bash
# The recorded benchmark run: builds leanpo and the JMH jar, runs every benchmark with its ceilings
# and the plain-Java baseline in one go, measures the peak memory of each mode with `leanpo bench`,
# and appends the summary to benchmarks/RESULTS.md.
#   usage: benchmarks/run.sh [extra JMH args, e.g. -p shape=256x4096]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -q -B -DskipTests install
mvn -q -B -f benchmarks/pom.xml package
out=benchmarks/target
java -jar $out/leanpo-benchmarks.jar -rf json -rff $out/jmh.json "$@" | tee $out/jmh.log
: > $out/memory.jsonl
for args in "--mode logits --T 4096 --V 32768" "--mode logits --T 4096 --V 152064" "--mode logits --T 4096 --V 152064 --in-place" \
            "--mode linear --T 2048 --d 1024 --V 32768" "--mode linear --T 16384 --d 256 --V 65536"; do
  ./leanpo bench $args --repeat 2 --json >> $out/memory.jsonl
done
java -cp $out/leanpo-benchmarks.jar io.github.leanpo.bench.Summarize $out/jmh.json benchmarks/RESULTS.md \
  "benchmarks/run.sh $*" $out/memory.jsonl
