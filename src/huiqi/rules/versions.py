"""Successive versions of one policy document: a revision, an extension of validity, a corrigendum.

A version is a policy file of its own (its own ``document.id``, 文号, issue date and in-force
window) whose header names the version it follows::

    document:
      id: huangpu-2026-1
      supersedes: huangpu-2025-2      # the earlier version's document id
      version: 2026 年修订              # a label shown to users (optional)
      version_kind: revision          # revision / extension / corrigendum (optional, default revision)

The versions linked by ``supersedes`` form a *family* (oldest first). Its programmes keep their
ids from version to version, so a programme id may appear once in each version of a family (and
only once outside it). The engine asks this module, for each programme × claim, which version
applies (:func:`pick`):

1. versions issued after the evaluation date do not exist yet for that evaluation;
2. of the others, the newest whose window (in force, or retroactive) holds the claim's event
   date — the programme's ``event_date`` where the document checks windows by event, else the
   evaluation date — is the one in force for it (a corrigendum with the same window as the
   version it corrects wins over it: it is newer);
3. when no version's window holds the date (or the date is not known yet), the newest version
   already issued answers (it says ``not_in_force`` with its window, or asks for the date).

The result says which version judged it (``version`` in the match JSON, :func:`describe`).
Per-entity caps of a family are shared by its versions (a cap id of a newer version replaces the
same id of the older one: the newer limit applies to the year's claims of every version).

An application keeps the version it was frozen with: :func:`pinned` gives a policy set in which
one family has only that version, so the application is judged by it after a newer one is
published.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any, Callable, Iterable

from huiqi.rules import expr as E
from huiqi.rules import model as M
from huiqi.rules.errors import Problem

KINDS = {
    "revision": ("修订", "revision"),
    "extension": ("延期", "extension of validity"),
    "corrigendum": ("更正", "corrigendum"),
}


# ------------------------------------------------------------------ loading


def header(d: Any, problem: Callable[[str, str, str, int | None], None]) -> dict:
    """The version keys of a document header (``supersedes``, ``version``, ``version_kind``),
    checked; ``problem(field, zh, en, line)`` reports a bad one. Returns Document keyword args."""
    out: dict = {}
    sup = d.get("supersedes")
    if sup is not None:
        if not isinstance(sup, str) or not sup.strip():
            problem(
                "document.supersedes",
                "应为前一版本文件的 id",
                "must be the id of the earlier version's document",
                _line(d, "supersedes"),
            )
        else:
            out["supersedes"] = sup.strip()
    kind = d.get("version_kind")
    if kind is not None:
        if kind not in KINDS:
            problem(
                "document.version_kind",
                f"应为 {'、'.join(KINDS)}",
                f"must be one of {', '.join(KINDS)}",
                _line(d, "version_kind"),
            )
        else:
            out["version_kind"] = str(kind)
    elif sup is not None:
        out["version_kind"] = "revision"
    if d.get("version") is not None:
        out["version"] = str(d["version"])
    return out


def _line(d: Any, key: str) -> int | None:
    try:
        return d.line_of(key)
    except Exception:  # noqa: BLE001 - a plain dict has no lines
        return None


def link(documents: list[M.Document], where: str = "") -> list[Problem]:
    """Link the versions of every family (``supersedes``) and check them; also the programme ids:
    unique across the loaded files, except from one version of a family to the next."""
    problems: list[Problem] = []
    by_id = {d.id: d for d in documents}
    successor: dict[str, M.Document] = {}
    for d in documents:
        d.family = []
        if not d.supersedes:
            continue
        prev = by_id.get(d.supersedes)
        if prev is None:
            problems.append(
                Problem(
                    "document.supersedes",
                    f"找不到被替代的文件 {d.supersedes}",
                    f"no document {d.supersedes!r} to supersede",
                    d.file,
                    1,
                )
            )
            continue
        if prev.district != d.district:
            problems.append(
                Problem(
                    "document.supersedes",
                    f"新旧版本须属同一区（{prev.district} / {d.district}）",
                    f"a version must be of the same district as the one it supersedes ({prev.district} / {d.district})",
                    d.file,
                    1,
                )
            )
        if d.supersedes in successor:
            other = successor[d.supersedes]
            problems.append(
                Problem(
                    "document.supersedes",
                    f"{d.supersedes} 已被 {other.id} 替代：版本须成一条链",
                    f"{d.supersedes} is already superseded by {other.id}: versions form one chain",
                    d.file,
                    1,
                )
            )
            continue
        successor[d.supersedes] = d
    for d in documents:
        if d.family:
            continue
        root, seen = d, {d.id}
        while root.supersedes and root.supersedes in by_id and successor.get(root.supersedes) is root:
            root = by_id[root.supersedes]
            if root.id in seen:
                problems.append(
                    Problem(
                        "document.supersedes", f"版本链成环：{d.id}", f"the versions form a cycle: {d.id}", d.file, 1
                    )
                )
                break
            seen.add(root.id)
        else:
            chain = [root]
            while chain[-1].id in successor:
                chain.append(successor[chain[-1].id])
            for member in chain:
                member.family = chain
    owners: dict[str, list[M.Document]] = {}
    for d in documents:
        for p in d.programmes:
            owners.setdefault(p.id, []).append(d)
    for pid, docs in sorted(owners.items()):
        families = {id(family_of(x)[0]) for x in docs}
        if len(families) > 1 or len(docs) != len({x.id for x in docs}):
            problems.append(
                Problem(
                    "programmes",
                    f"项目 id 在多个文件中重复：{pid}",
                    f"programme id used in more than one file: {pid}",
                    where,
                )
            )
    return problems


def with_documents(policies: M.PolicySet, documents: Iterable[M.Document]) -> tuple[M.PolicySet, list[Problem]]:
    """A new policy set: ``policies`` plus ``documents`` (e.g. versions published in the workbench),
    linked again. The documents of ``policies`` are copied (their families change), never altered."""
    docs = [copy.copy(d) for d in policies.documents] + list(documents)
    ps = M.PolicySet(policies.vocabulary, docs)
    return ps, link(docs, "published")


# ------------------------------------------------------------------ families


def family_of(document: M.Document) -> list[M.Document]:
    """Every version of the document's family, oldest first (just itself when it has none)."""
    return getattr(document, "family", None) or [document]


