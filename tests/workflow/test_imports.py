"""免申即享 lists and credit records: imported whole or not at all, every bad row reported."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from openpyxl import Workbook

from huiqi.workflow.applications.models import Application
from huiqi.workflow.credit.models import CreditRecord
from huiqi.workflow.errors import ImportRejected
from huiqi.workflow.imports import service as imports
from huiqi.workflow.imports.models import ImportRun
from huiqi.workflow.payments import service as payments
from huiqi.workflow.payments import flows as payment_flows
from tests.workflow import helpers as h

DEFAULTS = {"enterprise.registered_district": "金山区", "enterprise.independent_legal_person": "true"}
ON = dt.date(2026, 6, 1)


def _csv(tmp_path, name, rows):
    p = tmp_path / name
    p.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8-sig")
    return p


def _nothing_imported(session):
    return session.query(Application).count() == 0 and session.query(CreditRecord).count() == 0 and session.query(ImportRun).count() == 0


def test_automatic_grants_from_an_officers_list(session, world, tmp_path):
    w = world
    # 按市级部门的资助金额 1:1 配套，最高 500 万元: 3,000,000 → 3,000,000; 8,000,000 → 5,000,000
    wb = Workbook()
    ws = wb.active
    ws.append(["uscc", "name", "municipal_grant"])
    ws.append([h.uscc(1), "测试企业1", 3000000])
    ws.append([h.uscc(7), "新企业7", "8000000"])
    path = tmp_path / "labs.xlsx"
    wb.save(path)
    apps = imports.import_automatic(session=session, path=path, programme_id="WF-LAB", year=2026, actor=w.officer, on=ON, defaults=DEFAULTS, policies=w.policies)
    assert [(a.state, a.channel, a.ceiling) for a in apps] == [("proposed", "automatic", Decimal("3000000.00")), ("proposed", "automatic", Decimal("5000000.00"))]
    assert apps[0].enterprise_id == w.ent[0].id  # matched by USCC; the second enterprise was registered
    for a in apps:
        imports.confirm(session=session, application_id=a.id, actor=w.officer, on=ON)
    batch = payments.create_batch(session=session, pay_on=ON, actor=w.officer)
    paid = payment_flows.run_batch(session=session, batch_id=batch.id, actor=w.officer)
    assert sum(p.amount for p in paid) == Decimal("8000000.00")


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([["uscc", "nom", "municipal_grant"], [h.uscc(1), "a", "1"]], [(1, "name"), (1, "nom")]),
        ([["uscc", "name", "municipal_grant"], ["91310116MA1000001X", "a", "1"], [h.uscc(2), "b", "lots"]], [(2, "uscc"), (3, "municipal_grant")]),
        ([["uscc", "name", "municipal_grant"], [h.uscc(1), "a", "1"], [h.uscc(2), "b", "2"], [h.uscc(1), "a", "3"]], [(4, "uscc")]),
    ],
    ids=["wrong-columns", "bad-uscc-and-amount", "duplicate-rows"],
)
def test_bad_automatic_lists_import_nothing(session, world, tmp_path, rows, expected):
    with pytest.raises(ImportRejected) as exc:
        imports.import_automatic(session=session, path=_csv(tmp_path, "list.csv", rows), programme_id="WF-LAB", year=2026, actor=world.officer, on=ON, defaults=DEFAULTS, policies=world.policies)
    assert [(p["row"], p["column"]) for p in exc.value.problems] == expected
    assert "nothing was imported" in exc.value.message_en
    session.rollback()
    assert _nothing_imported(session)


def test_imported_credit_records_hold_with_the_reason(session, world, tmp_path):
    # 关于项目管理有关要求 一、信用管理: 过去三年内有严重失信行为……原则上不予支持 — held, not refused (tests/workflow/test_credit.py)
    w = world
    path = _csv(tmp_path, "credit.csv", [["uscc", "name", "record_date", "authority", "description"], [h.uscc(1), "测试企业1", "2024-05-06", "上海市市场监督管理局", "列入严重违法失信名单"], [h.uscc(2), "测试企业2", "2022-01-10", "区税务局", "重大税收违法"]])
    run = imports.import_credit(session=session, path=path, actor=w.officer)
    assert run.rows == 2
    app = h.submitted(session, w, 0, "WF-RENT", h.rent())
    assert app.credit_hold is True and app.evaluation["profile"]["enterprise"]["serious_dishonesty_last_3_years"] is True
    assert [(c["date"], c["authority"], c["description"]) for c in app.evaluation["credit_records"]] == [("2024-05-06", "上海市市场监督管理局", "列入严重违法失信名单")]
    # 2022-01-10 is more than three years before 2026-03-10: it no longer counts
    app = h.submitted(session, w, 1, "WF-RENT", h.rent())
    assert app.credit_hold is False and app.evaluation["profile"]["enterprise"]["serious_dishonesty_last_3_years"] is False


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([["uscc", "name", "date", "authority", "description"], [h.uscc(1), "a", "2025-01-01", "x", "y"]], [(1, "record_date"), (1, "date")]),
        ([["uscc", "name", "record_date", "authority", "description"], [h.uscc(1)[:-1] + "0", "a", "2025-01-01", "x", "y"], [h.uscc(2), "b", "2025-02-30", "x", "y"]], [(2, "uscc"), (3, "record_date")]),
        ([["uscc", "name", "record_date", "authority", "description"], [h.uscc(1), "a", "2025-01-01", "x", "y"], [h.uscc(1), "a", "2025-01-01", "x", "y again"]], [(3, "uscc")]),
    ],
    ids=["wrong-columns", "bad-uscc-and-date", "duplicate-rows"],
)
def test_bad_credit_files_import_nothing(session, world, tmp_path, rows, expected):
    if rows[1][0] == h.uscc(1)[:-1] + "0" and h.uscc(1).endswith("0"):
        rows[1][0] = h.uscc(1)[:-1] + "1"
    with pytest.raises(ImportRejected) as exc:
        imports.import_credit(session=session, path=_csv(tmp_path, "c.csv", rows), actor=world.officer)
    assert [(p["row"], p["column"]) for p in exc.value.problems] == expected
    session.rollback()
    assert _nothing_imported(session)


# ------------------------------------------------------------------ idempotency (issue 14, finding 1)


def _grant_list(tmp_path, name, rows):
    """A 免申即享 list for WF-LAB: 1:1 match of the municipal grant, at most 5,000,000."""
    return _csv(tmp_path, name, [["uscc", "name", "municipal_grant"], *rows])


def _import(session, w, path):
    return imports.import_automatic(session=session, path=path, programme_id="WF-LAB", year=2026, actor=w.officer, on=ON, defaults=DEFAULTS, policies=w.policies)


def test_the_same_list_imported_again_proposes_nothing_twice(session, world, tmp_path):
    """Finding: “the same 免申即享 list imported three times gave 9,000 proposed grants from 3,000
    rows; one enterprise's grant was confirmed three times”."""
    from huiqi.workflow.decisions.models import Decision
    from huiqi.workflow.errors import AlreadyImported, IllegalTransition
    from huiqi.workflow.payments.models import Instalment

    w = world
    rows = [[h.uscc(1), "测试企业1", "3000000"], [h.uscc(2), "测试企业2", "1000000"], [h.uscc(3), "测试企业3", "200000"]]
    first = _import(session, w, _grant_list(tmp_path, "list.csv", rows))
    session.commit()
    assert [a.ceiling for a in first] == [Decimal("3000000.00"), Decimal("1000000.00"), Decimal("200000.00")]
    run = session.query(ImportRun).one()
    # the very same file again: refused, naming the earlier import (which, when, by whom)
    with pytest.raises(AlreadyImported) as exc:
        _import(session, w, _grant_list(tmp_path, "list-again.csv", rows))
    assert f"import {run.id}" in exc.value.message_en and "by officer" in exc.value.message_en and "list.csv" in exc.value.message_en
    assert f"导入批次 {run.id}" in exc.value.message_zh and "由 officer 导入" in exc.value.message_zh
    assert exc.value.details["by"] == "officer" and exc.value.status_code == 409
    session.rollback()
    # the same rows in another file (re-ordered, with one new enterprise): every old row is named
    with pytest.raises(ImportRejected) as exc:
        _import(session, w, _grant_list(tmp_path, "list-v2.csv", [rows[2], [h.uscc(7), "新企业7", "500000"], rows[0], rows[1]]))
    assert [(p["row"], p["column"]) for p in exc.value.problems] == [(2, "uscc"), (4, "uscc"), (5, "uscc")]
    assert f"application {first[2].id} (proposed" in exc.value.problems[0]["message_en"] and f"import {run.id}" in exc.value.problems[0]["message_en"]
    session.rollback()
    assert session.query(Application).count() == 3 and session.query(ImportRun).count() == 1
    # the new enterprise alone is imported
    [new] = _import(session, w, _grant_list(tmp_path, "list-new.csv", [[h.uscc(7), "新企业7", "500000"]]))
    session.commit()
    assert session.query(Application).count() == 4
    # a grant is confirmed once: the second confirmation is refused, nothing is charged twice
    imports.confirm(session=session, application_id=first[0].id, actor=w.officer, on=ON)
    session.commit()
    for _ in range(2):
        with pytest.raises(IllegalTransition, match="approved"):
            imports.confirm(session=session, application_id=first[0].id, actor=w.officer, on=ON)
        session.rollback()
    assert session.query(Decision).filter_by(application_id=first[0].id).count() == 1
    assert session.query(Instalment).filter_by(application_id=first[0].id).count() == 1
    assert new.state == "proposed"


