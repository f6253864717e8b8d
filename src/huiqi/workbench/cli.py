"""``huiqi policies draft`` and ``huiqi policies draft-score`` (registered in huiqi.cli.main)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from huiqi.rules import InputError, Problem


def _bad(field: str, zh: str, en: str, file: str | None = None) -> InputError:
    return InputError([Problem(field, zh, en, file)])


def draft(
    source: Path = typer.Argument(..., help="the document as published: .txt (UTF-8) or .docx / 政策原文"),
    doc_id: str = typer.Option(..., "--id", help="document id, e.g. jinshan-2026-3 / 文件标识"),
    out: Path = typer.Option(..., "--out", help="the draft policy file to write (.yaml) / 输出草稿"),
    prefix: Optional[str] = typer.Option(
        None, "--prefix", help="programme id prefix (default: the id's first letter)"
    ),
    force: bool = typer.Option(False, "--force", help="overwrite an existing file"),
) -> None:
    """Draft a policy file from a document's text: a skeleton with TODOs for review / 由原文生成待审草稿."""
    from huiqi.workbench.draft import draft_document, read_source

    if not source.is_file():
        raise _bad("SOURCE", f"文件不存在：{source}", f"no such file: {source}", str(source))
    if source.suffix.lower() not in (".txt", ".docx", ".md"):
        raise _bad("SOURCE", "原文须为 .txt 或 .docx", "the source must be .txt or .docx", str(source))
    if out.exists() and not force:
        raise _bad(
            "--out", f"文件已存在：{out}（用 --force 覆盖）", f"{out} exists (use --force to overwrite)", str(out)
        )
    try:
        text = read_source(source)
    except UnicodeDecodeError:
        raise _bad("SOURCE", "原文不是 UTF-8 文本", "the source is not UTF-8 text", str(source)) from None
    except Exception as exc:  # a broken .docx: python-docx raises several kinds
        raise _bad("SOURCE", f"无法读取原文：{exc}", f"cannot read the source: {exc}", str(source)) from None
    seed = text.name
    if source.suffix.lower() == ".docx":  # the lines of the draft refer to the text extracted from the .docx
        text_path = out.with_name(f"{out.stem}.source.txt")
        text_path.write_text("\n".join(text.lines) + "\n", encoding="utf-8")
        seed = text_path.name
        text.name = seed
    result = draft_document(text, doc_id=doc_id, prefix=prefix, seed=seed)
    out.write_text(result.text, encoding="utf-8")
    s = result.stats
    typer.echo(
        f"草稿 / draft: {out} — {s.programmes} 个项目 / programmes, {s.criteria} 条条件 / condition sentences, "
        f"{s.amounts} 处金额 / amounts, {s.todos} 处 TODO 待处理 / to resolve (grep -n TODO {out})"
    )


def draft_score(
    draft_file: Path = typer.Argument(..., help="the draft (huiqi policies draft)"),
    reviewed: Path = typer.Argument(
        ..., help="the reviewed policy file of the same document (in its policy directory)"
    ),
    source: Optional[Path] = typer.Option(
        None, "--source", help="the source text (default: sources/<seed> beside the reviewed file)"
    ),
    details: bool = typer.Option(False, "--details", help="list every item not matched"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """How much of a reviewed file the draft found: recall and precision per programme / 草稿与定稿对比."""
    from huiqi.workbench.measure import KINDS, render, score

    for path, name in ((draft_file, "DRAFT"), (reviewed, "REVIEWED")):
        if not path.is_file():
            raise _bad(name, f"文件不存在：{path}", f"no such file: {path}", str(path))
    try:
        result = score(draft_file, reviewed, source=source)
    except (ValueError, FileNotFoundError) as exc:
        raise _bad("REVIEWED", f"无法对比：{exc}", f"cannot compare: {exc}", str(reviewed)) from None
    if as_json:
        data = {
            "programmes": [
                {
                    "programme": r.programme,
                    "draft": r.draft,
                    "total": r.total,
                    "found": r.found,
                    "recall": round(r.recall, 4),
                    "draft_items": r.draft_total,
                    "draft_correct": r.draft_correct,
                    "precision": round(r.precision, 4),
                }
                for r in result.rows
            ],
            "totals": {
                k: {
                    "total": result.total[k],
                    "found": result.found[k],
                    "recall": round(result.recall(k), 4),
                    "draft_items": result.draft_total[k],
                    "draft_correct": result.draft_correct[k],
                    "precision": round(result.precision(k), 4),
                }
                for k in KINDS
            },
            "recall": round(result.recall(), 4),
            "precision": round(result.precision(), 4),
        }
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return
    sys.stdout.write(render(result, details=details))
