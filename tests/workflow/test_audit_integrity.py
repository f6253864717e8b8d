"""The audit log proves what happened (issue 14, finding 5).

Finding: “editing entry 100 and recomputing later hashes with the public ``entry_hash`` passes
``huiqi audit verify``; multiplying ``payments.amount`` by 10 in the table is not detected at all.”
And of fifteen planted bugs, “leaving ``data`` out of the audit hash and no longer detecting deleted
final entries both passed every test”. Here: every column of an entry edited, deletion at the
head, middle and tail, reordering, a chain recomputed with the public hash or with another key,
the tail cut off with the head rewound or an old head put back (only a checkpoint sees that), and
a direct edit of each money table — each detected, naming the entry or the row. On SQLite and
PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import stat

import pytest
from sqlalchemy import select, text

from huiqi import audit
from huiqi.audit import AuditEntry, AuditHead, keys
from huiqi.audit import checkpoint as cp
from huiqi.audit.mac import GENESIS, entry_mac, legacy_entry_hash
from huiqi.workflow import reconcile
from huiqi.workflow.changes import flows as change_flows
from huiqi.workflow.decisions import flows as decision_flows
from huiqi.workflow.decisions import service as decisions
from huiqi.workflow.payments import flows as payment_flows
from huiqi.workflow.payments import service as payments
from huiqi.workflow.payments.models import Instalment, Payment
from tests.conftest import TEST_AUDIT_KEY
from tests.workflow import helpers as h

DAY = dt.date(2026, 6, 1)
LATER = dt.date(2026, 6, 11)


@pytest.fixture
def money(session, world):
    """Approvals, payments, a decline, a revocation with a claw-back recovered: every money table
    has rows. a (ent1): 1,500,000 approved, paid, revoked, recovered; d (ent2): 300,000 approved
    and paid; b (ent2): 600,000 approved, its instalment still scheduled; c (ent3): declined."""
    w = world
    a = h.checked_project(session, w, 0, "5000000")  # 5,000,000 × 30% = 1,500,000
    d = h.checked_project(session, w, 1, "1000000")  # 300,000
    b = h.checked_project(session, w, 1, "2000000")  # 600,000
    c = h.checked_project(session, w, 2, "1000000")
    decision_flows.approve(session=session, application_id=a.id, amount="1500000", actor=w.officer, on=DAY)
    decision_flows.approve(session=session, application_id=d.id, amount="300000", actor=w.officer, on=DAY)
    batch = payments.create_batch(session=session, pay_on=DAY, actor=w.officer)
    payment_flows.run_batch(session=session, batch_id=batch.id, actor=w.officer)
    decision_flows.approve(session=session, application_id=b.id, amount="600000", actor=w.officer, on=LATER)
    decisions.decline(session=session, application_id=c.id, actor=w.officer, reason="经评审不予支持")
    change_flows.revoke(
        session=session,
        application_id=a.id,
        ground="conditions_changed",
        reason="项目无法继续实施",
        actor=w.officer,
        on=dt.date(2026, 9, 1),
        policies=w.policies,
    )
    [rec] = payments.receivables(session=session, actor=w.officer, application_id=a.id)
    payment_flows.record_recovery(session=session, receivable_id=rec.id, actor=w.officer, on=dt.date(2026, 10, 9))
    session.commit()
    ids = {"a": a.id, "b": b.id, "c": c.id, "d": d.id, "receivable": rec.id}
    result = reconcile.verify_all(session)
    assert result.ok, result.message_en
    session.close()  # SQLite: a session holds the write lock until it ends
    return ids


def _sql(engine, session, statement: str, **params) -> None:
    session.close()
    with engine.begin() as conn:
        conn.execute(text(statement), params)
    session.close()


def _n(session) -> int:
    return session.execute(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1)).scalar()


def _entry(session, seq: int) -> AuditEntry:
    return session.execute(select(AuditEntry).where(AuditEntry.seq == seq)).scalar_one()


def _seq_of(session, action: str, entity_id) -> int:
    return session.execute(
        select(AuditEntry.seq).where(AuditEntry.action == action, AuditEntry.entity_id == str(entity_id))
    ).scalar_one()


# ------------------------------------------------------------------ the chain


EDITS = {
    "seq": lambda e: 10**6,
    "at": lambda e: e.at + dt.timedelta(seconds=1),
    "actor": lambda e: "intruder",
    "action": lambda e: "application.decline",
    "entity": lambda e: "round",
    "entity_id": lambda e: "999",
    "district": lambda e: "黄浦区" if e.district != "黄浦区" else "金山区",  # moved to another district's log
    "reason": lambda e: "补写的理由",
    "data": lambda e: {**e.data, "amount": "6000000.00"},  # 600,000 approved → “6,000,000” in the log
    "prev_hash": lambda e: "f" * 64,
    "hash": lambda e: "e" * 64,
}


def test_every_column_of_an_entry_is_covered(session, money):
    """Every column but the storage key ``id`` (ordering is by ``seq``) is covered by the MAC."""
    covered = {c.name for c in AuditEntry.__table__.columns} - {"id"}
    assert covered == set(EDITS)


@pytest.mark.parametrize("column", sorted(EDITS))
def test_editing_any_column_of_an_entry_is_detected(engine, session, money, column):
    k = _seq_of(session, "application.approve", money["b"])
    entry = _entry(session, k)
    new = EDITS[column](entry)
    session.close()
    with engine.begin() as conn:
        conn.execute(AuditEntry.__table__.update().where(AuditEntry.__table__.c.seq == k).values({column: new}))
    session.close()
    result = audit.verify(session)
    assert (result.ok, result.first_bad_seq) == (False, k), result.message_en
    assert f"第 {k} 条" in result.message_zh and f"entry {k}" in result.message_en


@pytest.mark.parametrize("where", ["head", "middle", "tail"])
def test_deleting_an_entry_is_detected(engine, session, money, where):
    n = _n(session)
    k = {"head": 1, "middle": n // 2, "tail": n}[where]
    _sql(engine, session, "DELETE FROM audit_log WHERE seq = :k", k=k)
    result = audit.verify(session)
    assert (result.ok, result.first_bad_seq) == (False, k), result.message_en
    if where == "tail":
        assert result.problem == "tail" and "1 entr(y/ies) deleted from the end" in result.message_en


def test_cutting_the_tail_and_rewinding_the_head_needs_the_key(engine, session, money):
    n = _n(session)
    prev = _entry(session, n - 2).hash
    _sql(engine, session, "DELETE FROM audit_log WHERE seq >= :k", k=n - 1)
    _sql(engine, session, "UPDATE audit_head SET seq = :s, hash = :h", s=n - 2, h=prev)
    result = audit.verify(session)
    assert (result.ok, result.problem, result.first_bad_seq) == (False, "head", n - 2), result.message_en


def test_an_entry_appended_without_the_key_is_detected(engine, session, money):
    n = _n(session)
    last = _entry(session, n)
    forged = {c: getattr(last, c) for c in ("at", "actor", "action", "entity", "entity_id", "reason", "data")}
    forged.update(seq=n + 1, prev_hash=last.hash, hash=hashlib.sha256(b"forged").hexdigest())
    session.close()
    with engine.begin() as conn:
        conn.execute(AuditEntry.__table__.insert().values(**forged))
    session.close()
    result = audit.verify(session)
    assert (result.ok, result.first_bad_seq) == (False, n + 1), result.message_en


def test_reordering_entries_is_detected(engine, session, money):
    k = _n(session) // 2
    _sql(engine, session, "UPDATE audit_log SET seq = -1 WHERE seq = :k", k=k)
    _sql(engine, session, "UPDATE audit_log SET seq = :k WHERE seq = :k1", k=k, k1=k + 1)
    _sql(engine, session, "UPDATE audit_log SET seq = :k1 WHERE seq = -1", k1=k + 1)
    result = audit.verify(session)
    assert (result.ok, result.first_bad_seq) == (False, k), result.message_en


def _rewrite(engine, session, *, start: int, mac, edit=None) -> None:
    """What an intruder does: edit entry ``start`` and recompute every link and hash after it."""
    rows = [dict(r) for r in session.execute(select(*AuditEntry.__table__.columns).order_by(AuditEntry.seq)).mappings()]
    session.close()
    prev = rows[start - 2]["hash"] if start > 1 else GENESIS
    t = AuditEntry.__table__
    with engine.begin() as conn:
        for r in rows[start - 1 :]:
            if r["seq"] == start and edit:
                r.update(edit(r))
            r["prev_hash"] = prev
            r["hash"] = mac(prev, r)
            conn.execute(t.update().where(t.c.id == r["id"]).values(data=r["data"], prev_hash=prev, hash=r["hash"]))
            prev = r["hash"]
        conn.execute(AuditHead.__table__.update().values(hash=prev))
    session.close()


@pytest.mark.parametrize("start", ["first", "payment"])
def test_a_chain_recomputed_with_the_public_hash_is_detected(engine, session, money, start):
    """The finding: edit an entry and recompute the later hashes with the public (unkeyed) SHA-256."""
    k = (
        1
        if start == "first"
        else _seq_of(session, "instalment.pay", session.execute(select(Payment.instalment_id).limit(1)).scalar())
    )
    _rewrite(
        engine,
        session,
        start=k,
        mac=lambda prev, r: legacy_entry_hash(prev, r),
        edit=lambda r: {"data": {**r["data"], "amount": "3000000.00"}},
    )
    result = audit.verify(session)
    assert (result.ok, result.first_bad_seq, result.problem) == (False, k, "mac"), result.message_en


def test_a_chain_recomputed_with_another_key_is_detected(engine, session, money):
    other = b"an-intruders-own-key-" + b"x" * 32
    _rewrite(engine, session, start=1, mac=lambda prev, r: entry_mac(other, r))
    assert (audit.verify(session).ok, audit.verify(session).first_bad_seq) == (False, 1)
    # … and claiming the head for the other key only says the key is not the chain's
    _sql(engine, session, "UPDATE audit_head SET key_id = :k", k=keys.key_id(other))
    result = audit.verify(session)
    assert (result.ok, result.problem) == (
        False,
        "key",
    ) and "not the key this log was written with" in result.message_en


# ------------------------------------------------------------------ checkpoints


def test_an_old_head_put_back_is_caught_by_a_checkpoint(engine, factory, session, world, money, tmp_path):
    """Without a checkpoint, cutting entries off the end and putting back a copy of the head taken
    earlier cannot be told from a log that simply ended there; a checkpoint kept outside can."""
    old = session.get(AuditHead, 1)
    old_head = {"seq": old.seq, "hash": old.hash, "mac": old.mac}
    session.close()
    with factory() as s:  # more work after the copy of the head was taken: a payment of 600,000
        batch = payments.create_batch(session=s, pay_on=LATER, actor=world.officer)
        payment_flows.run_batch(session=s, batch_id=batch.id, actor=world.officer)
        s.commit()
    with factory() as s:
        taken = cp.make(s, tables=reconcile.money_totals(s))
    path = tmp_path / "checkpoint.json"
    path.write_text(json.dumps(taken), encoding="utf-8")
    assert reconcile.verify_all(session, checkpoints=[("cp", cp.read(path))]).ok
    session.close()
    _sql(engine, session, "DELETE FROM audit_log WHERE seq > :s", s=old_head["seq"])
    _sql(engine, session, "DELETE FROM payments WHERE id = (SELECT max(id) FROM payments)")
    _sql(engine, session, "UPDATE instalments SET state = 'scheduled' WHERE application_id = :a", a=money["b"])
    _sql(engine, session, "UPDATE audit_head SET seq = :seq, hash = :hash, mac = :mac", **old_head)
    assert audit.verify(session).ok and reconcile.verify_all(session).ok  # consistent with itself …
    result = reconcile.verify_all(session, checkpoints=[("cp", cp.read(path))])
    assert (result.ok, result.problem) == (False, "truncated")  # … but not with the checkpoint
    assert f"recorded {taken['seq']} entries, it now has {old_head['seq']}" in result.message_en
    assert any(m.get("table") == "payments" and m["column"] == "rows" for m in result.mismatches)


def test_a_checkpoint_compares_money_rows_and_its_own_signature(engine, session, money, tmp_path):
    taken = cp.make(session, tables=reconcile.money_totals(session))
    assert taken["tables"]["payments"] == {
        "rows": 2,
        "max_id": taken["tables"]["payments"]["max_id"],
        "sums": {"amount": "1800000.00"},
    }
    assert taken["tables"]["decisions"]["sums"] == {
        "amount": "2400000.00",
        "ceiling": "2700000.00",
    }  # c was declined at its 300,000 ceiling
    forged = {**taken, "seq": taken["seq"] - 1}
    [problem] = cp.compare(session, forged, tables_now=lambda t: reconcile.money_totals(session, upto=t))
    assert problem["problem"] == "checkpoint" and "signature" in problem["message_en"]
    path = tmp_path / "cp.json"
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(cp.CheckpointError, match="not a checkpoint file"):
        cp.read(path)


# ------------------------------------------------------------------ the money tables


def _one(session, sql: str, **params):
    return session.execute(text(sql), params).scalar()


MONEY_EDITS = [
    # (name, table, the row's id (SQL), the edit, column, value in the table, value in the log)
    (
        "payment×10",
        "payments",
        "SELECT p.id FROM payments p WHERE p.application_id = :d",
        "UPDATE payments SET amount = amount * 10 WHERE id = :id",
        "amount",
        "3000000.00",
        "300000.00",
    ),
    (
        "payment date",
        "payments",
        "SELECT p.id FROM payments p WHERE p.application_id = :d",
        "UPDATE payments SET paid_on = '2026-06-02' WHERE id = :id",
        "paid_on",
        "2026-06-02",
        "2026-06-01",
    ),
    (
        "decision",
        "decisions",
        "SELECT id FROM decisions WHERE application_id = :b",
        "UPDATE decisions SET amount = 70000000 WHERE id = :id",
        "amount",
        "700000.00",
        "600000.00",
    ),
    (
        "approved sum",
        "applications",
        "SELECT :b",
        "UPDATE applications SET approved_amount = 70000000 WHERE id = :id",
        "approved_amount",
        "700000.00",
        "600000.00",
    ),
    (
        "instalment",
        "instalments",
        "SELECT id FROM instalments WHERE application_id = :b",
        "UPDATE instalments SET amount = 70000000 WHERE id = :id",
        "amount",
        "700000.00",
        "600000.00",
    ),
    (
        "instalment state",
        "instalments",
        "SELECT id FROM instalments WHERE application_id = :b",
        "UPDATE instalments SET state = 'cancelled' WHERE id = :id",
        "state",
        "cancelled",
        "scheduled",
    ),
    (
        "receivable",
        "receivables",
        "SELECT :receivable",
        "UPDATE receivables SET amount = 15000000 WHERE id = :id",
        "amount",
        "150000.00",
        "1500000.00",
    ),
    (
        "receivable state",
        "receivables",
        "SELECT :receivable",
        "UPDATE receivables SET state = 'open' WHERE id = :id",
        "state",
        "open",
        "recovered",
    ),
    (
        "revocation",
        "revocations",
        "SELECT id FROM revocations WHERE application_id = :a",
        "UPDATE revocations SET paid_total = 0 WHERE id = :id",
        "paid_total",
        "0.00",
        "1500000.00",
    ),
    (
        "cap charge",
        "cap_charges",
        "SELECT id FROM cap_charges WHERE application_id = :b",
        "UPDATE cap_charges SET amount = 6000000 WHERE id = :id",
        "amount",
        "60000.00",
        "600000.00",
    ),
    (
        "cap release",
        "cap_charges",
        "SELECT id FROM cap_charges WHERE application_id = :a",
        "UPDATE cap_charges SET released = 0 WHERE id = :id",
        "released",
        "0.00",
        "1500000.00",
    ),
    (
        "cap ledger",
        "cap_ledger",
        "SELECT l.id FROM cap_ledger l JOIN cap_charges c ON c.ledger_id = l.id WHERE c.application_id = :b",
        "UPDATE cap_ledger SET used = 0 WHERE id = :id",
        "used",
        "0.00",
        "900000.00",
    ),
]


@pytest.mark.parametrize(
    ("name", "table", "find", "edit", "column", "in_table", "in_log"), MONEY_EDITS, ids=[m[0] for m in MONEY_EDITS]
)
def test_a_direct_edit_of_a_money_table_is_named(
    engine, session, money, name, table, find, edit, column, in_table, in_log
):
    row_id = _one(session, find, **{k: v for k, v in money.items() if f":{k}" in find})
    _sql(engine, session, edit, id=row_id)
    assert audit.verify(session).ok  # the log itself was not touched …
    result = reconcile.verify_all(session)
    assert (result.ok, result.problem) == (False, "money")  # … the table disagrees with it
    first = result.mismatches[0]
    assert (first["table"], first["id"], first["column"], first["in_table"], first["in_log"]) == (
        table,
        row_id,
        column,
        in_table,
        in_log,
    )
    assert (
        first["seq"]
        and f"{table} id={row_id}" in result.message_en
        and in_table in result.message_en
        and in_log in result.message_en
    )


def test_a_deleted_or_inserted_payment_is_named(engine, session, money):
    pay = session.execute(select(Payment).where(Payment.application_id == money["d"])).scalar_one()
    pay_id, inst_id, batch_id, ref = pay.id, pay.instalment_id, pay.batch_id, pay.reference
    _sql(engine, session, "DELETE FROM payments WHERE id = :id", id=pay_id)
    result = reconcile.verify_all(session)
    assert not result.ok and (
        result.mismatches[0]["table"],
        result.mismatches[0]["id"],
        result.mismatches[0]["column"],
    ) == ("payments", pay_id, "(row)")
    assert "missing from the table (deleted)" in result.message_en
    put_back = "INSERT INTO payments (id, instalment_id, application_id, batch_id, amount, paid_on, reference, created_at) VALUES (:id, :i, :a, :b, 30000000, '2026-06-01', :r, :t)"
    _sql(
        engine,
        session,
        put_back,
        id=pay_id,
        i=inst_id,
        a=money["d"],
        b=batch_id,
        r=ref,
        t=dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc),
    )
    assert reconcile.verify_all(session).ok  # put back as it was: agrees again
    b_inst = session.execute(select(Instalment.id).where(Instalment.application_id == money["b"])).scalar_one()
    _sql(
        engine,
        session,
        "INSERT INTO payments (instalment_id, application_id, amount, paid_on, reference, created_at) VALUES (:i, :a, 60000000, '2026-06-11', 'fake', :t)",
        i=b_inst,
        a=money["b"],
        t=dt.datetime(2026, 6, 11, tzinfo=dt.timezone.utc),
    )
    result = reconcile.verify_all(session)
    assert not result.ok and (result.mismatches[0]["table"], result.mismatches[0]["column"]) == ("payments", "(row)")
    assert "no record of this row" in result.message_en


# ------------------------------------------------------------------ the key


def test_the_key_file_is_created_once_with_mode_600_and_never_replaced(monkeypatch, tmp_path, session, world):
    monkeypatch.delenv(keys.ENV_KEY)
    monkeypatch.setenv("HUIQI_DATA_DIR", str(tmp_path / "data"))
    # the world was written with the test key: a different key is refused, nothing is written
    from huiqi.workflow.enterprises import service as enterprises

    with pytest.raises(keys.AuditKeyError, match="not found"):
        enterprises.create(session=session, uscc=h.uscc(9), name="新企业", district="金山区", actor=world.officer)
    session.rollback()
    path = tmp_path / "data" / "audit_key"
    assert not path.exists()  # a chain already keyed never gets a fresh key
    result = audit.verify(session)
    assert (result.ok, result.problem) == (False, "key") and "HUIQI_AUDIT_KEY" in result.message_en
    path.parent.mkdir()
    path.write_text("another-key-" + "y" * 40)
    with pytest.raises(keys.AuditKeyError, match="refusing to write"):
        audit.record(session, actor="x", action="test", entity="x", entity_id=1)
    session.rollback()
    assert "not the key this log was written with" in audit.verify(session).message_en


def test_a_new_chain_creates_its_key_file(monkeypatch, tmp_path, engine, session):
    monkeypatch.delenv(keys.ENV_KEY)
    monkeypatch.setenv("HUIQI_DATA_DIR", str(tmp_path / "data"))
    audit.record(session, actor="system", action="test.first", entity="test", entity_id=1, data={"n": 1})
    session.commit()
    path = tmp_path / "data" / "audit_key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and len(path.read_bytes()) >= 32
    key = path.read_bytes()
    entry = audit.entries(session)[0]
    assert entry.hash == entry_mac(key, audit.row_of(entry))
    assert (
        entry.hash
        == hmac.new(
            key,
            b"huiqi-audit-entry/1\n"
            + json.dumps(
                {
                    "seq": 1,
                    "at": (
                        entry.at.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
                        if entry.at.tzinfo
                        else entry.at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
                    ),
                    "actor": "system",
                    "action": "test.first",
                    "entity": "test",
                    "entity_id": "1",
                    "data": {"n": 1},
                    "prev_hash": GENESIS,
                },
                ensure_ascii=False,
                sort_keys=True,
                separators=(",", ":"),
            ).encode(),
            hashlib.sha256,
        ).hexdigest()
    )
    assert audit.verify(session).ok
    keys.configure(key=TEST_AUDIT_KEY)  # the settings' key wins over the file: not this chain's key
    assert audit.verify(session).problem == "key"


# ------------------------------------------------------------------ upgrading a chain written before the key


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def blank_engine(request, tmp_path):
    """An empty database of its own (the migration under test starts from revision 0002)."""
    import uuid

    from huiqi.store import make_engine
    from tests.workflow.conftest import PG_URL

    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
        yield eng
        eng.dispose()
        return
    request.getfixturevalue("_pg_schema")  # skips (or fails in CI) when the server is unreachable
    schema = f"huiqi_m_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    eng = make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    yield eng
    eng.dispose()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _legacy_chain(engine, n: int, *, break_at: int | None = None) -> str:
    """``n`` entries chained with the unkeyed SHA-256 of revisions 0001–0002 (and its head);
    ``break_at``: that entry edited afterwards, as an intruder could before the upgrade."""
    log = AuditEntry.__table__
    prev = GENESIS
    with engine.begin() as conn:
        for seq in range(1, n + 1):
            row = {
                "seq": seq,
                "at": dt.datetime(2026, 3, 1, 9, 0, seq, tzinfo=dt.timezone.utc),
                "actor": "officer",
                "action": "payment.run",
                "entity": "payment_batch",
                "entity_id": str(seq),
                "reason": None,
                "data": {"total": f"{seq}00000.00"},
                "prev_hash": prev,
            }
            row["hash"] = legacy_entry_hash(prev, row)
            conn.execute(log.insert().values(**row))
            prev = row["hash"]
        conn.execute(text("INSERT INTO audit_head (id, seq, hash) VALUES (1, :s, :h)"), {"s": n, "h": prev})
        if break_at:
            conn.execute(log.update().where(log.c.seq == break_at).values(reason="事后补写"))
    return prev


@pytest.mark.parametrize("intact", [True, False], ids=["intact", "broken-before-upgrade"])
def test_upgrading_rekeys_the_old_chain_and_records_it(blank_engine, intact):
    from huiqi.store import make_sessionmaker, head_revision, upgrade

    engine = blank_engine
    assert upgrade(engine, "0002") == "0002"
    old_head = _legacy_chain(engine, 5, break_at=None if intact else 3)
    assert upgrade(engine) == head_revision()  # the packaged head (the chain is checked linear in test_store)
    with make_sessionmaker(engine)() as s:
        result = audit.verify(s)
        assert (result.ok, result.entries) == (True, 6), result.message_en
        note = audit.entries(s)[-1]
        assert (note.seq, note.action, note.actor) == (6, "audit.rekey", "system")
        assert note.data == {
            "scheme": "hmac-sha256/1",
            "entries": 5,
            "legacy_head": old_head,
            "legacy_head_seq": 5,
            "legacy_chain_ok": intact,
            "legacy_first_bad_seq": None if intact else 3,
            "key_id": keys.key_id(TEST_AUDIT_KEY.encode()),
        }
        if intact:
            assert result.notes == []
        else:  # tampering done before the upgrade is not laundered: it stays on record
            [n] = result.notes
            assert n["seq"] == 6 and "already broken at entry 3" in n["message_en"]
        audit.record(s, actor="officer", action="test.after", entity="test", entity_id=1)  # the chain goes on, keyed
        s.commit()
        assert audit.verify(s).ok and audit.verify(s).entries == 7
    with engine.begin() as conn:  # after the upgrade, the public hash no longer makes an edit pass
        conn.execute(text("UPDATE audit_log SET reason = 'edited' WHERE seq = 2"))
    with make_sessionmaker(engine)() as s:
        assert (audit.verify(s).ok, audit.verify(s).first_bad_seq) == (False, 2)
    from alembic import command

    from huiqi.store import alembic_config

    command.downgrade(alembic_config(engine), "0002")  # back to the unkeyed chain of 0002
    with engine.connect() as conn:
        import sqlalchemy as sa

        log = sa.Table("audit_log", sa.MetaData(), autoload_with=conn)  # the 0002 table (no district)
        rows = [dict(r) for r in conn.execute(sa.select(log).order_by(log.c.seq)).mappings()]
        head = conn.execute(text("SELECT seq, hash FROM audit_head")).one()
    prev = GENESIS
    for r in rows:
        assert r["prev_hash"] == prev and r["hash"] == legacy_entry_hash(prev, r)
        prev = r["hash"]
    assert tuple(head) == (7, prev)
