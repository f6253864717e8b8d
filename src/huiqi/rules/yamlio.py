"""YAML reading that remembers line numbers, so errors can say file:line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from huiqi.rules.errors import PolicyError, Problem


class LineDict(dict):
    """A mapping from YAML that knows its own line and the line of each key (1-based)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.line = 0
        self.key_lines: dict[str, int] = {}

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list):
    """A sequence from YAML that knows its own line."""

    line: int = 0


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans: only true/false (so `on:` and `no:` stay text)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    __import__("re").compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    explicit = sum(1 for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge")
    loader.flatten_mapping(node)
    merged = len(node.value) - explicit  # `<<: *anchor` entries come first; explicit keys override them
    out = LineDict()
    out.line = node.start_mark.line + 1
    from_merge: set = set()
    for index, (key_node, value_node) in enumerate(node.value):
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, (int, float)) and not isinstance(key, bool):
            key = str(key)
        if index < merged:
            from_merge.add(key)
        elif key in from_merge:
            from_merge.discard(key)
            out.pop(key, None)
        if key in out:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} / 重复的键 {key!r}", key_node.start_mark
            )
        out[key] = loader.construct_object(value_node, deep=True)
        out.key_lines[str(key)] = key_node.start_mark.line + 1
    return out


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    out = LineList(loader.construct_object(child, deep=True) for child in node.value)
    out.line = node.start_mark.line + 1
    return out


def _construct_str(loader: _Loader, node: yaml.ScalarNode) -> str:
    return loader.construct_scalar(node)


def _construct_timestamp(loader: _Loader, node: yaml.ScalarNode):
    """A date that does not exist (2025-02-30) stays text, so the field that holds it is named in the error."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
# Keep floats out of money: a YAML float like 0.3 is read back as its exact text.
_Loader.add_constructor("tag:yaml.org,2002:float", _construct_str)


def load_yaml_text(text: str, *, file: str) -> Any:
    """Parse YAML text; a syntax error becomes a PolicyError with file:line."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise PolicyError(
            [Problem("yaml", f"YAML 格式错误：{exc.problem}", f"malformed YAML: {exc.problem}", file, line)]
        ) from None
    except yaml.YAMLError as exc:  # pragma: no cover - other YAML failures
        raise PolicyError([Problem("yaml", f"YAML 格式错误：{exc}", f"malformed YAML: {exc}", file)]) from None


def load_yaml_file(path: str | Path) -> Any:
    """Read and parse a YAML file, errors naming the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError([Problem("file", f"文件不存在：{path}", f"no such file: {path}", str(path))]) from None
    except UnicodeDecodeError:
        raise PolicyError([Problem("file", "文件不是 UTF-8 文本", "the file is not UTF-8 text", str(path))]) from None
    return load_yaml_text(text, file=str(path))
