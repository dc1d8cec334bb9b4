#!/usr/bin/env python3
"""CP-SAT reference model of a Tianyan coverage-scheduling instance.

    python3 tools/ortools-schedule.py INSTANCE.json PLAN.json [--time-limit 60] [--workers 2]

INSTANCE.json is written by bench-schedule-quality (QualityInstance.swift): times are whole
seconds from the horizon start; each cell has a first due date, a revisit period and candidate
docks ("options") with sortie durations and flight seconds from Tianyan's SurveyPlanner; each dock
has the intervals in which a sortie may lie (flying hours x weather x availability) and a charge
time; each pilot a formation, licence days, a duty limit and a rest minimum.

The model (the same rules CoverageScheduler and Schedule.violations use):
- A cell's visits form a chain: visit 0 is due at first_due, visit k at the end of visit k-1 plus
  the period. Visit k is needed when visit k-1 ended more than a period before the horizon end;
  an unneeded visit is not flown. A visit starts no earlier than earliest_share x period before
  its due date.
- One optional assignment per (visit, candidate dock, day), with one optional pilot choice per
  licensed pilot of the dock's formation. The visit's sorties follow each other with the dock's
  charge between; each sortie lies in one of the dock's open intervals.
- NoOverlap per drone (sorties plus the charge after each) and per pilot (first take-off to last
  landing of a visit). A pilot's shift on a day (first take-off to last landing) is at most the
  duty limit; rest between days is implied by the flying window and checked.
- Objective, lexicographic: cells overdue (a visit ends after its due date, or a needed visit is
  not flown) first, then needed visits not flown (CoverageScheduler flies every visit it can
  place; without this tier a late cell would simply be dropped to save flight time), then total
  flight-and-transit time. Solved in two phases: the overdue count with up to half of the time,
  then the other two tiers (weighted) with that count fixed, hinted with phase 1's plan.
- With --lateness-tier, a tier between the first two: the summed lateness (each cell's worst,
  minutes), which keeps overdue cells from being flown later than they need to be.
- With a hint in the instance (the staleness-greedy plan; --no-hint ignores it) the search starts
  from it, completed by a short solve with those assignments fixed.

Writes PLAN.json: status, visits [{cell, option, pilot, start}], overdue, overdue_bound,
missed_visits, flight_seconds, flight_bound_seconds (valid for plans with that overdue count and
as many visits flown; null when unproven), wall_seconds.
"""

import argparse
import json
import sys
import time

