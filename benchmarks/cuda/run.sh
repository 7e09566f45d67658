#!/usr/bin/env bash
# benchmarks/cuda/run.sh — everything leanpo checks and measures on an NVIDIA GPU, in one go, with no
# Java or Maven needed (CMake, nvcc and, for the baseline, Python with PyTorch):
#   1. builds leanpo_cuda_check for this GPU's architecture (CMake + nvcc)
#   2. checks every CUDA kernel against its CPU reference on fresh random inputs, full size (--large)
#   3. compute-sanitizer memcheck and racecheck over the checks
#   4. times the heads next to the device copy bandwidth and cuBLAS bf16 rate it measures
#   5. times the PyTorch reference on the same shapes (torch_reference.py)
#   6. runs the Java GPU tests when a Java runtime is there (java on PATH, or .device/ made by
#      benchmarks/cuda/prepare-java.sh and carried along)
# and writes a results section (OUTDIR/cuda-results.md), appended to benchmarks/RESULTS.md as well.
#
#   usage: benchmarks/cuda/run.sh [OUTDIR]          OUTDIR: $OUT if set, else target/cuda-run
#   env:   LEANPO_CUBLAS=/path/libcublas.so.N      when cuBLAS is not where the script looks
#          LEANPO_CUDA_ARCH=90                      the architecture to build for (default: this GPU's)
#          SKIP_SANITIZERS=1, SKIP_TORCH=1, SKIP_JAVA=1
# Exit status: 0 when every check, sanitizer run and test passed; the results are written either way.
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
out=${1:-${OUT:-target/cuda-run}}
mkdir -p "$out"
out=$(cd "$out" && pwd)
log=$out/run.log
: >"$log"
status=0
say() { echo "$*" | tee -a "$log"; }
step() { say ""; say "== $*"; }

command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv | tee -a "$log"
gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)
arch=${LEANPO_CUDA_ARCH:-$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d '.')}
arch=${arch:-90}

# cuBLAS (the check loads it at run time) and the CUDA runtime (the Java path's presets link it): look in
# PyTorch's wheels and the CUDA toolkit, and put their folders on the library path.
dirs=$(python3 - <<'EOF' 2>/dev/null
import glob, os
found = []
try:
    import nvidia
    for p in nvidia.__path__:
        found += glob.glob(os.path.join(p, "**", "libcublas.so.*"), recursive=True)
        found += glob.glob(os.path.join(p, "**", "libcudart.so.*"), recursive=True)
except Exception:
    pass
for pat in ("/usr/local/cuda*/lib*/", "/usr/lib/x86_64-linux-gnu/"):
    found += glob.glob(pat + "libcublas.so.*") + glob.glob(pat + "libcudart.so.*")
print(":".join(sorted({os.path.dirname(f) for f in found})))
EOF
)
[ -n "$dirs" ] && export LD_LIBRARY_PATH="$dirs:${LD_LIBRARY_PATH:-}"
say "library path for cuBLAS and the CUDA runtime: ${dirs:-none found (set LEANPO_CUBLAS)}"

step "1. build leanpo_cuda_check for sm_$arch"
build=$root/target/cuda-build
t0=$(date +%s)
if ! { cmake -S cmake -B "$build" -DLEANPO_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES="$arch" -DCMAKE_BUILD_TYPE=Release >>"$log" 2>&1 &&
       cmake --build "$build" --target leanpo_cuda_check leanpo --parallel "$(nproc)" >>"$log" 2>&1; }; then
  say "build failed (see $log)"; tail -30 "$log"; exit 1
fi
say "built in $(( $(date +%s) - t0 )) s"
check=$build/leanpo_cuda_check
seed=$(date +%s%N | cut -c1-15)

step "2. kernel checks, full size (seed $seed)"
"$check" --checks-only --large --seed "$seed" | tee "$out/checks.txt" | tail -12
[ "${PIPESTATUS[0]}" -eq 0 ] || { say "CHECKS FAILED"; status=1; }

