"""Rich rendering of match reports, policy lists and coverage for the terminal."""

from __future__ import annotations

import re
from decimal import Decimal

from rich.console import Console
from rich.table import Table

from huiqi.money import to_wan
from huiqi.rules.engine import STATUS_LABELS, MatchReport
from huiqi.rules.model import PolicySet

_CODE = re.compile(r"[A-Za-z_]+\.[A-Za-z_]")  # a rule expression (a fact name), not arithmetic
MISSING_SHOWN = 4  # facts listed per needs-info row; --json lists them all
_STYLE = {"eligible": "green", "ineligible": "red", "needs_info": "yellow", "not_in_force": "magenta", "out_of_scope": "dim"}


def _wan(value) -> str:
    return f"{to_wan(value):,.2f}"


def _why(r: dict) -> list[str]:
    why: list[str] = []
    if r.get("reason_zh") and r["status"] not in ("out_of_scope",):
        why.append(r["reason_zh"])
    why += [f"✗ {f['label_zh'] or f['criterion']}（{f['clause']['ref']} 第{f['clause']['line']}行）" for f in r["failed"]]
    why += [f"⚠ 原则上：{f['label_zh'] or f['criterion']} — 需经办人决定" for f in r["soft_failed"]]
    asks = [f"? {m['zh']}" if m["type"] == "claim" else f"? {m['zh']}（{m['fact']}）" for m in r["missing"]]
    if len(asks) > MISSING_SHOWN + 1:
        more = len(asks) - MISSING_SHOWN
        asks = asks[:MISSING_SHOWN] + [f"? …另 {more} 项 / {more} more (--json)"]
    why += asks
    for step in r["steps"]:
        formula = step["formula"] if step["formula"] and not _CODE.search(step["formula"]) else ""
        why.append(f"= {step['zh']}" + (f"：{formula}" if formula and formula != "—" and formula != step["zh"] else ""))
    why += [f"⤓ {c['label_zh'] or c['cap']}：{Decimal(c['before']):,} → {Decimal(c['after']):,}" for c in r["caps"]]
    if r["status"] == "out_of_scope" and r["failed"]:
        why = [f"✗ {r['failed'][0]['label_zh']}"]
    return why


def _ceiling(r: dict) -> str:
    if r["ceiling"] is not None:
        c = Decimal(r["ceiling"])
        return f"{c:,}\n{_wan(c)} 万元" + ("\n(最高/择优)" if r["discretionary"] else "")
    if r["status"] == "needs_info" and r.get("possible_ceiling"):
        return f"可能最高 up to\n{_wan(Decimal(r['possible_ceiling']))} 万元"
    return "—"


def render_report(console: Console, report: MatchReport) -> None:
    """Tables a person reads, one per policy document, eligible first; a document that does not
    apply at all (a Jinshan company and the Huangpu measures) is one line."""
    from huiqi.presentation import group_report

    data = report.to_dict()
    name = report.profile.name or report.profile.uscc or ""
    console.print(f"[bold]惠企政策匹配 / policy match — {name} — {report.on.isoformat()}[/]")
    for g in group_report(data, report_documents(report)):
        n = len(g.results)
        if g.collapsed:
            console.print(f"[dim]{g.summary_zh} — {n} 个项目 / {n} programmes ({g.summary_en})[/]")
            continue
        counts = "，".join(f"{STATUS_LABELS[s][0]} {g.count(s)}" for s in STATUS_LABELS if g.count(s))
        table = Table(title=f"{g.document} {g.title}".strip(), caption=counts, show_lines=True)
        table.add_column("项目 programme")
        table.add_column("申报主体 claim")
        table.add_column("结果 status")
        table.add_column("上限 ceiling (元 / 万元)", justify="right")
        table.add_column("依据与说明 why")
        for r in g.results:
            style = _STYLE[r["status"]]
            status = f"[{style}]{r['status_zh']}\n{r['status_en']}[/]" + ("\n免申即享" if r["mode"] == "automatic" else "")
            name = f"{r['title']}\n[dim]{r['programme']}[/]"
            table.add_row(name, r["claim"] or "—", status, _ceiling(r), "\n".join(_why(r)))
        console.print(table)
    total, potential = Decimal(data["total_ceiling"]), Decimal(data["potential_ceiling"])
    console.print(f"符合条件合计上限 / total ceiling (eligible): [bold]{total:,}[/] 元 ({_wan(total)} 万元)")
    console.print(f"补充信息后可能的上限 / possible once complete: {potential:,} 元 ({_wan(potential)} 万元)")
    for w in data.get("warnings", []):
        console.print(f"[yellow]提示 / warning[/]: {w['zh']} / {w['en']}", highlight=False)
    console.print(f"policy version {report.policy_version}")


def report_documents(report: MatchReport) -> list:
    seen: dict[str, object] = {}
    for r in report.results:
        seen.setdefault(r.document.id, r.document)
    return list(seen.values())


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
