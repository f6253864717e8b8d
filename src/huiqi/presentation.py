"""How a match report is shown to people — the ``huiqi match`` table, the self-check results and its
printable 自测结果单 all use this: results grouped by policy document, eligible first, then
needs-information, ineligible, not in force, out of scope; a document none of whose programmes
applies (a Jinshan company and the 19 Huangpu measures) collapsed into one line.

It reads the match JSON (``docs/match-json.md``), so whatever reads that can present it the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

STATUS_ORDER = ("eligible", "needs_info", "ineligible", "not_in_force", "out_of_scope")
COLLAPSIBLE = ("out_of_scope", "not_in_force")  # a whole document in one of these is one line


def status_rank(status: str) -> int:
    return STATUS_ORDER.index(status) if status in STATUS_ORDER else len(STATUS_ORDER)


@dataclass
class DocumentGroup:
    """One policy document's results, in the order a person reads them."""

    document: str  # 文号
    document_id: str
    title: str = ""
    district: str = ""
    results: list[dict] = field(default_factory=list)
    collapsed: bool = False  # every result is out of scope (or not in force): shown as one line
    summary_zh: str = ""
    summary_en: str = ""

    def count(self, *statuses: str) -> int:
        return sum(1 for r in self.results if r["status"] in statuses)

    @property
    def best(self) -> int:
        return min((status_rank(r["status"]) for r in self.results), default=len(STATUS_ORDER))


def _why(results: list[dict]) -> tuple[str, str]:
    """Why a whole document does not apply: the one scope criterion they all fail, else the reason."""
    first = results[0]
    failed = [r["failed"][0] for r in results if r.get("failed")]
    if (
        first["status"] == "out_of_scope"
        and len(failed) == len(results)
        and len({f["criterion"] for f in failed}) == 1
    ):
        f = failed[0]
        return f"不满足“{f['label_zh']}”", f"not met: “{f['label_en'] or f['label_zh']}”"
    return first.get("reason_zh") or first["status_zh"], first.get("reason_en") or first["status_en"]


def group_report(report: dict, documents: Iterable[Any] = ()) -> list[DocumentGroup]:
    """The report's results by document (documents with something eligible first), each ordered
    eligible → needs_info → ineligible → not_in_force → out_of_scope, keeping the report's order
    within a status. ``documents`` (the loaded ``Document`` objects) add each one's title and district."""
    meta = {d.id: d for d in documents}
    groups: dict[str, DocumentGroup] = {}
    for r in report["results"]:
        g = groups.get(r["document_id"])
        if g is None:
            d = meta.get(r["document_id"])
            g = groups[r["document_id"]] = DocumentGroup(
                r["document"], r["document_id"], getattr(d, "title", ""), getattr(d, "district", "")
            )
        g.results.append(r)
    out = list(groups.values())
    for g in out:
        g.results.sort(key=lambda r: status_rank(r["status"]))
        statuses = {r["status"] for r in g.results}
        if len(statuses) == 1 and statuses <= set(COLLAPSIBLE):
            g.collapsed = True
            zh, en = _why(g.results)
            place = f"{g.district}政策" if g.district else "政策"
            g.summary_zh = f"{place}《{g.document}》：不适用（{zh}）"
            g.summary_en = f"{g.district + ' ' if g.district else ''}policy {g.document}: does not apply ({en})"
    out.sort(key=lambda g: (g.collapsed, g.best))
    return out
