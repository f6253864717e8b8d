"""Median time of a full match: one enterprise, 10 claim subjects, every loaded programme.

Prints the median, p90 and p99 twice: with the garbage collector as it is (CPython's default
thresholds, nothing frozen), then as the server tunes it at start-up (``huiqi.api.app.create_app``:
the rules compiled by ``engine.prepare``, then ``gc.freeze()`` and a gen-0 threshold of 50,000),
and the time with the JSON built.

Run: PYTHONPATH=$PWD/src .venv/bin/python benchmarks/bench_match.py [--repeat N]
Target (issue 2): ≤ 2 ms median once both documents are encoded.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import time
from pathlib import Path

from huiqi.rules import evaluate, load_policies, read_profile_file

ROOT = Path(__file__).resolve().parents[1]


def ten_claim_profile(vocab):
    """The clinical-stage biotech example, padded to exactly 10 claim subjects."""
    profile = read_profile_file(ROOT / "examples" / "jinshan-clinical-stage-biotech.yaml", vocab)
    base = list(profile.claims)
    i = 0
    while len(profile.claims) < 10:
        c = base[i % len(base)]
        profile.claims.append(type(c)(id=f"{c.id}-copy{i}", kind=c.kind, facts=dict(c.facts), label=c.label))
        i += 1
    return profile


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=2000)
    args = parser.parse_args()
    policies = load_policies()
    profile = ten_claim_profile(policies.vocabulary)
    on = dt.date(2026, 6, 30)
    for _ in range(50):  # warm up
        evaluate(policies, profile, on=on)

    def timed() -> tuple[list[float], object]:
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            report = evaluate(policies, profile, on=on)
            times.append(time.perf_counter() - t0)
        times.sort()
        return times, report

    def line(label: str, times: list[float]) -> str:
        return f"{label}: median {statistics.median(times) * 1000:.3f} ms   p90: {times[int(len(times) * 0.9)] * 1000:.3f} ms   p99: {times[int(len(times) * 0.99)] * 1000:.3f} ms   (n={len(times)})"

    times, report = timed()  # garbage collection as it is
    n_prog = len(policies.programmes())
    print(f"programmes loaded: {n_prog}; claim subjects: {len(profile.claims)}; results per match: {len(report.results)}")
    print(line("GC as it is (default thresholds)", times))
    from huiqi.api.app import _tune_gc
    from huiqi.rules.engine import prepare

    prepare(policies)  # what the server does at start-up (huiqi.api.app.create_app): the rules compiled,
    _tune_gc()  # then everything loaded frozen out of the collector (gc.freeze()), gen-0 threshold 50,000
    times, report = timed()
    print(line("GC tuned as in the server (gc.freeze(), threshold 50,000)", times))
    t0 = time.perf_counter()
    for _ in range(200):
        evaluate(policies, profile, on=on).to_dict()
    print(f"with JSON serialisation: {(time.perf_counter() - t0) / 200 * 1000:.3f} ms per match")


if __name__ == "__main__":
    main()
