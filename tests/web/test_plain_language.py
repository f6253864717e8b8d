"""Plain language (issue 16): no `open`, `closed`, `paid`, `scheduled` or `application.freeze · system`
in the Chinese UI. Every state and every audit action the workflow can write has words, taken from
``workflow/states.py`` (states and steps) or ``web/i18n.OTHER_EVENTS`` (the other actions) — each
defined once; amounts in 万元 to two decimals, ratios as percentages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from huiqi.web.i18n import OTHER_EVENTS, event_label, event_sentence, state_label
from huiqi.web.render import _pct, _wan
from huiqi.workflow.states import MACHINES

SRC = Path(__file__).resolve().parents[2] / "src" / "huiqi"


def _audit_actions() -> set[str]:
    """Every action name the code can write to the audit log."""
    names: set[str] = set()
    for path in SRC.rglob("*.py"):
        names |= set(re.findall(r'action="([a-z_]+\.[a-z_]+)"', path.read_text(encoding="utf-8")))
    for m in MACHINES.values():
        names |= {f"{m.name}.{t.name}" for t in m.transitions}  # machine.fire writes f"{machine}.{step}"
    return names


def test_every_audit_action_has_words():
    actions = _audit_actions()
    assert {"application.freeze", "application.submit", "payment.run", "notice.close"} <= actions
    for action in sorted(actions):
        zh, en = event_label(action)
        assert zh != action and not re.search(r"[A-Za-z_]{3,}", zh), (action, zh)
        assert en and en != action, action


def test_no_label_is_defined_twice():
    machine_steps = {f"{m.name}.{t.name}" for m in MACHINES.values() for t in m.transitions}
    assert not machine_steps & set(OTHER_EVENTS), "a state-machine step is labelled in states.py already"


@pytest.mark.parametrize(
    "state, machine, zh",
    [
        ("open", "round", "受理中"),
        ("closed", "round", "已截止"),
        ("paid", "instalment", "已拨付"),
        ("scheduled", "instalment", "待拨付"),
        ("draft", "application", "草稿"),
    ],
)
def test_states_in_chinese(state, machine, zh):
    assert state_label(state, machine)[0] == zh


def test_every_state_of_every_record_has_chinese_words():
    for m in MACHINES.values():
        for s in m.states:
            zh, _ = state_label(s.name, m.name)
            assert zh and not re.search(r"[A-Za-z]{3,}", zh), (m.name, s.name, zh)


def test_history_lines_read_as_sentences():
    assert event_sentence("application.freeze", "system", "zh") == "系统：按提交日的政策冻结测算结果"
    assert event_sentence("application.submit", "ent1", "zh") == "ent1：提交申报"
    assert event_sentence("instalment.pay", "officer", "en") == "officer: pay"


def test_amounts_in_wan_to_two_decimals_and_ratios_as_percentages():
    # issue 16 saw “26.6667 万元”: 266,667 元 is 26.67 万元
    assert _wan("266667") == "26.67 万元"
    assert _wan("900000.00") == "90.00 万元"
    assert _wan("123456789") == "12,345.68 万元"
    assert _wan(None) == "—"
    assert _pct("0.65") == "65%" and _pct("0.035") == "3.5%"
