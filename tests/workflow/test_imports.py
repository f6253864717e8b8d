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
