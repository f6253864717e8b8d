"""A small YAML writer for drafts: block style, flow style for short mappings, comments.

PyYAML cannot write comments, and a draft for review needs them (where a value came from,
what is left to decide). Every text is written double-quoted (JSON escaping is valid YAML),
so no Chinese sentence can be misread as YAML syntax; numbers are written exactly (Decimal,
never float).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

_PLAIN = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_.\-]*|\d+(?:\.\d+)?[%‰‱])$")
_RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}


class Flow(dict):
    """A mapping written on one line: ``{text: "…", line: 12}``."""


@dataclass
class Commented:
    """A value with a comment after it (or above it, for block values)."""

    value: Any
    comment: str


def scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return (
            format(value.quantize(Decimal(1)), "f")
            if value == value.to_integral_value()
            else format(value.normalize(), "f")
        )
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _RESERVED:
        return text
    return json.dumps(text, ensure_ascii=False)


def _flow(value: Any) -> str:
    if isinstance(value, Commented):
        value = value.value
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return scalar(value)


def _is_block(value: Any) -> bool:
    if isinstance(value, list):
        value = [v.value if isinstance(v, Commented) else v for v in value]
    return (
        (isinstance(value, dict) and not isinstance(value, Flow) and bool(value))
        or (
            isinstance(value, list)
            and bool(value)
            and any(isinstance(v, (dict, list)) and not isinstance(v, Flow) for v in value)
        )
        or (isinstance(value, list) and len(value) > 0 and any(isinstance(v, Flow) for v in value))
    )


def _comment(text: str) -> str:
    return "  # " + text.replace("\n", " ") if text else ""


def dump(value: dict, indent: int = 0) -> str:
    """A mapping as YAML text."""
    return "".join(_mapping(value, indent))


def _mapping(mapping: dict, indent: int) -> list[str]:
    out = []
    pad = " " * indent
    for key, value in mapping.items():
        comment = ""
        if isinstance(value, Commented):
            value, comment = value.value, value.comment
        if _is_block(value):
            if comment:
                out.append(f"{pad}# {comment}\n")
            out.append(f"{pad}{key}:\n")
            out.extend(_mapping(value, indent + 2) if isinstance(value, dict) else _sequence(value, indent + 2))
        else:
            out.append(f"{pad}{key}: {_flow(value)}{_comment(comment)}\n")
    return out


def _sequence(items: list, indent: int) -> list[str]:
    out = []
    pad = " " * indent
    for item in items:
        comment = ""
        if isinstance(item, Commented):
            item, comment = item.value, item.comment
        if isinstance(item, dict) and not isinstance(item, Flow) and item:
            if comment:
                out.append(f"{pad}# {comment}\n")
            lines = _mapping(item, indent + 2)
            k = next(i for i, line in enumerate(lines) if not line.lstrip().startswith("#"))
            out.extend(f"{pad}{line.lstrip()}" for line in lines[:k])
            out.append(f"{pad}- {lines[k][indent + 2:]}")
            out.extend(lines[k + 1 :])
        else:
            out.append(f"{pad}- {_flow(item)}{_comment(comment)}\n")
    return out