def same_family(a: M.Document, b: M.Document) -> bool:
    return a is b or any(x is b for x in family_of(a))


def newer(document: M.Document) -> list[M.Document]:
    fam = family_of(document)
    if len(fam) < 2:
        return []
    i = next((k for k, x in enumerate(fam) if x is document), len(fam))
    return fam[i + 1 :]


def skip(programme: M.Programme, document: M.Document) -> bool:
    """Whether the engine should not start from this (document, programme): a newer version of
    the family has the programme, and :func:`pick` will choose between them."""
    return any(d.programme(programme.id) is not None for d in newer(document))


def cap_superseded(document: M.Document, cap: M.Cap) -> bool:
    """A newer version of the family has a cap with the same id: that one applies."""
    return any(c.id == cap.id for d in newer(document) for c in d.caps)


def _contains(document: M.Document, day: dt.date) -> bool:
    windows = [document.in_force] + ([document.retroactive] if document.retroactive else [])
    return any(w.contains(day) for w in windows)


def _day(programme: M.Programme, document: M.Document, lookup: Callable[[str], Any], on: dt.date) -> dt.date | None:
    if programme.event_date is not None and document.window_basis == "event_date":
        value = E.evaluate(programme.event_date, lookup)
        return value if isinstance(value, dt.date) else None
    return on


def pick(
    programme: M.Programme,
    document: M.Document,
    lookup_for: Callable[[M.Programme, M.Document], Callable[[str], Any]],
    on: dt.date,
) -> tuple[M.Programme, M.Document]:
    """The version of ``programme`` in force for one claim (see the module's rules 1–3).
    ``lookup_for(programme, document)`` resolves the claim's names for that version."""
    fam = family_of(document)
    if len(fam) < 2:
        return programme, document
    candidates = [(d.programme(programme.id), d) for d in fam]
    candidates = [(p, d) for p, d in candidates if p is not None]
    issued = [(p, d) for p, d in candidates if d.issued <= on] or candidates[:1]
    for p, d in reversed(issued):
        day = _day(p, d, lookup_for(p, d), on)
        if day is not None and _contains(d, day):
            return p, d
    return issued[-1]


def describe(document: M.Document) -> dict:
    """Which version judged a result (the ``version`` field of the match JSON)."""
    fam = family_of(document)
    kind = getattr(document, "version_kind", "") or ""
    zh, en = KINDS.get(kind, ("", ""))
    return {
        "document_id": document.id,
        "number": document.number,
        "label": getattr(document, "version", "") or None,
        "kind": kind or None,
        "kind_zh": zh or None,
        "kind_en": en or None,
        "supersedes": getattr(document, "supersedes", None),
        "index": next((i for i, x in enumerate(fam) if x is document), 0) + 1,
        "of": len(fam),
        "issued": document.issued.isoformat() if document.issued else None,
        "in_force": {
            "from": document.in_force.start.isoformat() if document.in_force and document.in_force.start else None,
            "until": document.in_force.end.isoformat() if document.in_force and document.in_force.end else None,
        },
        "sha256": document.sha256,
    }


def pinned(policies: M.PolicySet, document_id: str, sha256: str | None = None) -> M.PolicySet:
    """The policy set in which the family of ``document_id`` has only that version: what an
    application frozen with it is judged by, whatever was published since. ``sha256`` (the
    version's digest frozen with the application), when given, must still match: a file changed
    in place is not the version the application was frozen with."""
    target = policies.document(document_id)
    if target is None:
        raise LookupError(f"no document {document_id!r} (version frozen with the application)")
    if sha256 and target.sha256 != sha256:
        raise LookupError(
            f"document {document_id!r} changed since it was frozen ({sha256[:12]} → {target.sha256[:12]})"
        )
    others = {id(d) for d in family_of(target) if d is not target}
    alone = copy.copy(target)
    alone.family = []
    docs = [alone if d is target else d for d in policies.documents if id(d) not in others]
    return M.PolicySet(policies.vocabulary, docs)
