"""The draft file: the real policy format, TODOs where the loader checks, values pre-parsed, deterministic."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from huiqi.rules.errors import PolicyError
from huiqi.rules.facts import load_vocabulary
from huiqi.rules.loader import parse_document
from huiqi.rules.yamlio import load_yaml_text
from huiqi.workbench.draft import draft_document
from huiqi.workbench.text import SourceText

from .conftest import POLICIES
from .test_structure import HUANGPU_MEASURES, JINSHAN_TOPICS

# What a reviewer might write for each TODO in a rule field: only to show the skeleton is the real format.
RESOLUTIONS = {
    "subject": "enterprise",
    "mode": "online",
    "test": "true",
    "when": "true",
    "form": "copy",
    "base": "enterprise.main_revenue_last_year",
    "grant": "enterprise.main_revenue_last_year",
    "value": "enterprise.main_revenue_last_year",
    "count": "enterprise.employees",
    "count_once_per": "enterprise.registered_district",
    "window_basis": "event_date",
    "from": "2025-01-01",
    "until": "null",
}


def resolve(text: str) -> str:
    return re.sub(r"\b(\w+): TODO\b", lambda m: f"{m.group(1)}: {RESOLUTIONS[m.group(1)]}", text)


def _programmes(drafts, doc_id):
    return {p["id"]: p for p in load_yaml_text(drafts[doc_id][0].text, file=doc_id)["programmes"]}


@pytest.mark.parametrize("doc_id, count", [("jinshan-2025-25", 29), ("huangpu-2025-2", 12)])
def test_draft_loads_once_its_todos_are_resolved(drafts, doc_id, count):
    vocab = load_vocabulary(POLICIES / "facts.yaml")
    draft, _ = drafts[doc_id]
    with pytest.raises(PolicyError) as raised:
        parse_document(draft.text, file="draft.yaml", vocab=vocab)
    problems = raised.value.problems
    assert problems and all(p.line for p in problems)
    assert any("TODO" in p.message_en for p in problems)  # each TODO in a rule field is an error at its line
    document = parse_document(resolve(draft.text), file="draft.yaml", vocab=vocab)
    assert len(document.programmes) == count


def test_programme_ids_follow_the_numbering(drafts):
    assert set(_programmes(drafts, "jinshan-2025-25")) == set(JINSHAN_TOPICS)
    assert set(_programmes(drafts, "huangpu-2025-2")) == set(HUANGPU_MEASURES)


def test_header_and_validity_huangpu(drafts):
    doc = load_yaml_text(drafts["huangpu-2025-2"][0].text, file="h")["document"]
    assert doc["number"] == "黄科委规〔2025〕2号" and doc["issued"] == dt.date(2025, 12, 25)
    # 附则（二）line 93: 自颁布之日起 30 日后实施 (issue day not counted) … 有效期至 2027 年 12 月 31 日
    assert doc["in_force"]["from"] == dt.date(2026, 1, 24) and doc["in_force"]["until"] == dt.date(2027, 12, 31)
    assert doc["in_force"]["clause"]["line"] == 93
    assert doc["retroactive"]["from"] == dt.date(2025, 1, 1) and doc["retroactive"]["until"] == dt.date(2026, 1, 23)


def test_validity_elsewhere_stays_todo_jinshan(drafts):
    doc = load_yaml_text(drafts["jinshan-2025-25"][0].text, file="j")["document"]
    # line 1679: 施行时间同《……》（金发改规〔2025〕1 号）规定的有效期 — not in this text
    assert doc["in_force"]["until"] == "TODO" and doc["in_force"]["clause"]["line"] == 1679


def test_amount_forms_pre_parsed_jinshan(drafts):
    p = _programmes(drafts, "jinshan-2025-25")
    # line 56: 三年内按照租金的 30%给予补贴，单年度最高补贴 50 万元。
    each = p["J1.1"]["support"]["amount"]["multi_year"]
    assert (
        each["years"] == 3
        and each["each_year"]["rate"]["rate"] == "30%"
        and each["each_year"]["rate"]["cap"] == 500000
    )
    # line 691–697: first crossing 5000 万 / 1 亿 / 5 亿 / 10 亿 → 20 / 50 / 100 / 200 万, highest only
    tiers = p["J3.1"]["support"]["amount"]["highest_tier"]["tiers"]
    assert [(t["at_least"], t["amount"]) for t in tiers] == [
        (50000000, 200000),
        (100000000, 500000),
        (500000000, 1000000),
        (1000000000, 2000000),
    ]
    assert p["J3.1"]["support"]["discretionary"] is False  # 分别给予 … 的奖励: no 最高 in the standard
    # line 1583–1589: bands, from inclusive
    bands = p["J8.2"]["support"]["amount"]["bands"]["bands"]
    assert bands == [
        {"from": 20000000, "to": 50000000, "rate": "2‱", "cap": 10000},
        {"from": 50000000, "rate": "3‱", "cap": 50000},
    ]
    # line 1426–1428: staged, the second after a year
    stages = p["J7.3"]["support"]["amount"]["staged"]
    assert [s["amount"]["fixed"]["amount"] for s in stages] == [200000, 100000] and stages[1]["after_months"] == 12
    # line 437–458: five cases of 10% of R&D investment, each with its ceiling and clause
    cases = p["J2.4"]["support"]["amount"]["cases"]
    assert [c["amount"]["rate"]["cap"] for c in cases] == [1000000, 2000000, 500000, 1000000, 500000]
    assert [c["clause"]["line"] for c in cases] == [437, 437, 444, 444, 452] and all(
        c["when"] == "TODO" for c in cases
    )
    # title line 969 gives the combined ceiling the standard (line 978) leaves out
    assert p["J5.3"]["support"]["amount"]["match"] == {
        "grant": "TODO",
        "grant_label": {"zh": "市级部门资助金额"},
        "ratio": "100%",
        "cap": 3000000,
    }
    # line 290–294: 同一药品不同规格视为同一品种
    assert p["J2.2"]["support"]["count_once_clause"]["line"] == 292


def test_criteria_soft_materials_process_jinshan(drafts):
    p = _programmes(drafts, "jinshan-2025-25")["J2.4"]
    own = [c for c in p["criteria"] if "id" in c]
    c431 = next(c for c in own if c["clause"]["line"] == 431)  # （3）申报单位原则上在限定期间内……
    assert c431["soft"] is True and c431["test"] == "TODO" and c431["clause"]["ref"] == "专题四 2.支持对象（3）"
    assert not next(c for c in own if c["clause"]["line"] == 421).get("soft")
    assert {"use": "doc_l1610_1"} in p[
        "criteria"
    ]  # 关于项目管理有关要求 一、信用管理 (line 1610), for every programme
    assert p["department"] == "区科委"
    forms = [m["form"] for m in p["materials"]]
    assert forms == [
        "TODO",
        "copy",
        "copy",
        "copy",
        "TODO",
        "TODO",
    ]  # 复印件 where the text says so, else for the reviewer
    assert p["materials"][1]["stamped"] is True  # line 478: 复印件均须加盖申报单位公章
    assert p["process"]["notice_working_days"] == 5 and p["process"]["clause"]["line"] == 497
    assert "town_confirmation" in p["process"]["stages"] and "public_notice" in p["process"]["stages"]
    assert _programmes(drafts, "jinshan-2025-25")["J5.1"]["mode"] == "automatic"  # line 922: 免申即享


def test_huangpu_conditions_caps_and_document_process(drafts):
    data = load_yaml_text(drafts["huangpu-2025-2"][0].text, file="h")
    caps = {(c["programmes"][0], c["amount"]) for c in data["caps"]}
    # 单个主体每年最高 …: measure 1 (line 45), 3 (line 51), 7 (line 65), 8 (line 67), 11 (line 75)
    assert {("H1", 2000000), ("H3", 3000000), ("H7", 50000000), ("H8", 5000000), ("H11", 2000000)} <= caps
    h7 = {p["id"]: p for p in data["programmes"]}["H7"]
    assert h7["support"]["amount"]["cases"][0]["amount"] == {
        "match": {"grant": "TODO", "grant_label": {"zh": "市级资金"}, "ratio": "0.5"}
    }
    conditions = [c["clause"]["text"] for c in h7["criteria"] if "id" in c]
    assert "对获得市级资金支持的创新药" in conditions
    # 保障措施（三）line 85: 原则上采用后补助方式 → a soft document-level criterion
    assert data["criteria"]["doc_l85"]["soft"] is True
    # no 申报流程 in a measure: the document's 保障措施 give the process and the department (line 83)
    assert h7["department"] == "区科委" and "district_check" in h7["process"]["stages"]
    assert h7["process"]["notice_working_days"] is None  # the text gives no notice period


def test_every_unplaced_sentence_is_a_todo_with_its_line(drafts):
    data = load_yaml_text(drafts["jinshan-2025-25"][0].text, file="j")
    todo = data["todo"]
    assert all(t["line"] and t["text"] for t in todo)
    assert any(
        t["line"] == 184 and "50-200" in t["text"] for t in todo
    )  # 政策内容: a summary to check topics against
    assert any(t["line"] == 1618 for t in todo)  # 二、项目全过程管理: not parsed


def test_deterministic_and_money_never_float(drafts, jinshan_source):
    again = draft_document(jinshan_source, doc_id="jinshan-2025-25")
    assert again.text == drafts["jinshan-2025-25"][0].text
    assert not re.search(r"(amount|cap|unit_amount|at_least|from|to): \d+\.\d", again.text)


def test_a_small_document_of_articles(tmp_path):
    """Not only the seeds: 第X条 articles, a yearly cap and a notice period."""
    text = "\n".join(
        [
            "测试区科学技术委员会",
            "测科〔2026〕3号",
            "关于印发《测试区科技企业扶持办法》的通知",
            "2026年3月1日",
            "第一条 对新认定的高新技术企业，给予最高 30 万元奖励。",
            "第二条 对企业研发投入，按照研发投入的 5%给予补贴，单个企业每年最高 100 万元。申报单位原则上在本区注册。",
            "第三条 本办法自2026年4月1日起施行，有效期至2028年12月31日。",
        ]
    )
    draft = draft_document(SourceText.from_text(text, name="t.txt"), doc_id="test-2026-3")
    data = load_yaml_text(draft.text, file="t")
    assert data["document"]["number"] == "测科〔2026〕3号" and data["document"]["in_force"]["from"] == dt.date(
        2026, 4, 1
    )
    progs = {p["id"]: p for p in data["programmes"]}
    assert set(progs) == {"T1", "T2"}
    assert (
        progs["T1"]["support"]["amount"] == {"fixed": {"amount": 300000}}
        and progs["T1"]["support"]["discretionary"] is True
    )
    assert progs["T2"]["support"]["amount"]["rate"]["rate"] == "5%"
    assert data["caps"][0]["amount"] == 1000000
    assert any(c.get("soft") for c in progs["T2"]["criteria"])
