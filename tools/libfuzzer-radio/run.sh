#!/bin/sh
# Coverage-guided fuzzing of RadioLink with libFuzzer (swiftc -sanitize=fuzzer), using the same
# invariants as fuzz-radio (PEIInvariants.swift). SwiftPM cannot build a libFuzzer target without
# unsafe flags, so this compiles TianyanModel, RadioLink (without the YAML profile loader) and the
# invariants into one module in a scratch directory, import lines removed.
#
#   tools/libfuzzer-radio/run.sh [libFuzzer options]     e.g. -max_total_time=300 -jobs=2
#
# Crashing inputs land in the current directory as crash-<sha1>; replay one with
#   <scratch>/fuzz-radio-libfuzzer crash-<sha1>
# and turn its bytes into a test (PEIRobustnessTests). SCRATCH overrides the build directory
# (default .build-libfuzzer); CORPUS the corpus directory (default <scratch>/corpus).
set -eu
root="$(cd "$(dirname "$0")/../.." && pwd)"
scratch="${SCRATCH:-$root/.build-libfuzzer}"
corpus="${CORPUS:-$scratch/corpus}"
src="$scratch/src"
rm -rf "$src"
mkdir -p "$src" "$corpus"
for f in "$root"/Sources/TianyanModel/*.swift "$root"/Sources/RadioLink/*.swift "$root"/tools/fuzz-radio/PEIInvariants.swift; do
    case "$f" in */RadioProfiles.swift) continue ;; esac
    grep -v -E '^import (RadioLink|TianyanModel|Yams)$' "$f" > "$src/$(basename "$(dirname "$f")")-$(basename "$f")"
done
cp "$root/tools/libfuzzer-radio/LibFuzzerEntry.swift" "$src/LibFuzzerEntry.swift"
# Seed the corpus with the real transcript lines once.
if [ -z "$(ls -A "$corpus")" ]; then
    printf '\r\n+CTSDSR: 12,2269001,0,9999,0,84\r\n0A00893E12472C51026810\r\n' > "$corpus/lip"
    printf '\r\n+CTICN: 1,0,0,0,6101629,1,1,0,1,1,0,4037009,0\r\n\r\n+CTXG: 2,3,0,0,0,6101629\r\n' > "$corpus/call"
    printf '\r\n+CTSDSR: 13,9876543,0,1234567,0,16\r\n8004\r\n\r\nOK\r\n+CMGS: 0,4,7\r\n' > "$corpus/status"
    printf '\r\n+CTSDSR: 12,2269001,0,9999,0,150\r\n0A4E3B8325359EFD19D925A1C55420502620A8\r\n' > "$corpus/lip-long"
    printf '\r\n+CTSDSR: 12,2269001,0,9999,0,42\r\n0A5E30620440\r\n' > "$corpus/lip-response"
    printf '\r\n+CTSDSR: 12,555,0,9999,0,96\r\n8A042B010500030702024869\r\n\r\n+CTSDSR: 12,555,0,9999,0,96\r\n8A042A010500030702014869\r\n' > "$corpus/concatenated"
    printf '\r\n+CTSDSR: 12,555,0,9999,0,32\r\n821800CA\r\n\r\n+CTSDSR: 12,555,0,9999,0,32\r\n822001C9\r\n' > "$corpus/report-ack"
fi
swiftc -O -parse-as-library -sanitize=fuzzer -module-name RadioFuzz "$src"/*.swift -o "$scratch/fuzz-radio-libfuzzer"
exec "$scratch/fuzz-radio-libfuzzer" "$corpus" "$@"
