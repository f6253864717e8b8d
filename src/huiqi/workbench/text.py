"""A published policy text as lines, paragraphs and sentences, each knowing its source lines.

Published documents come hard-wrapped (Jinshan's seed: ~30 characters a line, a blank line
between lines, page marks like ``- 20 -``) or as one paragraph a line with Markdown marks
(Huangpu's seed: ``#`` headings, ``**bold**``). This module undoes both:

* a *line* is ``text.splitlines()[n - 1]`` — line numbers are 1-based and are the numbers a
  policy file cites (``clause.line``);
* a *paragraph* joins wrapped lines: a line continues the paragraph before it unless that one
  ended a sentence (。；：!?), or the line is a heading or starts with a numbering marker;
* a *sentence* is a piece of a paragraph ending in 。 ； ; ！ ？ (or the paragraph's end), with
  the first and last source line it occupies.

Quoted text keeps the document's own characters (full-width or ASCII punctuation) with the
layout removed: Markdown marks and line breaks go, runs of spaces become one, and a space
between two Chinese characters (a wrapping artefact, e.g. ``推进 产医``) is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

CN_NUM = "一二三四五六七八九十百零〇两"
_PAGE_MARK = re.compile(r"^[-—－]\s*\d+\s*[-—－]$")
_RULE = re.compile(r"^[-—_*=]{3,}$")
_CJK = r"\u3400-\u9fff\uf900-\ufaff"
_CJK_SPACE = re.compile(rf"(?<=[{_CJK}，。；：、（）“”《》])\s+(?=[{_CJK}，。；：、（）“”《》])")
TERMINAL = "。；;！？!?"
_ENDS_PARAGRAPH = tuple(TERMINAL + "：:")

# Numbering markers at the start of a paragraph, most specific first: (kind, pattern).
MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("topic", re.compile(rf"^专题([{CN_NUM}]+|\d+)\s*[：:]?\s*")),
    ("article", re.compile(rf"^第([{CN_NUM}]+|\d+)条\s*")),
    ("chapter", re.compile(rf"^第([{CN_NUM}]+|\d+)[章节]\s*")),
    ("cn_paren", re.compile(rf"^[（(]\s*([{CN_NUM}]+)\s*[）)]\s*")),
    ("cn_dun", re.compile(rf"^([{CN_NUM}]+)\s*、\s*")),
    ("num_paren", re.compile(r"^[（(]\s*(\d+)\s*[）)]\s*")),
    ("num_dot", re.compile(r"^(\d+)\s*(?:[、．]|\.(?!\d))\s*")),
    ("circled", re.compile(r"^([①-⑳])\s*")),
)
# A heading of a whole set of rules inside one notice (金科〔2025〕25号: 关于……实施细则).
SET_HEADING = re.compile(r"^关于[^，。；：,;:]{2,40}(实施细则|管理要求|有关要求|管理办法|实施办法|若干规定)$")


def cn_number(text: str) -> int | None:
    """一 → 1, 十二 → 12, 二十 → 20, 12 → 12; None when it is not a number."""
    if text.isdigit():
        return int(text)
    digits = {c: i for i, c in enumerate("零一二三四五六七八九")}
    digits.update({"〇": 0, "两": 2})
    if not text or any(c not in digits and c not in "十百" for c in text):
        return None
    total, current = 0, 0
    for c in text:
        if c == "百":
            total += (current or 1) * 100
            current = 0
        elif c == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = digits[c]
    return total + current


def tidy(text: str) -> str:
    """Layout removed, characters kept: one space at most, none between Chinese characters."""
    text = re.sub(r"\s+", " ", text).strip()
    return _CJK_SPACE.sub("", text)


def strip_markdown(line: str) -> tuple[str, bool]:
    """A source line without Markdown marks; True when it was a ``#`` heading."""
    s = line.strip()
    heading = False
    m = re.match(r"^#{1,6}\s*", s)
    if m:
        heading = True
        s = s[m.end() :]
    s = s.replace("**", "").replace("__", "")
    return s.strip(), heading


@dataclass(frozen=True)
class Marker:
    kind: str  # one of MARKERS' kinds
    number: int | None
    text: str  # as written, e.g. "（1）", "专题四", "3."


def marker_of(text: str) -> tuple[Marker | None, str]:
    """The numbering marker a paragraph starts with, and the rest of it."""
    for kind, pattern in MARKERS:
        m = pattern.match(text)
        if m:
            raw = m.group(1)
            number = cn_number(raw) if kind != "circled" else "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳".index(raw) + 1
            return Marker(kind, number, _canonical(kind, raw, m.group(0))), text[m.end() :]
    return None, text


