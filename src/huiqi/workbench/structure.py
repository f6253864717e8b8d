"""The outline of a policy document: sets of rules, parts, groups, programmes, fields, items.

Headings are recognised by their numbering, as Chinese official documents write them:

* a *set* of rules inside one notice: a line ``关于……实施细则`` (or ``……有关要求``);
* a *part*: ``一、`` or ``第一章`` written as a heading (short, no sentence inside, or a
  Markdown ``#`` line);
* a *group*: ``（一）`` written as a heading;
* a *programme*: ``专题一`` / ``第一条`` (with a support sentence), or, outside any programme,
  a numbered paragraph ``1、`` / ``1.`` that states support (给予、补贴、奖励… or a sum) — the
  measures of Huangpu's text; the next paragraph numbered the same way starts the next one;
* a *field* of a programme: ``1.受理部门：`` ``2.支持对象：`` ``3.支持标准：`` ``4.申报材料：``
  ``5.申报流程：`` (and their usual synonyms). A field outside any programme opens one for the
  enclosing set (Jinshan's 做强做优 rules have fields but no 专题);
* anything else is an *item* of the field, programme or section it stands in. Items keep their
  own numbering (``（1）``, ``（一）``, ``1.``) for the reference, however deeply they nest.

Text outside every programme belongs to a *section*: the notice's header, a set's preamble
(政策内容), or a part such as 适用范围、保障措施、附则、关于项目管理有关要求.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from huiqi.workbench.text import Marker, Paragraph, Sentence, SourceText, marker_of, sentences_of, tidy

FIELD_KINDS: dict[str, str] = {
    "受理部门": "department",
    "受理单位": "department",
    "支持对象": "criteria",
    "申报对象": "criteria",
    "适用对象": "criteria",
    "申报条件": "criteria",
    "申报要求": "criteria",
    "支持条件": "criteria",
    "支持标准": "support",
    "资助标准": "support",
    "奖励标准": "support",
    "补贴标准": "support",
    "扶持标准": "support",
    "支持方式": "support",
    "申报材料": "materials",
    "提交材料": "materials",
    "申报流程": "process",
    "申报程序": "process",
    "办理流程": "process",
}
_FIELD = re.compile(rf"^({'|'.join(FIELD_KINDS)})\s*(?:[：:]\s*|$)")
SUPPORT_WORDS = re.compile(r"给予|给与|补贴|资助|奖励|配套|予以支持|万元|亿元|\d\s*[%％‰‱]")


@dataclass
class Item:
    """A paragraph inside a field, programme or section: its numbering and its sentences."""

    marker: Marker | None
    sentences: list[Sentence]
    start_line: int
    end_line: int


@dataclass
class Field:
    name: str  # 支持对象
    kind: str  # department / criteria / support / materials / process
    marker: Marker | None
    line: int
    items: list[Item] = field(default_factory=list)  # the heading's own text after ``name：`` is the first item

    @property
    def sentences(self) -> list[Sentence]:
        return [s for item in self.items for s in item.sentences]


@dataclass
class ProgrammeOutline:
    marker: Marker | None
    title: str
    line: int  # heading line
    end_line: int
    set_title: str = ""
    set_ordinal: int = 0
    part: str = ""  # e.g. 二、主要举措
    part_marker: str = ""
    group: str = ""  # e.g. （一）聚焦技术研发应用，提升创新策源能力
    group_marker: str = ""
    group_ordinal: int = 0
    title_sentences: list[Sentence] = field(default_factory=list)  # the heading paragraph (titles may state sums)
    fields: list[Field] = field(default_factory=list)
    body: list[Item] = field(default_factory=list)  # text outside any field
    implicit: bool = False  # opened by a field directly under a set heading

    def field_sentences(self, kind: str) -> list[tuple[Field, Item, Sentence]]:
        return [(f, i, s) for f in self.fields if f.kind == kind for i in f.items for s in i.sentences]

    @property
    def section(self) -> str:
        """The heading path above the programme, as the shipped files write it."""
        if self.group:
            inner = f"{self.part_marker}{self.group}" if self.part_marker else self.group
        else:
            inner = self.part
        return " ".join(x for x in (self.set_title, inner) if x)

    @property
    def ref(self) -> str:
        """A short reference for clauses: 专题四 / 二、（三）7."""
        if self.marker is None:
            return ""
        if self.marker.kind in ("topic", "article"):
            return self.marker.text.rstrip("：: ")
        number = str(self.marker.number)
        return f"{self.part_marker}{self.group_marker}{number}"


@dataclass
class SectionOutline:
    """Text outside every programme: the header, a set's preamble, a part."""

    kind: str  # header / set / part / group
    title: str
    line: int
    end_line: int
    set_title: str = ""
    set_ordinal: int = 0
    items: list[Item] = field(default_factory=list)

    @property
    def sentences(self) -> list[Sentence]:
        return [s for item in self.items for s in item.sentences]


@dataclass
class Outline:
    source: SourceText
    programmes: list[ProgrammeOutline]
    sections: list[SectionOutline]


def _heading_like(paragraph: Paragraph, body: str) -> bool:
    return paragraph.md_heading or (len(body) <= 40 and not re.search(r"[。；;！？]", body))


