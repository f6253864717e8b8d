"""``huiqi policies diff OLD NEW [--population FILE]``: what changed between two versions of a
document, programme by programme, in words; with a population, what the change costs (the
simulation's reform view: the old version as baseline, the new one as the reform)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from huiqi.rules import model as M


def resolve(ref: str, policy_dir: Path | None) -> M.Document:
    """A document from a file path (checked with the policy directory's vocabulary) or an id of
    a document in the policy directory."""
    from huiqi.rules.errors import InputError, Problem
    from huiqi.rules.facts import load_vocabulary
    from huiqi.rules.loader import DEFAULT_POLICY_DIR, load_policies, parse_document

    directory = Path(policy_dir) if policy_dir else DEFAULT_POLICY_DIR
    path = Path(ref)
    if path.suffix in (".yaml", ".yml") or path.is_file():
        if not path.is_file():
            raise InputError([Problem("file", f"文件不存在：{ref}", f"no such file: {ref}")])
        vocab = load_vocabulary(directory / "facts.yaml")
        return parse_document(path.read_text(encoding="utf-8"), file=str(path), vocab=vocab)
    doc = load_policies(directory).document(ref)
    if doc is None:
        raise InputError([Problem("document", f"政策目录中没有文件 {ref}", f"no document {ref!r} in {directory}")])
    return doc


def diff(
    old: str = typer.Argument(..., help="the earlier version: a policy YAML file, or a document id in --policies"),
    new: str = typer.Argument(..., help="the later version: a policy YAML file, or a document id in --policies"),
    population: Optional[Path] = typer.Option(
        None, "--population", help="population Parquet file: cost the change (docs/simulation.md)"
    ),
    on: Optional[str] = typer.Option(None, "--on", help="evaluation date for the costing, YYYY-MM-DD (default today)"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
    policies: Optional[Path] = typer.Option(
        None, "--policies", "-p", help="policy directory (vocabulary; documents by id)", envvar="HUIQI_POLICY_DIR"
    ),
) -> None:
    """What changed between two versions, programme by programme (ceiling 200 万元 → 300 万元; a
    criterion added, with its clause); with --population, the cost of the change."""
    from huiqi.rules.diff import diff as compute
    from huiqi.rules.diff import same_window

    a, b = resolve(old, policies), resolve(new, policies)
    d = compute(a, b)
    cost = None
    if population is not None:
        from huiqi.rules.facts import load_vocabulary
        from huiqi.rules.loader import DEFAULT_POLICY_DIR
        from huiqi.simulate import reform as RF
        from huiqi.simulate import run as R

        try:
            day = dt.date.fromisoformat(on) if on else dt.date.today()
        except ValueError:
            from huiqi.rules.errors import InputError, Problem

            raise InputError([Problem("--on", f"不是有效日期：{on}", f"not a real date: {on}")]) from None
        vocab = load_vocabulary((Path(policies) if policies else DEFAULT_POLICY_DIR) / "facts.yaml")
        # both versions on the old one's window: the cost of the change of the rules on the same claims
        base = R.run(M.PolicySet(vocab, [_alone(a)]), population, on=day)
        reformed = R.run(M.PolicySet(vocab, [same_window(b, a)]), population, on=day)
        cost = RF.compare(base, reformed)
        seen = {r["programme"] for r in cost}
        for pid, t in reformed.totals().items():
            if pid not in seen:
                cost.append(
                    {
                        "programme": pid,
                        "title": t["title"],
                        "eligible": 0,
                        "needs_info": 0,
                        "baseline_ceiling": 0,
                        "baseline_after_caps": 0,
                        "reform_eligible": t["eligible"],
                        "reform_ceiling": t["ceiling"],
                        "reform_after_caps": t["after_caps"],
                        "difference": t["after_caps"],
                    }
                )
    if as_json:
        out = d.to_dict()
        if cost is not None:
            out["cost"] = {
                "on": str(day),
                "population": str(population),
                "note": "both versions judged on the old version's window",
                "programmes": [
                    {k: (str(v) if not isinstance(v, (int, str)) else v) for k, v in r.items()}
                    for r in cost
                    if r.get("difference") or r.get("eligible") != r.get("reform_eligible")
                ],
                "total_difference": str(sum((r["difference"] for r in cost), start=0)),
            }
        sys.stdout.write(json.dumps(out, ensure_ascii=False, indent=2) + "\n")
        return
    console = Console(highlight=False, soft_wrap=True)
    for line in d.lines():
        console.print(line, markup=False)
    if cost is not None:
        from huiqi.money import format_wan

        console.print(
            f"\n变化的代价 / cost of the change — {population}, {day}（两版均按旧版有效期测算 / both judged on the old version's window）",
            markup=False,
        )
        total = 0
        for r in cost:
            if not r.get("difference") and r.get("eligible") == r.get("reform_eligible"):
                continue
            total += r["difference"]
            console.print(
                f"  {r['programme']}: 符合 eligible {r['eligible']} → {r['reform_eligible']}；拨付上限 after caps {format_wan(r['baseline_after_caps'])} → {format_wan(r['reform_after_caps'])} 万元（{'+' if r['difference'] >= 0 else ''}{format_wan(r['difference'])} 万元）",
                markup=False,
            )
        console.print(f"  合计 total: {'+' if total >= 0 else ''}{format_wan(total)} 万元", markup=False)


def _alone(d: M.Document) -> M.Document:
    import copy

    out = copy.copy(d)
    out.family = []
    return out
