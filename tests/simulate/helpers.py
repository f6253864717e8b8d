"""Compare the compiled rules with the engine, result by result, to the fen; populations that make
every shared rule decide something (per-entity caps, count-once keys, highest tiers)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pyarrow as pa

from huiqi.rules import evaluate
from huiqi.rules import model as M
from huiqi.rules.engine import ELIGIBLE, NEEDS_INFO
from huiqi.simulate import population as P
from huiqi.simulate import run as R


def engine_reports(policies, table: pa.Table, on) -> dict:
    """enterprise id → the engine's results (in report order), each with its claim__seq."""
    seq = {(r["enterprise_id"], r["claim__id"]): r["claim__seq"] for r in table.select(["enterprise_id", "claim__id", "claim__seq"]).to_pylist()}
    out = {}
    for eid, profile in P.to_profiles(table, policies.vocabulary).items():
        out[eid] = [(seq[(eid, r.claim.id)] if r.claim else 0, r) for r in evaluate(policies, profile, on=on, future_events="ignore").results]
    return out


def engine_results(policies, table: pa.Table, on, reports: dict | None = None) -> dict:
    reports = reports if reports is not None else engine_reports(policies, table, on)
    return {(eid, r.programme.id, s): (r.status, r.ceiling) for eid, rs in reports.items() for s, r in rs}


def mismatches(policies, table: pa.Table, on, con, compiled, *, want: dict | None = None, **scan) -> list:
    want = want if want is not None else engine_results(policies, table, on)
    got = R.row_results(compiled, con, table, **scan)
    assert set(got) == set(want), "the compiled rules produce other result rows than the engine"
    return [(k, want[k], got[k]) for k in sorted(want, key=str) if want[k] != got[k]]


def narrowed(table: pa.Table) -> pa.Table:
    """Every numeric fact column as the narrowest decimal holding its largest value, as a resident
    population stores it (``resident._narrow_types``): the compiled arithmetic then stays in 64-bit
    decimals, which must give the same answers as the generated DECIMAL(18, 2) / BIGINT columns."""
    cols = {}
    for name in table.column_names:
        col = table.column(name)
        t = col.type
        numeric = pa.types.is_decimal(t) or pa.types.is_integer(t)
        if "__" in name and not name.startswith(("claim__", "call__")) and numeric:
            scale = t.scale if pa.types.is_decimal(t) else 0
            values = [None if v is None else Decimal(v) for v in col.to_pylist()]
            top = max((abs(v) for v in values if v is not None), default=0)
            col = pa.array(values, pa.decimal128(len(str(int(top))) + scale, scale))
        cols[name] = col
    return pa.table(cols)


# ------------------------------------------------------------------ a population that hits every shared rule


def _scaled(v, factor: int):
    return None if v is None else (v * factor if isinstance(v, (int, Decimal)) and not isinstance(v, bool) else v)