def _item(paragraph: Paragraph, marker: Marker | None, offset: int) -> Item:
    return Item(marker, sentences_of(paragraph, offset), paragraph.start_line, paragraph.end_line)


def outline(source: SourceText) -> Outline:
    """Walk the paragraphs once, opening and closing sets, parts, groups, programmes and fields."""
    programmes: list[ProgrammeOutline] = []
    sections: list[SectionOutline] = [SectionOutline("header", "", 1, 1)]
    set_title, set_ordinal, set_line = "", 0, 0
    part, part_marker, group, group_marker, group_ordinal = "", "", "", "", 0
    prog: ProgrammeOutline | None = None
    current_field: Field | None = None

    def close() -> None:
        nonlocal prog, current_field
        prog, current_field = None, None

    def new_section(kind: str, title: str, line: int) -> None:
        close()
        sections.append(SectionOutline(kind, title, line, line, set_title, set_ordinal))

    def open_programme(marker: Marker | None, title: str, line: int, *, implicit: bool = False) -> ProgrammeOutline:
        nonlocal prog, current_field
        prog = ProgrammeOutline(
            marker,
            title,
            line,
            line,
            set_title,
            set_ordinal,
            part,
            part_marker,
            group,
            group_marker,
            group_ordinal,
            implicit=implicit,
        )
        programmes.append(prog)
        current_field = None
        return prog

    for p in source.paragraphs:
        marker, body = marker_of(p.text)
        offset = len(p.text) - len(body)
        if p.set_heading:
            set_title, set_ordinal, set_line = tidy(p.text), set_ordinal + 1, p.start_line
            part = part_marker = group = group_marker = ""
            new_section("set", set_title, p.start_line)
            continue
        kind = marker.kind if marker else None
        if kind == "chapter" or (kind == "cn_dun" and _heading_like(p, body)):
            part, part_marker, group, group_marker = tidy(p.text), marker.text if marker else "", "", ""
            new_section("part", f"{set_title} {part}".strip(), p.start_line)
            continue
        in_fields = prog is not None and bool(prog.fields)
        if kind == "cn_paren" and _heading_like(p, body) and (p.md_heading or not in_fields):
            group, group_marker, group_ordinal = (
                f"{marker.text}{tidy(body)}" if marker else tidy(p.text),
                marker.text if marker else "",
                group_ordinal + 1,
            )
            new_section("group", group, p.start_line)
            continue
        if kind == "topic" or (kind == "article" and SUPPORT_WORDS.search(p.text)):
            assert marker is not None
            if kind == "article":  # 第一条 ……: the article's own sentences are its body; the title is its first words
                first = sentences_of(p, offset)
                head = first[0].text.rstrip("。；;") if first else tidy(body)
                prog = open_programme(
                    marker, f"{marker.text} {head[:30]}{'…' if len(head) > 30 else ''}", p.start_line
                )
                prog.body.append(_item(p, None, offset))
            else:
                prog = open_programme(marker, f"{marker.text.rstrip('：: ')} {tidy(body)}", p.start_line)
                prog.title_sentences = sentences_of(p, offset)
            prog.end_line = p.end_line
            continue
        if kind == "article":  # an article that states no support: document-level text (e.g. 施行)
            assert marker is not None
            new_section("part", marker.text, p.start_line)
            sections[-1].items.append(_item(p, marker, 0))
            sections[-1].end_line = p.end_line
            continue
        fm = _FIELD.match(body) if marker is not None and kind in ("num_dot", "cn_dun", "num_paren") else None
        if fm is None and marker is None:
            fm = _FIELD.match(body) if re.match(r"^(受理部门|申报材料|申报流程)", body) else None
        if fm is not None:
            if prog is None:
                prog = open_programme(None, set_title or "（无标题）", set_line or p.start_line, implicit=True)
            name = fm.group(1)
            current_field = Field(name, FIELD_KINDS[name], marker, p.start_line)
            prog.fields.append(current_field)
            rest = offset + fm.end()
            if p.text[rest:].strip():
                current_field.items.append(_item(p, None, rest))
            prog.end_line = p.end_line
            continue
        numbered = kind in ("num_dot",) and SUPPORT_WORDS.search(p.text)
        sibling = prog is not None and not prog.fields and prog.marker is not None and kind == prog.marker.kind
        if (prog is None and numbered) or sibling:
            assert marker is not None
            first = re.match(r"[^。；;！？!?]*[。；;！？!?]?", body)
            head = first.group(0) if first else body
            title = f"{marker.text}{tidy(head).rstrip('。；;')}"
            prog = open_programme(marker, title, p.start_line)
            prog.title_sentences = sentences_of(p, offset)[:1]
            rest_start = offset + len(head)
            if p.text[rest_start:].strip():
                prog.body.append(_item(p, None, rest_start))
            prog.end_line = p.end_line
            continue
        # an item's quotation keeps its numbering（1）, as the shipped files quote it
        item = _item(p, marker, 0)
        if prog is not None:
            (current_field.items if current_field is not None else prog.body).append(item)
            prog.end_line = p.end_line
        else:
            sections[-1].items.append(item)
            sections[-1].end_line = p.end_line
    return Outline(source, programmes, sections)
