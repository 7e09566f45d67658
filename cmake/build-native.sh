#!/usr/bin/env bash
# Configures and builds libleanpo with CMake; called by Maven (generate-resources).
#   usage: cmake/build-native.sh OUTPUT_DIR [auto|on|off] [TARGET]
# TARGET: "all" (default: the library and the test-only programs the tests run) or "leanpo" (the library
# alone, what the CLI jar needs; the launcher builds that).
# Stops with a message naming what to install when a prerequisite is missing.
set -euo pipefail
out=${1:?usage: build-native.sh OUTPUT_DIR [auto|on|off]}
cuda=$(printf '%s' "${2:-auto}" | tr '[:lower:]' '[:upper:]')
target=${3:-all}
here=$(cd "$(dirname "$0")" && pwd)

missing() {
  echo "leanpo build: $1 was not found. $2" >&2
  exit 1
}
command -v cmake >/dev/null 2>&1 || missing "CMake (3.18 or newer)" "Install it, e.g. 'apt-get install cmake'."
cxx=${CXX:-}
if [ -z "$cxx" ]; then
  for c in g++ c++ clang++; do
    if command -v "$c" >/dev/null 2>&1; then cxx=$c; break; fi
  done
fi
[ -n "$cxx" ] || missing "a C++17 compiler (g++ or clang++)" "Install one, e.g. 'apt-get install g++'."
ver=$(cmake --version | head -1 | sed 's/[^0-9.]*\([0-9.]*\).*/\1/')
if [ "$(printf '%s\n3.18\n' "$ver" | sort -V | head -1)" != "3.18" ]; then
  missing "CMake 3.18 or newer (found $ver)" "Install a newer CMake."
fi
# nvcc often lives outside PATH; let CMake find it in the standard place.
if [ "$cuda" != "OFF" ] && ! command -v nvcc >/dev/null 2>&1 && [ -x /usr/local/cuda/bin/nvcc ] && [ -z "${CUDACXX:-}" ]; then
  export CUDACXX=/usr/local/cuda/bin/nvcc
fi

mkdir -p "$out"
gen=()
command -v ninja >/dev/null 2>&1 && gen=(-G Ninja)
# Reconfigure when the CUDA choice changed since the last build.
if [ -f "$out/CMakeCache.txt" ] && ! grep -q "^LEANPO_CUDA:STRING=$cuda\$" "$out/CMakeCache.txt"; then
  rm -rf "$out"; mkdir -p "$out"
fi
cmake -S "$here" -B "$out" "${gen[@]}" -DCMAKE_CXX_COMPILER="$cxx" -DLEANPO_CUDA="$cuda" -DCMAKE_BUILD_TYPE=Release >"$out/configure.log" 2>&1 \
  || { cat "$out/configure.log" >&2; echo "leanpo build: CMake configuration failed (log above)" >&2; exit 1; }
grep -E 'leanpo:|CUDA compiler' "$out/configure.log" || true
cmake --build "$out" --target "$target" --parallel "$(nproc 2>/dev/null || echo 2)"
