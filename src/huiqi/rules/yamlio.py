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


MAX_DEPTH = 100  # nesting levels: far above any policy file or profile, far below Python's recursion limit
MAX_NODES = 1_000_000  # values once aliases are expanded (a "billion laughs" file is refused, not expanded)


class _Refused(yaml.YAMLError):
    """A YAML document refused before it is built (too deep, too large once aliases are expanded)."""

    def __init__(self, zh: str, en: str, line: int | None) -> None:
        super().__init__(en)
        self.zh, self.en, self.line = zh, en, line


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans: only true/false (so `on:` and `no:` stay text), refusing
    documents nested more than ``MAX_DEPTH`` deep or larger than ``MAX_NODES`` values once aliases
    are expanded — a clear error instead of a RecursionError or memory blown by a hostile file."""

    def __init__(self, stream) -> None:  # noqa: ANN001
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):  # noqa: ANN001, ANN201
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                line = self.peek_event().start_mark.line + 1
                raise _Refused(
                    f"YAML 嵌套超过 {MAX_DEPTH} 层（第 {line} 行）", f"YAML nested more than {MAX_DEPTH} levels deep (line {line})", line
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_document(self, node):  # noqa: ANN001, ANN201
        _check_size(node)
        return super().construct_document(node)


def _check_size(root: yaml.Node) -> None:
    """Count the values of a document as built, an alias counting its whole target each time used
    (memoised per node, so the count is cheap even when the answer is astronomical)."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in sizes:
            continue
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        else:
            sizes[id(node)] = 1
            continue
        if done:
            sizes[id(node)] = 1 + sum(sizes[id(c)] for c in children)
            if sizes[id(node)] > MAX_NODES:
                line = node.start_mark.line + 1
                raise _Refused(
                    f"YAML 展开别名后超过 {MAX_NODES} 个值（第 {line} 行起，疑为“十亿笑声”攻击）",
                    f"YAML expands to more than {MAX_NODES} values once its aliases are followed "
                    f"(from line {line}; a 'billion laughs' file?)",
                    line,
                )
            continue
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in sizes)


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
    except _Refused as exc:
        raise PolicyError([Problem("yaml", exc.zh, exc.en, file, exc.line)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise PolicyError(
            [Problem("yaml", f"YAML 格式错误：{exc.problem}", f"malformed YAML: {exc.problem}", file, line)]
        ) from None
    except yaml.YAMLError as exc:  # e.g. a control character the reader refuses
        raise PolicyError([Problem("yaml", f"YAML 格式错误：{exc}", f"malformed YAML: {exc}", file)]) from None
    except (ValueError, RecursionError) as exc:  # a value the constructor cannot build (an int of 5,000 digits …)
        problem = Problem("yaml", f"YAML 中有无法读取的值：{exc}", f"a value in the YAML cannot be read: {exc}", file)
        raise PolicyError([problem]) from None


def decode_utf8(data: bytes, *, file: str, field: str = "file") -> str:
    """Bytes as UTF-8 text (a BOM is dropped); otherwise a Problem naming the line of the first bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PolicyError([Problem(
            field, f"文件不是 UTF-8 文本（第 {line} 行，第 {exc.start + 1} 个字节：0x{data[exc.start]:02x}）；请另存为 UTF-8",
            f"the file is not UTF-8 text (line {line}, byte {exc.start + 1}: 0x{data[exc.start]:02x}); save it as UTF-8",
            file, line,
        )]) from None


def load_yaml_file(path: str | Path) -> Any:
    """Read and parse a YAML file, errors naming the file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise PolicyError([Problem("file", f"文件不存在：{path}", f"no such file: {path}", str(path))]) from None
    except OSError as exc:
        problem = Problem("file", f"无法读取文件：{exc.strerror}", f"cannot read the file: {exc.strerror}", str(path))
        raise PolicyError([problem]) from None
    return load_yaml_text(decode_utf8(data, file=str(path)), file=str(path))