sanitizer=$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer /opt/nvidia/*/compute-sanitizer 2>/dev/null | head -1)
if [ -z "${SKIP_SANITIZERS:-}" ] && [ -n "$sanitizer" ]; then
  for tool in memcheck racecheck; do
    step "3. compute-sanitizer --tool $tool over the checks"
    "$sanitizer" --tool "$tool" --error-exitcode 9 "$check" --checks-only --seed "$seed" >"$out/sanitizer-$tool.txt" 2>&1
    rc=$?
    tail -3 "$out/sanitizer-$tool.txt" | tee -a "$log"
    [ "$rc" -eq 0 ] || { say "$tool FAILED (exit $rc)"; status=1; }
  done
else
  say "(compute-sanitizer skipped: ${SKIP_SANITIZERS:+SKIP_SANITIZERS set}${sanitizer:-not found})"
fi

step "4. timing (leanpo_cuda_check)"
if [ "$status" -eq 0 ]; then
  "$check" --seed "$seed" --markdown "$out/leanpo.md" | tee "$out/timing.txt" | tail -16
  [ "${PIPESTATUS[0]}" -eq 0 ] || { say "TIMING RUN FAILED"; status=1; }
else
  say "skipped: a check failed, and numbers of wrong code are worth nothing"
fi

if [ -z "${SKIP_TORCH:-}" ] && python3 -c "import torch; assert torch.cuda.is_available()" 2>/dev/null; then
  step "5. PyTorch reference"
  PYTHONUNBUFFERED=1 python3 benchmarks/cuda/torch_reference.py --json "$out/torch.json" | tee "$out/torch.md"
  [ "${PIPESTATUS[0]}" -eq 0 ] || { say "TORCH REFERENCE FAILED"; status=1; }
fi

java_bin=$(command -v java || true)
[ -x .device/jre/bin/java ] && java_bin=.device/jre/bin/java
if [ -z "${SKIP_JAVA:-}" ] && [ -n "$java_bin" ] && [ -d .device/lib ]; then
  step "6. Java GPU tests ($java_bin)"
  # the library the tests load is the one prepare-java.sh packed; the cuBLAS it needs is found above
  "$java_bin" -Xmx16g -Dorg.bytedeco.javacpp.maxbytes=24G -jar "$(ls .device/lib/junit-platform-console-standalone-*.jar | head -1)" execute \
      --class-path ".device/classes:.device/test-classes:$(ls .device/lib/*.jar | grep -v console-standalone | tr '\n' ':')" \
      --select-class io.github.leanpo.loss.CudaLossTest --select-class io.github.leanpo.loss.CudaMemoryTest \
      --select-class io.github.leanpo.loss.BackendChoiceTest \
      --reports-dir "$out/junit" --details=summary --disable-banner 2>&1 | tee "$out/java-tests.txt" | tail -25
  [ "${PIPESTATUS[0]}" -eq 0 ] || { say "JAVA GPU TESTS FAILED"; status=1; }
fi

# The results section: machine, date, commands, then the tables.
{
  echo ""
  echo "## GPU: leanpo_cuda_check and the PyTorch reference, $(date -u +%Y-%m-%d) ($gpu)"
  echo ""
  echo "Machine: ${gpu:-unknown GPU}, driver $(nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>/dev/null | head -1), $(nvcc --version | tail -1)."
  echo "Command: \`benchmarks/cuda/run.sh\` (seed $seed): $(grep -E '^checks:' "$out/checks.txt" 2>/dev/null || echo 'checks did not run')."
  for tool in memcheck racecheck; do
    [ -f "$out/sanitizer-$tool.txt" ] && echo "compute-sanitizer $tool: $(grep -E 'ERROR SUMMARY' "$out/sanitizer-$tool.txt" | tail -1)"
  done
  echo ""
  [ -f "$out/leanpo.md" ] && { echo "leanpo (CUDA events, median of 20 after 3 warm-ups; ceilings measured in the same run):"; echo ""; cat "$out/leanpo.md"; echo ""; }
  [ -f "$out/torch.md" ] && { echo "PyTorch reference (same shapes, CUDA events, median of 5):"; echo ""; grep '^|' "$out/torch.md"; echo ""; }
  [ -f "$out/java-tests.txt" ] && { echo "Java GPU tests: $(grep -E 'tests (successful|failed|skipped)' "$out/java-tests.txt" | tr -s ' ' | tr '\n' ';')"; echo ""; }
} >"$out/cuda-results.md"
cat "$out/cuda-results.md" >>benchmarks/RESULTS.md
step "results: $out/cuda-results.md (also appended to benchmarks/RESULTS.md); exit $status"
exit "$status"
