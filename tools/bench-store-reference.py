#!/usr/bin/env python3
"""Reference for the store benchmark: Python's stdlib sqlite3 inserting the same 9-column
position rows into the same schema (unique (unit, time) index, WAL, synchronous=NORMAL) in
1,000-row transactions. tools/bench runs it beside bench-store in the same run."""
import os, sqlite3, sys, time

rows = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000
units = int(sys.argv[2]) if len(sys.argv) > 2 else 5_000
path = sys.argv[3] if len(sys.argv) > 3 else "/tmp/tianyan-bench/reference.sqlite"
# "index": a rowid table plus a unique (unit, time) index, as in the reference figure;
# "clustered": Tianyan's own schema, a WITHOUT ROWID table keyed on (unit, time).
schema = sys.argv[4] if len(sys.argv) > 4 else "index"
os.makedirs(os.path.dirname(path), exist_ok=True)
for suffix in ("", "-wal", "-shm"):
    try:
        os.remove(path + suffix)
    except FileNotFoundError:
        pass
db = sqlite3.connect(path, isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=NORMAL")
columns = """unit TEXT NOT NULL, time INTEGER NOT NULL, lat REAL NOT NULL,
    lon REAL NOT NULL, alt REAL, speed REAL, heading REAL, accuracy REAL, source TEXT NOT NULL"""
if schema == "clustered":
    db.execute(f"CREATE TABLE positions ({columns}, PRIMARY KEY (unit, time)) WITHOUT ROWID")
else:
    db.execute(f"CREATE TABLE positions ({columns})")
    db.execute("CREATE UNIQUE INDEX positions_unit_time ON positions(unit, time)")
start = 1_790_000_000_000
data = [(f"R{2_100_001 + i % units}", start + (i // units) * 10_000, 22.8 + (i % units % 100) * 0.001,
         113.8 + (i % units // 100) * 0.001, 12.0, 1.4, 90.0, 5.0, "lip") for i in range(rows)]
t0 = time.perf_counter()
for k in range(0, rows, 1000):
    db.execute("BEGIN")
    db.executemany("INSERT OR IGNORE INTO positions VALUES (?,?,?,?,?,?,?,?,?)", data[k:k + 1000])
    db.execute("COMMIT")
elapsed = time.perf_counter() - t0
print(f"reference_python_{schema}_rows_per_s {rows / elapsed:.0f} rows={rows} units={units}")
