"""Population simulation benchmark: rows/s and peak memory on DuckDB; speed-up over the engine one by one.

    .venv/bin/python benchmarks/bench_simulate.py --n 1000000 [--n 10000000] [--engine-sample 2000]

Each population is generated once (cached under /tmp); each run happens in a fresh process so
the peak resident memory (ru_maxrss) is the run's own.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ON = dt.date(2025, 9, 1)


def _child(path: str, batch: int | None) -> None:
    from huiqi.rules import load_policies
    from huiqi.simulate import run as R

    ps = load_policies()
    t0 = time.perf_counter()
    s = R.run(ps, path, on=ON, batch=batch, con=R.duckdb_connection(memory_limit="3GB"))
    secs = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"enterprises": s.enterprises, "rows": s.rows, "seconds": secs, "peak_bytes": peak, "programmes": len(ps.programmes())}))


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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, action="append")
    ap.add_argument("--engine-sample", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=None)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(args.child, args.batch)
        return
    from huiqi.rules import load_policies
    from huiqi.simulate.population import write_population

    ps = load_policies()
    for n in args.n or [1_000_000]:
        path = Path(f"/tmp/huiqi-pop-{n}.parquet")
        if not path.exists():
            t0 = time.perf_counter()
            write_population(ps.vocabulary, n, path, seed=0)
            print(f"generated {n} enterprises in {time.perf_counter() - t0:.1f}s → {path}")
        cmd = [sys.executable, __file__, "--child", str(path)] + (["--batch", str(args.batch)] if args.batch else [])
        out = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])
        print(f"DuckDB: {out['enterprises']:,} enterprises ({out['rows']:,} rows) × {out['programmes']} programmes in {out['seconds']:.2f}s "
              f"= {out['enterprises'] / out['seconds']:,.0f} enterprises/s, {out['rows'] / out['seconds']:,.0f} rows/s; peak RSS {out['peak_bytes'] / 2**30:.2f} GiB")
        if args.engine_sample:
            eps = _engine(args.engine_sample)
            print(f"engine one by one: {eps:,.0f} enterprises/s → speed-up ×{out['enterprises'] / out['seconds'] / eps:,.1f}")


if __name__ == "__main__":
    main()
