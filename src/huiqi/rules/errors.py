"""Errors the rules package raises: each names the field (and file:line) in Chinese and English."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Problem:
    """One thing wrong with an input: where, and what, in both languages."""

    field: str
    message_zh: str
    message_en: str
    file: str | None = None
    line: int | None = None

    def location(self) -> str:
        if self.file and self.line:
            return f"{self.file}:{self.line}"
        return self.file or ""

    def render(self) -> str:
        where = self.location()
        prefix = f"{where}: " if where else ""
        return f"{prefix}{self.field}: {self.message_zh} / {self.message_en}"

    def to_dict(self) -> dict:
        return {
            "field": self.field,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "file": self.file,
            "line": self.line,
        }


@dataclass
class InputError(ValueError):
    """Bad input (a policy file or a profile): one or more problems, never a traceback for users."""

    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(p.render() for p in self.problems)


class PolicyError(InputError):
    """A policy file that cannot be loaded."""


class ProfileError(InputError):
    """An enterprise profile that does not fit the fact vocabulary."""