def _canonical(kind: str, raw: str, written: str) -> str:
    """The marker as the shipped files cite it: full-width brackets, no spaces."""
    if kind in ("cn_paren", "num_paren"):
        return f"（{raw}）"
    return re.sub(r"\s+", "", written).replace("(", "（").replace(")", "）")


@dataclass
class Paragraph:
    """Joined text with, for every character, the source line it came from."""

    text: str
    char_lines: list[int]
    md_heading: bool = False
    set_heading: bool = False
    standalone: bool = False  # a heading the next line never continues

    @property
    def start_line(self) -> int:
        return self.char_lines[0] if self.char_lines else 0

    @property
    def end_line(self) -> int:
        return self.char_lines[-1] if self.char_lines else 0

    def lines_of(self, start: int, end: int) -> tuple[int, int]:
        """Source lines of text[start:end]."""
        end = max(start + 1, end)
        return (
            self.char_lines[min(start, len(self.char_lines) - 1)],
            self.char_lines[min(end, len(self.char_lines)) - 1],
        )


@dataclass(frozen=True)
class Sentence:
    text: str  # tidied quotation
    start_line: int
    end_line: int

    def covers(self, line: int) -> bool:
        return self.start_line <= line <= self.end_line


@dataclass
class SourceText:
    """A document's text: its lines (1-based) and paragraphs."""

    name: str
    lines: list[str]
    paragraphs: list[Paragraph] = field(default_factory=list)

    @classmethod
    def from_text(cls, text: str, *, name: str = "source.txt") -> "SourceText":
        lines = text.splitlines()
        return cls(name=name, lines=lines, paragraphs=_paragraphs(lines))


# 一、信用管理 / 第三章 总则: a short numbered heading stands alone (the next line never continues it).
_SHORT_HEADING = re.compile(rf"^(?:[{CN_NUM}]+\s*、|第[{CN_NUM}\d]+[章节])\s*[{_CJK}]{{1,15}}$")
_LABEL = re.compile(rf"^[{_CJK}]{{2,12}}[：:]")


def _starts_new(clean: str) -> bool:
    """A numbering marker or a label (``政策内容：``) starts a paragraph even after an unfinished line."""
    marker, _ = marker_of(clean)
    return marker is not None or bool(_LABEL.match(clean))


def _paragraphs(lines: list[str]) -> list[Paragraph]:
    out: list[Paragraph] = []
    current: Paragraph | None = None
    for number, raw in enumerate(lines, start=1):
        clean, md_heading = strip_markdown(raw)
        clean = clean.strip()
        if not clean or _PAGE_MARK.match(clean) or _RULE.match(clean):
            continue
        is_set = bool(SET_HEADING.match(tidy(clean)))
        standalone = is_set or _SHORT_HEADING.match(clean) is not None
        joins = (
            current is not None
            and not current.md_heading
            and not current.standalone
            and not md_heading
            and not standalone
            and not current.text.endswith(_ENDS_PARAGRAPH)
            and not _starts_new(clean)
        )
        if joins:
            assert current is not None
            glue = (
                " "
                if current.text[-1:].isascii()
                and current.text[-1:].isalnum()
                and clean[:1].isascii()
                and clean[:1].isalnum()
                else ""
            )
            current.text += glue + clean
            current.char_lines.extend([number] * (len(glue) + len(clean)))
        else:
            current = Paragraph(
                clean, [number] * len(clean), md_heading=md_heading, set_heading=is_set, standalone=standalone
            )
            out.append(current)
    return out


_SPLIT = re.compile(rf"[^{re.escape(TERMINAL)}]+(?:[{re.escape(TERMINAL)}]+[”’」』）)]*|$)")


def sentences_of(paragraph: Paragraph, start: int = 0) -> list[Sentence]:
    """The sentences of a paragraph from character ``start`` on (e.g. after a field label)."""
    out = []
    for m in _SPLIT.finditer(paragraph.text, start):
        raw = m.group(0)
        if not raw.strip():
            continue
        lead = len(raw) - len(raw.lstrip())
        a, b = m.start() + lead, m.end()
        first, last = paragraph.lines_of(a, b)
        text = tidy(raw)
        if text:
            out.append(Sentence(text, first, last))
    return out


def normalise(text: str) -> str:
    """For comparing quotations: no layout, no Markdown, unified punctuation."""
    text = re.sub(r"-\s*\d+\s*-", "", text)
    text = re.sub(r"[\s*#]+", "", text)
    table = str.maketrans(
        {
            ",": "，",
            ";": "；",
            ":": "：",
            "(": "（",
            ")": "）",
            "!": "！",
            "?": "？",
            "％": "%",
            "—": "-",
            "－": "-",
            "–": "-",
        }
    )
    return text.translate(table)
