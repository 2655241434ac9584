#!/bin/sh
# Builds the offload fuzz harness with AddressSanitizer + UBSan (gcc) and runs it.
# Usage: native/fuzz/run.sh [iterations] [seed]   (npm run fuzz:native -- 5000000 7)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out="$here/../../build/fuzz"
mkdir -p "$out"
${CC:-gcc} -std=gnu11 -O1 -g -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter \
  -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
  -I"$here/include" -I"$here/.." \
  "$here/../offload_csum.c" "$here/../offload_tso.c" "$here/../offload_gro.c" "$here/shim.c" "$here/offload_fuzz.c" -o "$out/offload_fuzz"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
  exec "$out/offload_fuzz" "${1:-200000}" "${2:-1}"
