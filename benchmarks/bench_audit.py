"""What the keyed audit chain costs: appending entries, and ``huiqi audit verify`` (the chain walk,
then the money tables reconciled against it) over a log of N entries.

Run: .venv/bin/python benchmarks/bench_audit.py [--entries 100000] [--payments 10000] [--url URL]
Default database: a SQLite file in a temporary folder (PostgreSQL: --url postgresql+psycopg://…;
the benchmark works in a schema of its own and drops it).

The log is built the way ``audit.record`` builds it (the same MACs) but inserted in bulk, so the
benchmark measures verification, not its own set-up; ``--payments`` of those entries are
``instalment.pay`` entries with their instalment and payment rows, so reconciliation has work.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time
import uuid
from decimal import Decimal

from sqlalchemy import text

os.environ.setdefault("HUIQI_AUDIT_KEY", "benchmark-audit-key-" + "b" * 40)

from huiqi import audit  # noqa: E402
from huiqi.audit import AuditEntry, AuditHead, keys  # noqa: E402
from huiqi.audit.mac import GENESIS, entry_mac, head_mac, plain  # noqa: E402
from huiqi.store import make_engine, make_sessionmaker, upgrade  # noqa: E402


def build(engine, n: int, pays: int) -> None:
    key = keys.load()
    log, head = AuditEntry.__table__, AuditHead.__table__
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    prev, rows = GENESIS, []
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO enterprises (id, uscc, name, created_at) VALUES (1, '91310116MA1000001X', 'bench', :t)"),
            {"t": t0},
        )
        conn.execute(
            text(
                "INSERT INTO applications (id, enterprise_id, programme_id, channel, year, state, profile, cap_limits, created_at, credit_hold) "
                "VALUES (1, 1, 'BENCH', 'online', 2026, 'approved', '{}', '[]', :t, false)"
            ),
            {"t": t0},
        )
        for i in range(1, pays + 1):
            conn.execute(
                text(
                    "INSERT INTO instalments (id, application_id, seq, label_zh, label_en, after_months, due_on, amount, state, created_at) "
                    "VALUES (:i, 1, :i, 'x', 'x', 0, '2026-01-01', 100000, 'paid', :t)"
                ),
                {"i": i, "t": t0},
            )
            conn.execute(
                text(
                    "INSERT INTO payments (id, instalment_id, application_id, amount, paid_on, reference, created_at) VALUES (:i, :i, 1, 100000, '2026-01-01', :r, :t)"
                ),
                {"i": i, "r": f"B/{i}", "t": t0},
            )
        for seq in range(1, n + 1):
            paid = seq <= pays
            row = {
                "seq": seq,
                "at": t0 + dt.timedelta(seconds=seq),
                "actor": "officer",
                "action": "instalment.pay" if paid else "application.view",
                "entity": "instalment" if paid else "application",
                "entity_id": str(seq if paid else 1),
                "reason": None,
                "data": plain(
                    {
                        "from": "scheduled",
                        "to": "paid",
                        "amount": Decimal("1000.00"),
                        "application": 1,
                        "payment": seq,
                        "paid_on": "2026-01-01",
                        "reference": f"B/{seq}",
                    }
                    if paid
                    else {"n": seq}
                ),
                "prev_hash": prev,
            }
            row["hash"] = entry_mac(key, row)
            prev = row["hash"]
            rows.append(row)
            if len(rows) == 5000:
                conn.execute(log.insert(), rows)
                rows = []
        if rows:
            conn.execute(log.insert(), rows)
        conn.execute(
            head.insert().values(id=1, seq=n, hash=prev, key_id=keys.key_id(key), mac=head_mac(key, seq=n, last=prev))
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--payments", type=int, default=10_000)
    parser.add_argument("--appends", type=int, default=500)
    parser.add_argument("--url", default=None)
    args = parser.parse_args()
    schema = None
    if args.url and args.url.startswith("postgresql"):
        schema = f"huiqi_bench_{uuid.uuid4().hex[:8]}"
        admin = make_engine(args.url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = make_engine(args.url, connect_args={"options": f"-csearch_path={schema}"})
    else:
        engine = make_engine(args.url or f"sqlite:///{tempfile.mkdtemp(prefix='huiqi-bench-')}/audit.sqlite")
    try:
        upgrade(engine)
        t = time.perf_counter()
        build(engine, args.entries, args.payments)
        print(
            f"database: {engine.dialect.name}; built {args.entries} entries ({args.payments} payments) in {time.perf_counter() - t:.1f} s"
        )
        from huiqi.workflow.reconcile import reconcile, verify_all

        maker = make_sessionmaker(engine)
        with maker() as s:
            t = time.perf_counter()
            r = audit.verify(s)
            chain = time.perf_counter() - t
            assert r.ok, r.message_en
            t = time.perf_counter()
            mismatches, _notes = reconcile(s)
            money = time.perf_counter() - t
            assert not mismatches, mismatches[:3]
            t = time.perf_counter()
            assert verify_all(s).ok
            total = time.perf_counter() - t
        print(
            f"verify: chain {chain:.2f} s ({args.entries / chain:,.0f} entries/s), reconcile {money:.2f} s, both {total:.2f} s"
        )
        with maker() as s:
            t = time.perf_counter()
            for i in range(args.appends):
                audit.record(s, actor="officer", action="bench.append", entity="bench", entity_id=i, data={"i": i})
                s.commit()
            per = (time.perf_counter() - t) / args.appends
        print(f"append: {per * 1000:.2f} ms per entry, each in its own committed transaction ({args.appends} appends)")
    finally:
        engine.dispose()
        if schema:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