def shared_rules_population(policies, table: pa.Table, on, *, seed: int = 0, per_programme: int = 8) -> pa.Table:
    """``table`` plus claims grafted onto enterprises so that every per-entity cap clips.

    For each cap member programme, up to ``per_programme`` enterprises whose result without a claim
    is needs-info (the enterprise itself qualifies or may) get 2–5 claims of the programme's kind,
    copied from the population's claims of that kind: money facts × 1, 10 or 100; the count-once key
    (variety) mostly distinct, one claim in four sharing the enterprise's previous one (counted once); one claim in three with one
    other fact of the kind left unknown (needs-info, with a ceiling when that fact is not in the
    amount: "eligible first" then decides the order). Each enterprise's claims after its first row
    are then shuffled (result order = claim order), so needs-info members come before eligible ones.
    Highest-tier values (J3.1) are set at or just above a tier's threshold on two thirds of the
    enterprises, so that every tier is paid."""
    rng = random.Random(seed)
    vocab = policies.vocabulary
    fact_types = P.fact_columns(vocab)
    rows = table.to_pylist()
    reports = engine_reports(policies, table, on)
    programmes = {p.id: p for p in policies.programmes()}
    members = [pid for d in policies.documents for c in d.caps for pid in c.programmes if pid in programmes]
    keys = {p.subject: p.support.count_once_per.replace(".", "__") for p in programmes.values() if p.support.count_once_per}
    tiers = [(p.support.amount.value.name.replace(".", "__"), [t.at_least.value for t in p.support.amount.tiers if hasattr(t.at_least, "value")]) for p in programmes.values() if isinstance(p.support.amount, M.HighestTier) and hasattr(p.support.amount.value, "name")]
    first = {r["enterprise_id"]: r for r in rows if r["claim__seq"] == 0}
    last: dict[int, int] = {}
    for r in rows:
        last[r["enterprise_id"]] = max(last.get(r["enterprise_id"], 0), r["claim__seq"])
    ent_cols = [c for c in table.column_names if c.startswith(("enterprise__", "call__"))]
    extra = []
    for pid in dict.fromkeys(members):
        kind = programmes[pid].subject
        templates = [r for r in rows if r["claim__kind"] == kind]
        cands = sorted(eid for eid, rs in reports.items() for s, r in rs if r.programme.id == pid and r.claim is None and r.status == NEEDS_INFO)
        if not templates or not cands:
            continue
        own = [c for c in table.column_names if c.startswith(kind + "__")]
        dates = [c for c in own if fact_types.get(c, ("",))[0] == "date"]
        years = [c for c in own if c.endswith("year") and fact_types.get(c, ("",))[0] in ("int", "integer", "number")]
        for eid in rng.sample(cands, min(per_programme, len(cands))):
            wanted, tries = rng.randint(2, 5), 0
            while wanted and tries < 40:
                tries += 1
                copy = dict(rng.choice(templates))
                copy.update({c: first[eid][c] for c in ent_cols})
                factor = rng.choice((1, 10, 100))
                for c in own:
                    if fact_types.get(c, ("",))[0] == "money":
                        copy[c] = _scaled(copy[c], factor)
                for c in dates:  # this year, so that the cap counts them together
                    if copy[c] is not None and rng.random() < 0.8:
                        copy[c] = on - dt.timedelta(days=rng.randint(0, 50))
                for c in years:  # a year of support (H1: its event date follows it): this year, as for dates
                    if copy[c] is not None and rng.random() < 0.8:
                        copy[c] = on.year
                if kind in keys:
                    copy[keys[kind]] = f"v{eid}-{len(extra) - (rng.random() < 1 / 4)}"
                if rng.random() < 1 / 3:
                    copy[rng.choice([c for c in own if c != keys.get(kind)])] = None
                copy["enterprise_id"], copy["claim__seq"], copy["claim__id"] = eid, last[eid] + 1, f"{kind}-g{len(extra)}"
                if not _member(policies, first[eid], copy, kind, pid, on):
                    continue
                last[eid] += 1
                wanted -= 1
                extra.append(copy)
    rows = rows + extra
    # shuffle each enterprise's claim order (its first row, which carries the enterprise facts, stays)
    later: dict[int, list[dict]] = {}
    for r in rows:
        if r["claim__seq"] > 0:
            later.setdefault(r["enterprise_id"], []).append(r)
    for rs in later.values():
        seqs = [r["claim__seq"] for r in rs]
        rng.shuffle(seqs)
        for r, s in zip(rs, seqs):
            r["claim__seq"] = s
    # highest tiers: the value at or just above a threshold; the enterprise facts on all its rows
    ent_change: dict[int, dict] = {}
    for eid in sorted(first):
        if tiers and rng.random() < 2 / 3:
            col, at = rng.choice(tiers)
            ent_change[eid] = {col: rng.choice(at) * rng.choice((Decimal(1), Decimal("1.3")))}
    for r in rows:
        r.update(ent_change.get(r["enterprise_id"], {}))
    return pa.Table.from_pylist(rows, schema=table.schema)


def _member(policies, ent_row: dict, claim_row: dict, kind: str, pid: str, on) -> bool:
    """Whether the claim, alone on the enterprise, is a cap member: eligible or needs-info with a ceiling."""
    from huiqi.rules.profile import parse_profile

    ent = {k.split("__", 1)[1]: v for k, v in ent_row.items() if k.startswith("enterprise__") and v is not None}
    call = {k.split("__", 1)[1]: v for k, v in ent_row.items() if k.startswith("call__") and v is not None}
    claim = {"id": claim_row["claim__id"], "kind": kind, **{k.split("__", 1)[1]: v for k, v in claim_row.items() if k.startswith(kind + "__") and v is not None}}
    profile = parse_profile({"enterprise": ent, "call": call, "claims": [claim]}, policies.vocabulary)
    try:
        return any(r.status in (ELIGIBLE, NEEDS_INFO) and r.ceiling for r in evaluate(policies, profile, on=on, programmes=[pid], future_events="ignore").results)
    except (ValueError, OverflowError):  # a generated value the rules cannot use (e.g. a date before year 1)
        return False