def test_a_declined_proposal_may_be_proposed_again(session, world, tmp_path):
    from huiqi.workflow.decisions import service as decisions

    w = world
    [a] = _import(session, w, _grant_list(tmp_path, "a.csv", [[h.uscc(1), "测试企业1", "3000000"]]))
    decisions.decline(session=session, application_id=a.id, actor=w.officer, reason="市级资助金额有误，待更正")
    [b] = _import(session, w, _grant_list(tmp_path, "b.csv", [[h.uscc(1), "测试企业1", "2000000"]]))
    assert (a.state, b.state, b.ceiling) == ("rejected", "proposed", Decimal("2000000.00"))


def test_a_credit_record_imported_twice_is_one_record(session, world, tmp_path):
    from huiqi.workflow.errors import AlreadyImported

    w = world
    head = ["uscc", "name", "record_date", "authority", "description"]
    rec1 = [h.uscc(1), "测试企业1", "2024-05-06", "上海市市场监督管理局", "列入严重违法失信名单"]
    rec2 = [h.uscc(2), "测试企业2", "2025-01-10", "区税务局", "重大税收违法"]
    run1 = imports.import_credit(session=session, path=_csv(tmp_path, "may.csv", [head, rec1]), actor=w.officer)
    session.commit()
    with pytest.raises(AlreadyImported, match="already imported"):
        imports.import_credit(session=session, path=_csv(tmp_path, "may-copy.csv", [head, rec1]), actor=w.officer)
    session.rollback()
    # the authority's cumulative list: the known record is skipped (listed), the new one stored
    run2 = imports.import_credit(session=session, path=_csv(tmp_path, "june.csv", [head, rec1, rec2]), actor=w.officer)
    session.commit()
    assert (run1.rows, run2.rows) == (1, 1)
    assert [(s["row"], s["uscc"]) for s in run2.skipped] == [(2, h.uscc(1))]
    assert sorted(r.uscc for r in session.query(CreditRecord)) == sorted([h.uscc(1), h.uscc(2)])


