#!/bin/sh
# Plan quality of CoverageScheduler against the staleness-greedy baseline and a CP-SAT model
# (tools/ortools-schedule.py) on the same instances, in one run (see
# tools/bench-schedule-quality/main.swift). Extra arguments go to bench-schedule-quality
# (--time-limit S, --workers W, --only NAME, --no-hint, --lateness-tier, --slot-seconds N,
# --no-ortools).
#
# OR-Tools: used from PYTHON (default python3) when it imports; otherwise installed once with pip
# into a virtual environment under $SCRATCH/ortools-venv and reused from then on.
# SCRATCH overrides the build directory (default .build).
set -eu
cd "$(dirname "$0")/.."
scratch="${SCRATCH:-.build}"
python="${PYTHON:-python3}"
if ! "$python" -c 'import ortools.sat.python.cp_model' 2>/dev/null; then
    venv="$scratch/ortools-venv"
    if ! "$venv/bin/python" -c 'import ortools.sat.python.cp_model' 2>/dev/null; then
        echo "installing ortools into $venv" >&2
        "$python" -m venv "$venv"
        "$venv/bin/python" -m pip install --quiet ortools
    fi
    python="$venv/bin/python"
fi
"$python" -c 'import ortools; print("ortools", ortools.__version__)' >&2
swift build -c release --scratch-path "$scratch" --product bench-schedule-quality >&2
exec "$scratch/release/bench-schedule-quality" --python "$python" --work-dir "$scratch/bench-schedule-quality" "$@"
