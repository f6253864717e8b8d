"""Rich rendering of match reports, policy lists and coverage for the terminal."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from huiqi.rules.engine import STATUS_LABELS, MatchReport
from huiqi.rules.model import PolicySet

_STYLE = {"eligible": "green", "ineligible": "red", "needs_info": "yellow", "not_in_force": "magenta", "out_of_scope": "dim"}


def _wan(value) -> str:
    from huiqi.money import format_wan

    return format_wan(value)


def _fact_label(report: MatchReport, name: str) -> str:
    fact = report.vocabulary.fact(name)
    return f"{fact.zh}（{name}）" if fact else name


def render_report(console: Console, report: MatchReport) -> None:
    """A table a person reads: programme, claim, status, ceiling, and why."""
    name = report.profile.name or report.profile.uscc or ""
    table = Table(title=f"惠企政策匹配 / policy match — {name} — {report.on.isoformat()}", show_lines=True)
    table.add_column("项目 programme")
    table.add_column("申报主体 claim")
    table.add_column("结果 status")
    table.add_column("上限 ceiling (元 / 万元)", justify="right")
    table.add_column("依据与说明 why")
    for r in report.results:
        zh, en = STATUS_LABELS[r.status]
        style = _STYLE[r.status]
        ceiling = "—" if r.ceiling is None else f"{r.ceiling:,}\n{_wan(r.ceiling)} 万元" + ("\n(最高/择优)" if r.discretionary else "")
        why: list[str] = []
        if r.reason_zh:
            why.append(r.reason_zh)
        why += [f"✗ {f.label_zh or f.id}（{f.clause.ref} 第{f.clause.line}行）" for f in r.failed]
        why += [f"⚠ 原则上：{f.label_zh or f.id} — 需经办人决定" for f in r.soft_failed]
        if r.missing_claim:
            why.append(f"? 请填写申报主体：{r.missing_claim}")
        why += [f"? {_fact_label(report, m)}" for m in sorted(r.missing)]
        why += [f"= {s.formula}" for s in r.steps if s.formula and s.formula != "—"]
        why += [f"⤓ {c.label_zh or c.cap}：{c.before:,} → {c.after:,}" for c in r.caps]
        table.add_row(f"{r.programme.id}\n{r.programme.title}", r.claim.id if r.claim else "—", f"[{style}]{zh}\n{en}[/]", ceiling, "\n".join(why))
    console.print(table)
    console.print(f"符合条件合计上限 / total ceiling (eligible): [bold]{report.total_ceiling:,}[/] 元 ({_wan(report.total_ceiling)} 万元)")
    console.print(f"含需补充信息项 / incl. needs-info: {report.potential_ceiling:,} 元 — policy version {report.policy_version}")


def render_policies(console: Console, ps: PolicySet) -> None:
    for d in ps.documents:
        table = Table(title=f"{d.number} {d.title}", show_lines=False)
        for col in ("id", "专题/措施 programme", "受理 department", "方式 mode", "主体 subject", "公示 notice"):
            table.add_column(col)
        for p in d.programmes:
            notice = f"{p.process.notice_working_days} 个工作日" if p.process and p.process.notice_working_days else "—"
            table.add_row(p.id, p.title, p.department, p.mode, p.subject, notice)
        console.print(table)


def render_coverage(console: Console, rows: list[dict]) -> None:
    table = Table(title="政策覆盖 / policy coverage")
    for col in ("文件 document", "条目 item", "标题 title", "原文行 line", "项目 programmes", "测试 tests"):
        table.add_column(col)
    for r in rows:
        ok = r["programmes"] and r["tests"] > 0
        table.add_row(r["document"], r["id"], r["title"], str(r.get("line") or ""), ", ".join(r["programmes"]) or "[red]none[/]", f"[{'green' if ok else 'red'}]{r['tests']}[/]")
    console.print(table)
