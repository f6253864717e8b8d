"""Exports: user text never becomes a formula, amounts stay numbers (issue 14, finding 4).

Finding: “an imported enterprise name ``=HYPERLINK(…)`` comes out of the payment and notice .xlsx as
a working formula”. OWASP (CSV injection): cells from user input that start with ``=``, ``+``,
``-``, ``@``, tab or carriage return must be written as text.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from huiqi.workflow import states
from huiqi.workflow.applications import service as applications
from huiqi.workflow.exports import service as exports
from huiqi.workflow.imports import service as imports
from huiqi.workflow.notices import service as notices
from huiqi.workflow.payments import flows as payment_flows
from huiqi.workflow.payments import service as payments
from huiqi.workflow.reviews import service as reviews
from huiqi.workflow.users import service as users
from tests.workflow import helpers as h

EVIL = '=HYPERLINK("http://x","y")'
ON = dt.date(2026, 6, 1)


def _cells(path, row):
    return load_workbook(path).active[row]


def test_an_imported_formula_name_is_text_in_the_payment_and_notice_lists(session, world, tmp_path):
    w = world
    # 免申即享 list: the enterprise is registered under the name in the file; 1:1, 3,000,000
    listing = tmp_path / "labs.csv"
    listing.write_text(
        f'uscc,name,municipal_grant\n{h.uscc(8)},"{EVIL.replace(chr(34), chr(34) * 2)}",3000000\n', encoding="utf-8"
    )
    [grant] = imports.import_automatic(
        session=session,
        path=listing,
        programme_id="WF-LAB",
        year=2026,
        actor=w.officer,
        on=ON,
        defaults={"enterprise.registered_district": "金山区", "enterprise.independent_legal_person": "true"},
        policies=w.policies,
    )
    imports.confirm(session=session, application_id=grant.id, actor=w.officer, on=ON)
    batch = payments.create_batch(
        session=session, pay_on=ON, actor=w.officer, code="=1+1"
    )  # a batch code typed by an officer
    payment_flows.run_batch(session=session, batch_id=batch.id, actor=w.officer)
    row = _cells(
        exports.payment_list(session=session, batch_id=batch.id, path=tmp_path / "pay.xlsx", actor=w.officer), 3
    )
    name, amount, reference = row[1], row[5], row[8]
    assert (name.value, name.data_type, name.quotePrefix) == (EVIL, "s", True)
    assert reference.value.startswith("=1+1/") and reference.data_type == "s"
    assert (amount.value, amount.data_type, amount.number_format) == (
        300,
        "n",
        "#,##0.00",
    )  # 3,000,000 yuan = 300 万元, a number
    caption = _cells(tmp_path / "pay.xlsx", 1)[0]
    assert caption.data_type == "s"

    # the same enterprise applies online for a district award and is published in a notice
    ent = grant.enterprise_id
    user = users.create(
        session=session, username="ent8", password="enterprise-pass", role=states.ENTERPRISE, enterprise_id=ent,
        actor=w.officer,
    )
    profile = h.base_profile()
    profile["enterprise"].pop("town", None)  # the imported record has no town: the record decides (issue 13)
    app = applications.create_draft(
        session=session,
        round_id=w.round.id,
        enterprise_id=ent,
        programme_id="WF-AWARD",
        profile=profile,
        actor=user,
        policies=w.policies,
    )
    h.upload_all(session, w, app, actor=user)
    applications.submit(session=session, application_id=app.id, actor=user, on=h.SUBMIT_DAY, policies=w.policies)
    reviews.assign_experts(session=session, application_id=app.id, expert_ids=[w.experts[0].id], actor=w.officer)
    reviews.score(session=session, application_id=app.id, actor=w.experts[0], score=88)
    reviews.consult(session=session, application_id=app.id, actor=w.officer, department="区财政局", opinion="无意见")
    nb = notices.publish(
        session=session,
        application_ids=[app.id],
        published_on=dt.date(2026, 9, 1),
        title="@公示 -名单",
        actor=w.officer,
    )
    cells = _cells(
        exports.notice_list(session=session, batch_id=nb.id, path=tmp_path / "notice.xlsx", actor=w.officer), 3
    )
    assert (cells[1].value, cells[1].data_type, cells[1].quotePrefix) == (EVIL, "s", True)
    assert (cells[5].value, cells[5].data_type, cells[5].number_format) == (
        20,
        "n",
        "#,##0.00",
    )  # 200,000 yuan = 20 万元
    assert cells[6].value == "贰拾万元整"
    assert _cells(tmp_path / "notice.xlsx", 1)[0].value.startswith("@公示 -名单")


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_every_formula_prefix_is_written_as_text(tmp_path, text):
    path = exports._sheet(
        "t", ["a"], [[text, "普通文本", 7, exports.Wan(Decimal("123456.78"))]], tmp_path / "t.xlsx", "标题"
    )
    a, plain, n, wan = load_workbook(path).active[3]
    assert (a.value, a.data_type, a.quotePrefix) == (text, "s", True)
    assert (plain.data_type, plain.quotePrefix) == ("s", False)
    assert (n.value, n.data_type) == (7, "n")
    assert (wan.data_type, wan.number_format) == ("n", "#,##0.00") and wan.value == pytest.approx(12.345678)
