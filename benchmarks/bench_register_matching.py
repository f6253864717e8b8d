"""Proactive matching of a district's register (issue 19): enterprises per second.

Registers N Jinshan enterprises in a fresh SQLite database, imports one fact list into their
records (high-tech recognition for a third, little-giant funding for a fifth, SME fund approval for
a seventh), then times ``matching.flows.run_register`` over every programme of 金科〔2025〕25号
(the rules engine, enterprise by enterprise) and, for comparison, the population compiler's check
(``--engine compiler``). Also times one ``notify dispatch`` over the resulting audit log.

Run: PYTHONPATH=src .venv/bin/python benchmarks/bench_register_matching.py [--n 1000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time

os.environ.setdefault("HUIQI_AUDIT_KEY", "bench-audit-key-" + "k" * 40)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=1000)
    args = ap.parse_args()

    from huiqi.rules import load_policies
    from huiqi.store import make_engine, make_sessionmaker, upgrade
    from huiqi.uscc import make_uscc
    from huiqi.workflow import states
    from huiqi.workflow.enterprises.models import Enterprise
    from huiqi.workflow.matching import flows as matching
    from huiqi.workflow.notifications import flows as notify
    from huiqi.workflow.records import service as records
    from huiqi.workflow.users import service as users

    ps = load_policies()
    day = dt.date(2026, 6, 1)
    d = tempfile.mkdtemp(prefix="huiqi-bench-")
    engine = make_engine(f"sqlite:///{d}/bench.sqlite")
    upgrade(engine)
    s = make_sessionmaker(engine)()
    admin = users.bootstrap_admin(session=s, username="admin", password="bench-password-1", policies=ps)
    off = users.create(session=s, username="off", password="bench-password-1", role=states.OFFICER, district="金山区", actor=admin, policies=ps)
    rows = ["uscc,name,enterprise.hnte_recognition,enterprise.zhangjiang_hnte_support,enterprise.municipal_little_giant_new,enterprise.municipal_little_giant_recommended_by_jinshan,enterprise.municipal_little_giant_grant,enterprise.sme_fund_project_approved,enterprise.sme_fund_recommended_by_jinshan,enterprise.sme_fund_municipal_grant"]
    for i in range(args.n):
        code = make_uscc(f"91310116MB{i:07d}")
        hn = ("首次认定", "否") if i % 3 == 0 else ("", "")
        lg = ("是", "是", "500000") if i % 5 == 0 else ("", "", "")
        sm = ("是", "是", "100000") if i % 7 == 0 else ("", "", "")
        rows.append(",".join([code, f"企业{i}", *hn, *lg, *sm]))
    t0 = time.perf_counter()
    records.import_facts(session=s, path="bench.csv", content=("\n".join(rows) + "\n").encode(), list_name="bench", actor=off, on=day, policies=ps)
    s.commit()
    t_import = time.perf_counter() - t0
    n = s.query(Enterprise).count()
    t0 = time.perf_counter()
    found = matching.run_register(session=s, actor=off, on=day, policies=ps)
    s.commit()
    t_engine = time.perf_counter() - t0
    t0 = time.perf_counter()
    ents = list(s.query(Enterprise).order_by(Enterprise.id))
    progs = matching.district_programmes(ps, "金山区")
    matching.compiler_eligible(session=s, district="金山区", enterprises=ents, programme_ids=progs, policies=ps, on=day)
    t_compiler = time.perf_counter() - t0
    t0 = time.perf_counter()
    out = notify.dispatch(session=s, actor=admin, on=day, policies=ps)
    s.commit()
    t_dispatch = time.perf_counter() - t0
    eligible = sum(len(v["eligible"]) for v in found.values())
    near = sum(len(v["near"]) for v in found.values())
    print(f"enterprises: {n}, programmes: {len(progs)}; matches kept: eligible {eligible}, near {near}")
    print(f"import of the fact list: {t_import:.2f} s ({n / t_import:,.0f} rows/s)")
    print(f"run_register (engine): {t_engine:.2f} s ({n / t_engine:,.0f} enterprises/s)")
    print(f"population compiler over the same register: {t_compiler:.2f} s")
    print(f"dispatch ({out['read']} audit entries, {out['made']} notifications): {t_dispatch:.2f} s")


if __name__ == "__main__":
    main()
