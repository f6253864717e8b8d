"""The workflow's state machines as data: states, transitions, who may fire each, zh/en labels.

One table per kind of record. ``fire()`` is the only way a state changes: it checks the
present state, the actor's role and (for applications) that no stage of the programme's
``process.stages`` is skipped, writes the audit entry, and refuses anything else with a
bilingual :class:`~huiqi.workflow.errors.IllegalTransition`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from huiqi.workflow.errors import IllegalTransition, PermissionDenied

# ------------------------------------------------------------------ roles

ENTERPRISE = "enterprise"  # 企业用户, bound to one enterprise
REVIEWER = "reviewer"  # 镇（园区）审核人, bound to a district and a town/park
OFFICER = "officer"  # 区级主管部门经办人, bound to a district
EXPERT = "expert"  # 评审专家, in a district's expert pool
AUDITOR = "auditor"  # 审计（只读）, of a district
ADMIN = "admin"  # 系统管理员: cross-district set-up (districts' users, enterprises anywhere), reads everything

ROLES: dict[str, tuple[str, str]] = {
    ENTERPRISE: ("企业用户", "enterprise user"),
    REVIEWER: ("镇（园区）审核人", "town/park reviewer"),
    OFFICER: ("区级主管部门经办人", "district officer"),
    EXPERT: ("评审专家", "expert"),
    AUDITOR: ("审计（只读）", "auditor (read-only)"),
    ADMIN: ("系统管理员", "system administrator"),
}

# ------------------------------------------------------------------ the process stages of the policy files

STAGE_ORDER = ("application", "town_confirmation", "district_check", "expert_review", "consultation", "shortlist", "public_notice", "approval", "payment")
STAGE_LABELS = {
    "application": ("申报", "application"),
    "town_confirmation": ("镇（园区）确认", "town/park confirmation"),
    "district_check": ("区级初审", "district check"),
    "expert_review": ("专家评审", "expert review"),
    "consultation": ("征求意见", "consultation"),
    "shortlist": ("拟立项（择优）", "shortlist (merit selection)"),
    "public_notice": ("公示", "public notice"),
    "approval": ("立项", "approval"),
    "payment": ("拨付", "payment"),
}
DEFAULT_STAGES = ("application", "district_check", "expert_review", "consultation", "approval", "payment")
"""Used when a programme's policy file gives no ``process.stages`` (e.g. 黄浦 保障措施（二）:
区科委受理、结合区相关部门、专家等意见审核、报区政府批准 — no public notice is named)."""


@dataclass(frozen=True)
class State:
    name: str
    zh: str
    en: str
    stage: str | None = None  # the last process stage this state completes
    final: bool = False


@dataclass(frozen=True)
class Transition:
    name: str
    sources: tuple[str, ...]
    target: str
    roles: tuple[str, ...]
    zh: str
    en: str
    stage: str | None = None  # the process stage this step performs (checked against the programme)
    needs_reason: bool = False
    implicit_stage: bool = False  # taken even when the programme's process does not name its stage


@dataclass(frozen=True)
class Machine:
    name: str
    zh: str
    en: str
    states: tuple[State, ...]
    transitions: tuple[Transition, ...]
    _by_state: dict = field(default_factory=dict, compare=False, repr=False)

    def state(self, name: str) -> State:
        for s in self.states:
            if s.name == name:
                return s
        raise KeyError(name)

    def transition(self, name: str) -> Transition:
        for t in self.transitions:
            if t.name == name:
                return t
        raise KeyError(name)

    def available(self, state: str, role: str | None = None) -> list[Transition]:
        """Transitions that may leave ``state`` (for ``role``, if given)."""
        return [t for t in self.transitions if state in t.sources and (role is None or role in t.roles)]

    def to_dict(self) -> dict:
        return {
            "name": self.name, "zh": self.zh, "en": self.en,
            "states": [{"name": s.name, "zh": s.zh, "en": s.en, "stage": s.stage, "final": s.final} for s in self.states],
            "transitions": [
                {"name": t.name, "from": list(t.sources), "to": t.target, "roles": list(t.roles), "zh": t.zh, "en": t.en, "stage": t.stage, "needs_reason": t.needs_reason, "implicit_stage": t.implicit_stage}
                for t in self.transitions
            ],
        }


S, T = State, Transition
_PRE_APPROVAL = ("submitted", "proposed", "town_confirmed", "district_checked", "expert_review", "shortlisted", "notice_cleared")

APPLICATION = Machine(
    "application", "申报", "application",
    states=(
        S("draft", "草稿", "draft"),
        S("submitted", "已提交", "submitted", "application"),
        S("proposed", "免申即享待确认", "proposed (grant without application)", "application"),
        S("town_confirmed", "镇（园区）已确认", "confirmed by town/park", "town_confirmation"),
        S("district_checked", "区级初审通过", "passed the district check", "district_check"),
        S("expert_review", "专家评审中", "in expert review", "expert_review"),
        S("shortlisted", "拟立项", "shortlisted", "shortlist"),
        S("in_notice", "公示中", "in public notice", "shortlist"),
        S("objection_held", "异议核查中", "held: objection under investigation", "shortlist"),
        S("notice_cleared", "公示无异议", "notice passed without objection", "public_notice"),
        S("approved", "已立项", "approved", "approval"),
        S("not_selected", "未入选", "not selected", final=True),
        S("rejected", "不予支持", "rejected", final=True),
        S("withdrawn", "已撤回", "withdrawn", final=True),
        S("revoked", "已撤销", "revoked", final=True),
    ),
    transitions=(
        T("submit", ("draft",), "submitted", (ENTERPRISE, OFFICER), "提交申报", "submit", "application"),
        T("withdraw", ("draft", "submitted"), "withdrawn", (ENTERPRISE,), "撤回申报", "withdraw"),
        T("town_confirm", ("submitted",), "town_confirmed", (REVIEWER,), "镇（园区）确认", "town/park confirms", "town_confirmation"),
        T("town_reject", ("submitted",), "rejected", (REVIEWER,), "镇（园区）不予确认", "town/park does not confirm", needs_reason=True),
        T("district_pass", ("submitted", "town_confirmed"), "district_checked", (OFFICER,), "区级初审通过", "district check passed", "district_check"),
        T("district_fail", ("submitted", "town_confirmed"), "rejected", (OFFICER,), "区级初审不通过", "district check failed", needs_reason=True),
        T("assign_experts", ("submitted", "town_confirmed", "district_checked"), "expert_review", (OFFICER,), "分配评审专家", "assign experts", "expert_review"),
        T("shortlist", ("submitted", "town_confirmed", "district_checked", "expert_review"), "shortlisted", (OFFICER,), "择优列入拟立项名单", "shortlist on merit", "shortlist"),
        T("not_select", ("submitted", "town_confirmed", "district_checked", "expert_review"), "not_selected", (OFFICER,), "未入选", "not selected", "shortlist"),
        T("publish", ("submitted", "town_confirmed", "district_checked", "expert_review", "shortlisted"), "in_notice", (OFFICER,), "公示", "publish in the notice", "public_notice"),
        T("object", ("in_notice",), "objection_held", (OFFICER,), "受理异议", "objection received"),
        T("uphold_objection", ("objection_held",), "rejected", (OFFICER,), "异议成立", "objection upheld", needs_reason=True),
        T("dismiss_objection", ("objection_held",), "in_notice", (OFFICER,), "异议不成立（公示期内）", "objection dismissed (notice still running)", needs_reason=True),
        T("dismiss_objection_after_notice", ("objection_held",), "notice_cleared", (OFFICER,), "异议不成立（公示期已满）", "objection dismissed (notice over)", needs_reason=True),
        T("clear_notice", ("in_notice",), "notice_cleared", (OFFICER,), "公示期满无异议", "notice ended without objection", "public_notice"),
        T("approve", _PRE_APPROVAL, "approved", (OFFICER,), "立项（核定金额）", "approve (set the amount)", "approval", implicit_stage=True),
        T("decline", _PRE_APPROVAL, "rejected", (OFFICER,), "不予立项", "decline", needs_reason=True),
        T("revoke", ("approved",), "revoked", (OFFICER,), "撤销项目", "revoke the project", needs_reason=True),
    ),
)

ROUND = Machine(
    "round", "申报批次", "round",
    states=(S("draft", "未开放", "not yet open"), S("open", "受理中", "open"), S("closed", "已截止", "closed", final=True)),
    transitions=(
        T("open", ("draft",), "open", (OFFICER,), "开放申报", "open the round"),
        T("close", ("open",), "closed", (OFFICER,), "截止申报", "close the round"),
    ),
)

OBJECTION = Machine(
    "objection", "异议", "objection",
    states=(S("open", "调查核实中", "under investigation"), S("upheld", "异议成立", "upheld", final=True), S("dismissed", "异议不成立", "dismissed", final=True)),
    transitions=(
        T("uphold", ("open",), "upheld", (OFFICER,), "异议成立", "uphold", needs_reason=True),
        T("dismiss", ("open",), "dismissed", (OFFICER,), "异议不成立", "dismiss", needs_reason=True),
    ),
)

CHANGE = Machine(
    "change", "项目变更", "change request",
    states=(
        S("noted", "已备案（未达重大变更标准）", "noted (below the major-change thresholds)", final=True),
        S("pending", "待书面同意", "awaiting written approval"),
        S("approved", "已书面同意", "approved in writing", final=True),
        S("refused", "不同意", "refused", final=True),
    ),
    transitions=(
        T("approve", ("pending",), "approved", (OFFICER,), "书面同意变更", "approve the change in writing", needs_reason=True),
        T("refuse", ("pending",), "refused", (OFFICER,), "不同意变更", "refuse the change", needs_reason=True),
    ),
)

INSTALMENT = Machine(
    "instalment", "拨付计划", "payment instalment",
    states=(S("scheduled", "待拨付", "scheduled"), S("paid", "已拨付", "paid", final=True), S("cancelled", "已取消", "cancelled", final=True)),
    transitions=(
        T("pay", ("scheduled",), "paid", (OFFICER,), "拨付", "pay"),
        T("cancel", ("scheduled",), "cancelled", (OFFICER,), "取消拨付", "cancel", needs_reason=True),
    ),
)

RECEIVABLE = Machine(
    "receivable", "应收回款项", "claw-back receivable",
    states=(S("open", "待收回", "to recover"), S("recovered", "已收回", "recovered", final=True)),
    transitions=(T("recover", ("open",), "recovered", (OFFICER,), "已收回", "recovered"),),
)

MACHINES: dict[str, Machine] = {m.name: m for m in (APPLICATION, ROUND, OBJECTION, CHANGE, INSTALMENT, RECEIVABLE)}


def stage_index(stage: str | None) -> int:
    return -1 if stage is None else STAGE_ORDER.index(stage)


def check_transition(machine: Machine, state: str, name: str, role: str, *, stages: tuple[str, ...] | None = None, reason: str | None = None) -> Transition:
    """Return the transition if ``role`` may fire ``name`` from ``state``; else raise, in both
    languages: PermissionDenied for a role the table does not name, then IllegalTransition for a
    state the step does not leave from, a missing reason, or a skipped process stage."""
    try:
        t = machine.transition(name)
    except KeyError:
        raise IllegalTransition(f"{machine.zh}没有“{name}”这一步", f"{machine.en} has no step {name!r}", field="transition") from None
    # the role first: a role that may not take the step is refused whatever the record's state (403)
    if role not in t.roles:
        rz = "、".join(ROLES[r][0] for r in t.roles)
        re_ = ", ".join(ROLES[r][1] for r in t.roles)
        raise PermissionDenied(f"“{t.zh}”只能由{rz}进行（当前角色：{ROLES.get(role, (role,))[0]}）", f"{t.en!r} may only be done by: {re_} (you are {ROLES.get(role, ('', role))[1]})", field="role")
    st = machine.state(state)
    if state not in t.sources:
        allowed = machine.available(state)
        nxt_zh = "、".join(x.zh for x in allowed) or "无（终态）"
        nxt_en = ", ".join(x.en for x in allowed) or "none (final state)"
        raise IllegalTransition(
            f"{machine.zh}当前状态为“{st.zh}”，不能“{t.zh}”；可进行：{nxt_zh}",
            f"the {machine.en} is {st.en!r}: cannot {t.en!r}; possible: {nxt_en}",
            field="state",
        )
    if t.needs_reason and not (reason and reason.strip()):
        raise IllegalTransition(f"“{t.zh}”须写明理由", f"{t.en!r} needs a written reason", field="reason")
    if stages is not None and t.stage is not None:
        if t.stage not in stages and not t.implicit_stage:
            sz, se = STAGE_LABELS[t.stage]
            raise IllegalTransition(f"该项目的流程没有“{sz}”环节", f"this programme's process has no {se!r} stage", field="stage")
        lo, hi = stage_index(st.stage), stage_index(t.stage)
        skipped = [s for s in stages if lo < stage_index(s) < hi and s != "consultation"]
        if skipped:
            sz = "、".join(STAGE_LABELS[s][0] for s in skipped)
            se = ", ".join(STAGE_LABELS[s][1] for s in skipped)
            raise IllegalTransition(f"不能跳过流程环节：{sz}（当前状态“{st.zh}”）", f"cannot skip the stage(s) {se} (state {st.en!r})", field="stage")
    return t