from ortools.sat.python import cp_model


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("instance")
    ap.add_argument("plan")
    ap.add_argument("--time-limit", type=float, default=60.0, help="seconds for both phases together")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--log", action="store_true", help="print CP-SAT's search log")
    ap.add_argument("--lateness-tier", action="store_true",
                    help="between the overdue count and the rest, minimise the summed lateness (each cell's worst, minutes)")
    ap.add_argument("--no-hint", action="store_true", help="ignore the instance's hint (the greedy baseline's plan)")
    args = ap.parse_args()
    t_start = time.monotonic()
    with open(args.instance) as f:
        p = json.load(f)

    H = p["horizonSeconds"]
    share = p["earliestShare"]
    days = p["days"]
    docks = p["docks"]
    pilots = p["pilots"]
    cells = p["cells"]
    scale = 10  # flight time in tenths of a second

    for q in pilots:
        for a, b in zip(days, days[1:]):
            if b["index"] == a["index"] + 1 and b["windowStart"] - a["windowEnd"] < q["minRestSeconds"]:
                sys.exit(f"pilot {q['id']}: rest of {q['minRestSeconds']} s is not implied by the flying window; "
                         "this model does not state rest explicitly")

    pilots_of = {}
    for i, q in enumerate(pilots):
        pilots_of.setdefault(q["formation"], []).append(i)
    may_fly = [set(q["mayFlyDays"]) for q in pilots]

    def start_domain(dock, sorties, day):
        """Starts in `day` at which every sortie lies in an open interval of the dock."""
        charge = dock["chargeSeconds"]
        allowed = None
        offset = 0
        for dur in sorties:
            ivs = []
            for a, b in dock["open"]:
                a, b = max(a, day["windowStart"]), min(b, day["windowEnd"])
                if b - a >= dur:
                    ivs.append((a - offset, b - dur - offset))
            if allowed is None:
                allowed = ivs
            else:
                allowed = [(max(x0, y0), min(x1, y1)) for x0, x1 in allowed for y0, y1 in ivs if max(x0, y0) <= min(x1, y1)]
            offset += dur + charge
        return [(a, b) for a, b in (allowed or []) if a <= b]

    m = cp_model.CpModel()
    drone_intervals = [[] for _ in docks]
    pilot_intervals = [[] for _ in pilots]
    duty = {}  # (pilot, day) -> list of (literal, start var, length)
    cost_terms = []
    overdue_lits = []
    missed_lits = []
    lateness_terms = []
    big = 1  # more than any plan's flight time, in tenths of a second
    assign = []  # (literal, cell, option, pilot, start var)
    visit_of, day_of = {}, {}  # literal index -> visit number in its cell's chain, day index

    def day_index(t):
        return next((d["index"] for d in days if d["windowStart"] <= t < d["windowEnd"]), None)

    for ci, c in enumerate(cells):
        P = c["periodSeconds"]
        d0 = c["firstDue"]
        opts = c["options"]
        total = [sum(o["sortieSeconds"]) + (len(o["sortieSeconds"]) - 1) * docks[o["dock"]]["chargeSeconds"] for o in opts]
        min_total = min(total)
        # How many visits the chain can need at most.
        earliest_start = [max(0, d0 - int(share * P))]
        e = earliest_start[0] + min_total
        while e + P < H:
            earliest_start.append(e + int((1 - share) * P))
            e = earliest_start[-1] + min_total
        K = len(earliest_start)

        pres, start, end, late, miss = [], [], [], [], []
        for k in range(K):
            pk = m.NewBoolVar(f"p{ci}_{k}")
            sk = m.NewIntVar(earliest_start[k], H, f"s{ci}_{k}")
            ek = m.NewIntVar(0, H + max(total), f"e{ci}_{k}")
            lk = m.NewBoolVar(f"l{ci}_{k}")
            mk = m.NewBoolVar(f"m{ci}_{k}")
            pres.append(pk); start.append(sk); end.append(ek); late.append(lk); miss.append(mk)
            choices = []
            for oi, o in enumerate(opts):
                dock = docks[o["dock"]]
                z_days = []
                for day in days:
                    if day["windowEnd"] <= earliest_start[k]:
                        continue
                    dom = start_domain(dock, o["sortieSeconds"], day)
                    dom = [(max(a, earliest_start[k]), b) for a, b in dom if b >= earliest_start[k]]
                    eligible = [q for q in pilots_of.get(dock["formation"], []) if day["index"] in may_fly[q]]
                    if not dom or not eligible:
                        continue
                    x = m.NewBoolVar(f"x{ci}_{k}_{oi}_{day['index']}")
                    m.AddLinearExpressionInDomain(sk, cp_model.Domain.FromIntervals([[a, b] for a, b in dom])).OnlyEnforceIf(x)
                    ys = []
                    for q in eligible:
                        y = m.NewBoolVar(f"y{ci}_{k}_{oi}_{day['index']}_{q}")
                        ys.append(y)
                        pilot_intervals[q].append(m.NewOptionalFixedSizeIntervalVar(sk, total[oi], y, f"pi{ci}_{k}_{oi}_{q}"))
                        duty.setdefault((q, day["index"]), []).append((y, sk, total[oi]))
                        assign.append((y, ci, oi, q, sk))
                        visit_of[y.Index()] = k
                        day_of[y.Index()] = day["index"]
                    m.Add(sum(ys) == x)
                    z_days.append(x)
                if not z_days:
                    continue
                z = m.NewBoolVar(f"z{ci}_{k}_{oi}")
                m.Add(sum(z_days) == z)
                # The drone: each sortie and the charge after it (sortie offsets are fixed).
                off = 0
                for dur in o["sortieSeconds"]:
                    iv_start = sk
                    if off:
                        iv_start = m.NewIntVar(0, H + off, f"ds{ci}_{k}_{oi}_{off}")
                        m.Add(iv_start == sk + off).OnlyEnforceIf(z)
                    drone_intervals[o["dock"]].append(m.NewOptionalFixedSizeIntervalVar(iv_start, dur + dock["chargeSeconds"], z, f"di{ci}_{k}_{oi}_{off}"))
                    off += dur + dock["chargeSeconds"]
                m.Add(ek == sk + total[oi]).OnlyEnforceIf(z)
                choices.append(z)
                cost_terms.append((z, int(round(o["flightSeconds"] * scale))))
            m.Add(sum(choices) == pk)
            if k == 0:
                m.Add(ek <= d0).OnlyEnforceIf([pk, lk.Not()])
                m.Add(mk == pk.Not())
            else:
                prev_p, prev_e = pres[k - 1], end[k - 1]
                m.AddImplication(pk, prev_p)
                m.Add(sk >= prev_e + int((1 - share) * P)).OnlyEnforceIf(pk)
                m.Add(ek <= prev_e + P).OnlyEnforceIf([pk, lk.Not()])
                # Needed exactly when the previous visit ended more than a period before the end.
                m.Add(prev_e + P < H).OnlyEnforceIf(pk)
                m.Add(prev_e + P >= H).OnlyEnforceIf([prev_p, pk.Not(), mk.Not()])
                m.AddImplication(mk, prev_p)
                m.AddImplication(mk, pk.Not())
            m.AddImplication(lk, pk)
        missed_lits.extend(miss)
        big += K * max(int(round(o["flightSeconds"] * scale)) for o in opts)
        # The cell's worst lateness, minutes (a needed visit not flown: until the horizon end).
        lat = m.NewIntVar(0, (H + max(total)) // 60 + 1, f"lat{ci}")
        for k in range(K):
            due = d0 if k == 0 else end[k - 1] + P
            m.Add(60 * lat >= end[k] - due).OnlyEnforceIf(pres[k])
            m.Add(60 * lat >= H - due).OnlyEnforceIf(miss[k])
        lateness_terms.append(lat)
        od = m.NewBoolVar(f"od{ci}")
        m.AddMaxEquality(od, late + miss)
        overdue_lits.append(od)

    for ivs in drone_intervals:
        if len(ivs) > 1:
            m.AddNoOverlap(ivs)
    for ivs in pilot_intervals:
        if len(ivs) > 1:
            m.AddNoOverlap(ivs)
    for (q, d), items in duty.items():
        limit = pilots[q]["maxDutySeconds"]
        day = next(x for x in days if x["index"] == d)
        if len(items) < 2 or day["windowEnd"] - day["windowStart"] <= limit:
            for y, s, L in items:
                if L > limit:
                    m.Add(y == 0)
            continue
        ss = m.NewIntVar(day["windowStart"], day["windowEnd"], f"ss{q}_{d}")
        se = m.NewIntVar(day["windowStart"], day["windowEnd"], f"se{q}_{d}")
        m.Add(se - ss <= limit)
        for y, s, L in items:
            m.Add(ss <= s).OnlyEnforceIf(y)
            m.Add(se >= s + L).OnlyEnforceIf(y)

    # Start from the instance's hint (the staleness-greedy plan): visit k of a cell is its k-th
    # hinted visit in time; every assignment literal is hinted, and the visit starts.
    hinted = {}
    if p.get("hint") and not args.no_hint:
        by_cell = {}
        for v in p["hint"]:
            by_cell.setdefault(v["cell"], []).append(v)
        for ci, vs in by_cell.items():
            for k, v in enumerate(sorted(vs, key=lambda v: v["start"])):
                hinted[(ci, k)] = v
    if hinted:
        done = set()
        for y, ci, oi, q, s in assign:
            k = visit_of[y.Index()]
            v = hinted.get((ci, k))
            on = v is not None and v["option"] == oi and v["pilot"] == q and day_of[y.Index()] == day_index(v["start"])
            m.AddHint(y, 1 if on else 0)
            if on and s.Index() not in done:
                m.AddHint(s, v["start"])
                done.add(s.Index())

    cost = sum(w * z for z, w in cost_terms)
    overdue = sum(overdue_lits)

    solver = cp_model.CpSolver()
    solver.parameters.num_workers = args.workers
    solver.parameters.log_search_progress = args.log
    # Probing in presolve takes tens of seconds of wall time on the sample and finds little.
    solver.parameters.cp_model_probing_level = 0

    # CP-SAT uses a partial hint poorly on the large instances (no complete solution within the
    # limit), so complete it first: solve with the hinted assignments fixed, and hint every
    # variable with the result. Counts against the time limit.
    hint_status = "none"
    if hinted:
        fixed = m.Clone()
        for var, val in zip(m.Proto().solution_hint.vars, m.Proto().solution_hint.values):
            fixed.Add(fixed.GetIntVarFromProtoIndex(var) == val)
        fixed.ClearHints()
        fixed.Minimize(overdue)
        solver.parameters.max_time_in_seconds = max(1.0, args.time_limit / 4)
        st = solver.Solve(fixed)
        hint_status = solver.StatusName(st)
        if st in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            values = [solver.Value(fixed.GetIntVarFromProtoIndex(i)) for i in range(len(m.Proto().variables))]
            m.ClearHints()
            for i, val in enumerate(values):
                m.AddHint(m.GetIntVarFromProtoIndex(i), val)
    build_seconds = time.monotonic() - t_start

    # Phase 1: fewest cells overdue.
    m.Minimize(overdue)
    solver.parameters.max_time_in_seconds = max(1.0, (args.time_limit - build_seconds) / 2)
    st1 = solver.Solve(m)
    if st1 not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        write(args.plan, {"status": solver.StatusName(st1), "visits": [], "wall_seconds": time.monotonic() - t_start})
        print(f"ortools: phase 1 {solver.StatusName(st1)}")
        return
    best_overdue = int(round(solver.ObjectiveValue()))
    overdue_bound = int(round(solver.BestObjectiveBound()))
    hint = {v.Index(): (v, solver.Value(v)) for v in [a[0] for a in assign] + [a[4] for a in assign]}.values()

    # Phase 2: least flight time with that many cells overdue at most.
    m.Add(overdue <= best_overdue)
    m.ClearHints()
    for v, val in hint:
        m.AddHint(v, val)
    lateness_best = None
    if args.lateness_tier:
        m.Minimize(sum(lateness_terms))
        solver.parameters.max_time_in_seconds = max(1.0, (args.time_limit - (time.monotonic() - t_start)) / 2)
        st = solver.Solve(m)
        if st in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            lateness_best = int(round(solver.ObjectiveValue()))
            hint = {v.Index(): (v, solver.Value(v)) for v in [a[0] for a in assign] + [a[4] for a in assign]}.values()
            m.Add(sum(lateness_terms) <= lateness_best)
            m.ClearHints()
            for v, val in hint:
                m.AddHint(v, val)
    m.Minimize(cost + big * sum(missed_lits))
    solver.parameters.max_time_in_seconds = max(1.0, args.time_limit - (time.monotonic() - t_start))
    st2 = solver.Solve(m)
    if st2 not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        sys.exit(f"ortools: phase 2 {solver.StatusName(st2)} after a feasible phase 1")
    visits = [{"cell": ci, "option": oi, "pilot": q, "start": solver.Value(s)} for y, ci, oi, q, s in assign if solver.Value(y)]
    overdue_now = sum(solver.Value(x) for x in overdue_lits)
    missed_now = sum(solver.Value(x) for x in missed_lits)
    flight = sum(w * solver.Value(z) for z, w in cost_terms)
    bound = solver.BestObjectiveBound()
    # The flight bound holds for plans that fly as many visits; it is known when the bound
    # proves that no plan flies more.
    flight_bound = bound - big * missed_now if bound > big * missed_now - 1e-9 else None
    status = "optimal" if st1 == cp_model.OPTIMAL and st2 == cp_model.OPTIMAL else "feasible"
    out = {
        "status": status,
        "visits": visits,
        "overdue": overdue_now,
        "overdue_bound": overdue_bound,
        "missed_visits": missed_now,
        "lateness_minutes": sum(solver.Value(x) for x in lateness_terms),
        "flight_seconds": flight / scale,
        "flight_bound_seconds": flight_bound / scale if flight_bound is not None else None,
        "wall_seconds": time.monotonic() - t_start,
        "build_seconds": build_seconds,
        "assignments": len(assign),
        "hint": hint_status,
    }
    write(args.plan, out)
    print(f"ortools {p['name']}: {status}, {overdue_now} overdue (bound {overdue_bound}), "
          f"{missed_now} needed visits not flown, flight {out['flight_seconds'] / 3600:.2f} h "
          f"(bound {(flight_bound or 0) / scale / 3600:.2f} h), "
          f"{len(visits)} visits, {len(assign)} pilot assignments, hint {hint_status}, {out['wall_seconds']:.1f} s")


def write(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f)


if __name__ == "__main__":
    main()