def test_two_officers_importing_the_same_list_at_once_propose_it_once(factory, session, world, tmp_path):
    """Imports are serialised (PostgreSQL: an advisory lock; SQLite: BEGIN IMMEDIATE), so the checks
    above hold when two imports race."""
    import threading
    import time

    from huiqi.workflow.errors import AlreadyImported

    w = world
    session.close()
    path = _grant_list(tmp_path, "list.csv", [[h.uscc(1), "测试企业1", "3000000"], [h.uscc(2), "测试企业2", "1000000"]])
    barrier = threading.Barrier(2)
    outcome: list[str] = []

    def run():
        s = factory()
        try:
            barrier.wait()
            officer = s.get(type(w.officer), w.officer.id)
            apps = imports.import_automatic(session=s, path=path, programme_id="WF-LAB", year=2026, actor=officer, on=ON, defaults=DEFAULTS, policies=w.policies)
            time.sleep(0.3)  # hold the lock while the other import tries
            s.commit()
            outcome.append(f"imported {len(apps)}")
        except AlreadyImported:
            s.rollback()
            outcome.append("refused")
        except Exception as exc:  # noqa: BLE001 - reported in the assertion
            s.rollback()
            outcome.append(f"error:{exc!r}")
        finally:
            s.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcome) == ["imported 2", "refused"]
    assert session.query(Application).count() == 2
