"""Population simulation benchmark: wall time, rows/s and peak memory on DuckDB; speed-up over the engine.

    .venv/bin/python benchmarks/bench_simulate.py                  # 1,000,000 enterprises
    .venv/bin/python benchmarks/bench_simulate.py --n 10000000     # 10 M (batches of 2 M, memory-bounded)
    .venv/bin/python benchmarks/bench_simulate.py --engine-sample 2000
    .venv/bin/python benchmarks/bench_simulate.py --resident --n 10000000   # from a persisted DuckDB file
    .venv/bin/python benchmarks/bench_simulate.py --resident --cli          # and the CLI in fresh processes

``--resident``: the population is loaded once (``huiqi simulate load``, cached as
/tmp/huiqi-pop-N-k.duckdb; the load is timed when it happens) and every run reads that file
(``resident.open_resident``), as a server or a later CLI run does: *cold* is then a fresh process's
first run (SQL built, nothing cached), *warm* its second.

Each population is generated once (cached as /tmp/huiqi-pop-N-k.parquet; "-k": written clustered by claim kind). Each measurement runs in a
fresh process, so the peak resident memory (ru_maxrss) is the run's own. The run is timed twice in
that process: *cold* (the SQL is built from the rule model: ibis → SQL, no disk cache) and *warm*
(the compiled SQL is reused, as for a second scenario, a reform or another batch). DuckDB gets a
3 GB memory limit and a spill directory. The engine is timed one profile at a time on a sample and
extrapolated.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ON = dt.date(2025, 9, 1)


def _child(path: str, batch: int | None, threads: int | None, resident: bool = False) -> None:
    os.environ["HUIQI_SQL_CACHE"] = tempfile.mkdtemp(prefix="huiqi-sqlcache-")  # cold: nothing cached yet
    from huiqi.rules import load_policies
    from huiqi.simulate import compile as C
    from huiqi.simulate import run as R

    ps = load_policies()
    tmp = tempfile.mkdtemp(prefix="huiqi-duck-")
    if resident:
        from huiqi.simulate import resident as RS

        population: object = RS.open_resident(path, threads=threads, memory_limit="6GB")
        population.con.con.execute(f"SET temp_directory = '{tmp}'")  # type: ignore[attr-defined]
        con = None
    else:
        population = path
        con = R.duckdb_connection(memory_limit="3GB", temp_directory=tmp, threads=threads)
    cpu = lambda: sum(resource.getrusage(resource.RUSAGE_SELF)[:2])  # noqa: E731  user + system seconds, all threads
    t0, c0 = time.perf_counter(), cpu()
    cp = C.prepare(ps, ON)
    s = R.run(ps, population, on=ON, batch=batch, con=con, compiled=cp)
    cold, cold_cpu = time.perf_counter() - t0, cpu() - c0
    t0, c0 = time.perf_counter(), cpu()
    s2 = R.run(ps, population, on=ON, batch=batch, con=con, compiled=cp)
    warm, warm_cpu = time.perf_counter() - t0, cpu() - c0
    assert s.table.equals(s2.table)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    totals = s.totals()
    print(json.dumps({"enterprises": s.enterprises, "rows": s.rows, "cold": cold, "warm": warm, "cold_cpu": cold_cpu, "warm_cpu": warm_cpu, "load": os.getloadavg()[0], "peak_bytes": peak, "programmes": len(ps.programmes()),
                      "results": sum(t["results"] for t in totals.values()), "after_caps": str(sum(t["after_caps"] for t in totals.values()))}))


def _engine(n: int) -> float:
    """Enterprises per second through huiqi.rules.evaluate, one profile at a time."""
    import pyarrow as pa

    from huiqi.rules import evaluate, load_policies
    from huiqi.simulate import population as P

    ps = load_policies()
    table = pa.concat_tables(list(P.generate(ps.vocabulary, n, seed=1)))
    profiles = list(P.to_profiles(table, ps.vocabulary).values())
    t0 = time.perf_counter()
    for p in profiles:
        evaluate(ps, p, on=ON)
    return n / (time.perf_counter() - t0)


def _cli(db: Path) -> None:
    """``huiqi simulate run DB --json`` in fresh processes, wall time as a user sees it: with an empty
    SQL cache (the SQL built), then three other dates (their SQL from that template, if the rules
    cannot tell the dates apart: simulate/watched.py), then a date in another year."""
    huiqi = Path(sys.executable).with_name("huiqi")
    env = dict(os.environ, HUIQI_SQL_CACHE=tempfile.mkdtemp(prefix="huiqi-sqlcache-"))
    days = (("cold, SQL built", "2026-03-02"), ("another date", "2026-05-11"), ("another date", "2026-07-15"),
            ("another date", "2026-11-30"), ("another year", "2027-03-02"))
    for label, day in days:
        t0 = time.perf_counter()
        cmd = [str(huiqi), "simulate", "run", str(db), "--on", day, "--json"]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        secs = time.perf_counter() - t0
        if proc.returncode != 0:
            print(f"  CLI {day}: failed (exit {proc.returncode}): {proc.stderr[-500:]}")
            return
        print(f"  CLI `huiqi simulate run {db.name} --on {day} --json`, {label}: {secs:.2f}s wall")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, action="append", help="enterprises (repeatable); default 1,000,000")
    ap.add_argument("--engine-sample", type=int, default=2000, help="profiles timed through the engine (0: skip)")
    ap.add_argument("--batch", type=int, default=None, help="enterprises per batch (default: all, or 2 M above 2.5 M)")
    ap.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: all cores)")
    ap.add_argument("--resident", action="store_true", help="run over a persisted DuckDB population (loaded once)")
    ap.add_argument("--cli", action="store_true",
                    help="with --resident: also time `huiqi simulate run` in fresh processes")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args.child, args.batch, args.threads, args.resident)
        return
    from huiqi.rules import load_policies
    from huiqi.simulate.population import write_population

    ps = load_policies()
    eps = _engine(args.engine_sample) if args.engine_sample else None
    if eps:
        print(f"engine one by one: {eps:,.0f} enterprises/s ({args.engine_sample} profiles, {len(ps.programmes())} programmes)")
    for n in args.n or [1_000_000]:
        path = Path(f"/tmp/huiqi-pop-{n}-k.parquet")
        if not path.exists():
            t0 = time.perf_counter()
            write_population(ps.vocabulary, n, path, seed=0)
            print(f"generated {n:,} enterprises in {time.perf_counter() - t0:.1f}s → {path}")
        if args.resident:
            from huiqi.simulate import resident as RS

            db = path.with_suffix(".duckdb")
            if not db.exists():
                t0 = time.perf_counter()
                RS.load(ps, path, database=db, memory_limit="6GB")
                size = db.stat().st_size / 2**30
                print(f"loaded {n:,} enterprises into {db} in {time.perf_counter() - t0:.1f}s ({size:.2f} GiB)")
            path = db
        if args.resident and args.cli:
            _cli(path)
        cmd = [sys.executable, __file__, "--child", str(path)] + (["--resident"] if args.resident else [])
        cmd += (["--batch", str(args.batch)] if args.batch else []) + (["--threads", str(args.threads)] if args.threads else [])
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"{n:,}: the run failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
            continue
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"DuckDB {out['enterprises']:,} enterprises ({out['rows']:,} rows, {out['results']:,} results) × {out['programmes']} programmes; peak RSS {out['peak_bytes'] / 2**30:.2f} GiB; after caps {out['after_caps']} yuan; load average {out['load']:.1f}")
        for label in ("cold", "warm"):
            secs = out[label]
            line = f"  {label}: {secs:6.2f}s wall ({out[label + '_cpu']:.1f}s CPU) = {out['rows'] / secs:,.0f} rows/s, {out['enterprises'] / secs:,.0f} enterprises/s"
            if eps:
                line += f", speed-up ×{out['enterprises'] / secs / eps:,.0f} over the engine"
            print(line)


if __name__ == "__main__":
    main()