def shared_rule_counts(policies, reports: dict) -> dict[str, int]:
    """How often each shared rule decided a result in the engine's reports: per cap, the results it
    clipped and the entity-years where filling eligible results first changed a ceiling; results
    dropped by a count-once key; results (eligible, or needs-info with a ceiling) per highest-tier sum."""
    from collections import Counter

    counts: Counter = Counter()
    caps = [c for d in policies.documents for c in d.caps]
    for rs in reports.values():
        results = [r for _, r in rs]
        for r in results:
            for clip in r.caps:
                counts[f"clipped {clip.cap}"] += 1
            if any(f.id == "count_once" for f in r.failed):
                counts[f"count-once {r.programme.id}"] += 1
            if isinstance(r.programme.support.amount, M.HighestTier) and r.status in (ELIGIBLE, NEEDS_INFO) and r.uncapped is not None:
                counts[f"tier {r.programme.id} {r.uncapped}"] += 1
        for cap in caps:
            everyone = [r for r in results if r.programme.id in cap.programmes and r.uncapped is not None and r.status in (ELIGIBLE, NEEDS_INFO)]
            for year in {r.cap_year for r in everyone}:
                group = [r for r in everyone if r.cap_year == year]
                if _fill(group, cap.amount) != _fill(sorted(group, key=lambda r: r.status != ELIGIBLE), cap.amount):
                    counts[f"eligible-first {cap.id}"] += 1
    return dict(counts)


def _fill(group: list, amount) -> dict:
    """Clip ``group`` in its order against a constant cap (only to tell whether the order matters)."""
    from huiqi.rules import expr as E

    try:
        limit = E.evaluate(amount, lambda name: None)
    except Exception:  # noqa: BLE001 - a cap depending on facts: not compared here
        return {}
    if not isinstance(limit, Decimal):
        return {}
    used, out = Decimal(0), {}
    for r in group:
        room = max(limit - used, Decimal(0))
        out[id(r)] = min(r.uncapped, room)
        used += out[id(r)]
    return out


# ------------------------------------------------------------------ summaries (the production plan)


def summed_by_district(table: pa.Table, reports: dict) -> tuple[dict, dict]:
    """The engine's results added up per programme and district (non-zero rows only), and the
    number of clipped results per programme."""
    from decimal import Decimal

    from huiqi.rules.engine import ELIGIBLE, NEEDS_INFO

    rows = table.select(["enterprise_id", "claim__seq", "enterprise__registered_district"]).to_pylist()
    district = {r["enterprise_id"]: r["enterprise__registered_district"] for r in rows if r["claim__seq"] == 0}
    want: dict = {}
    clipped: dict = {}
    for eid, results in reports.items():
        for _, r in results:
            zero = {"eligible": 0, "needs_info": 0, "ceiling": Decimal(0), "after_caps": Decimal(0),
                    "needs_info_ceiling": Decimal(0)}
            t = want.setdefault((r.programme.id, district[eid]), zero)
            if r.status == ELIGIBLE:
                t["eligible"] += 1
                if r.ceiling is not None:
                    t["ceiling"] += r.uncapped
                    t["after_caps"] += r.ceiling
                    clipped[r.programme.id] = clipped.get(r.programme.id, 0) + (r.ceiling != r.uncapped)
            if r.status == NEEDS_INFO:
                t["needs_info"] += 1
                t["needs_info_ceiling"] += r.ceiling or 0
    return {k: v for k, v in want.items() if any(v.values())}, clipped


def summary_by_district(policies, path, on, **kwargs) -> dict:
    """``run.run``'s table (the summary plan) in the shape of ``summed_by_district``."""
    keys = ("eligible", "needs_info", "ceiling", "after_caps", "needs_info_ceiling")
    rows = R.run(policies, path, on=on, **kwargs).table.to_pylist()
    got = {(row["programme"], row["by"]): {k: row[k] for k in keys} for row in rows}
    return {k: v for k, v in got.items() if any(v.values())}


def with_enterprise_cap(policies, pid: str = "J3.1", amount: str = "300000"):
    """The policies with a made-up per-enterprise annual cap over one enterprise-subject programme
    (no cap of either document covers one; a new district's policy may)."""
    doc = next(d for d in policies.documents if any(p.id == pid for p in d.programmes))
    assert next(p for p in doc.programmes if p.id == pid).subject == "enterprise"
    return with_cap(policies, pid, amount)


def with_cap(policies, pid: str, amount: str):
    """The policies with a made-up per-entity annual cap of ``amount`` (an expression: it may read
    enterprise facts, as no cap of either document does) over programme ``pid``."""
    import dataclasses

    from huiqi.rules import expr as E

    doc = next(d for d in policies.documents if any(p.id == pid for p in d.programmes))
    cap = M.Cap(id=f"test-{pid}-per-enterprise-year", amount=E.parse(amount), programmes=(pid,),
                clause=doc.caps[0].clause)
    documents = [dataclasses.replace(d, caps=d.caps + (cap,)) if d is doc else d for d in policies.documents]
    return M.PolicySet(policies.vocabulary, documents)
