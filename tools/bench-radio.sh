#!/bin/sh
# PEI engine throughput (see tools/bench-radio/main.swift). Release build; extra arguments go to
# bench-radio (--lines N, --passes P, --chunk BYTES). SCRATCH overrides the build directory.
set -eu
cd "$(dirname "$0")/.."
exec swift run -c release --scratch-path "${SCRATCH:-.build}" bench-radio "$@"
