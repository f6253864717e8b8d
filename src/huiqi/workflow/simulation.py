"""Population simulation for the office (政策测算): who may run one, and over which programmes.

``access`` decides who (action ``simulate.run``: a district's officers and auditors, the
administrator); the scope is the actor's district, as for every district record: a district
officer's (or auditor's) simulation runs the programmes of its district's policy documents only
— a Jinshan officer Jinshan's programmes, never Huangpu's — and may change (reform) only those;
the administrator runs every district's. The population itself is the whole file the server
serves: enterprises registered elsewhere count as out of scope under each programme's own scope
rule, exactly as the engine would answer for them.

The run is ``huiqi.simulate.scenario.simulate``, the same service as ``huiqi simulate run``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterable

from huiqi.rules import model as M
from huiqi.rules.errors import InputError, Problem
from huiqi.workflow import access

GROUPINGS = {"district": "enterprise__registered_district", "town": "enterprise__town"}
GROUP_LABELS = {
    "": ("不分组", "no grouping"),
    "district": ("按注册区", "by district"),
    "town": ("按镇（园区）", "by town/park"),
}


@dataclass
class Scope:
    """The programmes an actor's simulation covers: ``district`` None means every district's."""

    district: str | None
    programmes: list[str]  # ids, in document order
    documents: list[Any]  # the documents they come from


def scope(*, actor: Any, policies: M.PolicySet) -> Scope:
    """The actor's simulation scope; PermissionDenied (403) for a role that may not simulate."""
    access.authorize(actor, "simulate.run")
    district = None if actor.role == access.ADMIN else actor.district
    docs = [d for d in policies.documents if district is None or d.district == district]
    ids = list(dict.fromkeys(p.id for d in docs for p in d.programmes))
    return Scope(district, ids, docs)


def check(
    *,
    actor: Any,
    policies: M.PolicySet,
    programmes: Iterable[str] | None = None,
    changes: list | None = None,
    group: str = "",
) -> list[str]:
    """The programmes the actor's simulation runs (the chosen ones, each in scope; else all in
    scope), once the input is known to be good: a bilingual InputError naming the field for a
    programme out of scope or unknown, a change outside the scope, an unknown grouping. Cheap: a
    page calls it before loading a population for bad input."""
    from huiqi.simulate import scenario as S

    sc = scope(actor=actor, policies=policies)
    if group not in GROUP_LABELS:
        zh, en = f"未知分组：{group}（可选：district、town）", f"unknown grouping: {group} (district or town)"
        raise InputError([Problem("by", zh, en)])
    if not sc.programmes:
        zh = f"本区（{sc.district}）没有已载入的政策文件，无项目可测算"
        en = f"your district ({sc.district}) has no loaded policy documents: nothing to simulate"
        raise InputError([Problem("district", zh, en)])
    asked = S.check_programmes(policies, programmes, allowed=sc.programmes, field_name="programme")
    S.check_change_targets(policies, list(changes or []), sc.programmes)
    return asked or sc.programmes


def run(
    *,
    actor: Any,
    policies: M.PolicySet,
    population: Any,
    on: dt.date,
    programmes: Iterable[str] | None = None,
    changes: list | None = None,
    group: str = "",
) -> Any:
    """Simulate the actor's programmes (or the chosen ones among them, :func:`check`) over
    ``population``; with ``changes`` (``reform.Change``), also the reform of them. Returns
    ``scenario.Outcome``; a malformed change (path or value) is the reform's bilingual InputError."""
    from huiqi.simulate import scenario as S

    wanted = check(actor=actor, policies=policies, programmes=programmes, changes=changes, group=group)
    return S.simulate(policies, population, on=on, programmes=wanted, changes=changes, by=GROUPINGS.get(group))
