"""Workflow errors: every one carries ``message_zh``, ``message_en`` and the ``field`` it concerns.

The CLI (``huiqi.cli.main.run``) prints them without a traceback (exit 2); the API turns them
into 4xx responses.
"""

from __future__ import annotations

from typing import Any


class WorkflowError(Exception):
    """A refused workflow operation, explained in Chinese and English."""

    status_code = 400

    def __init__(self, message_zh: str, message_en: str, *, field: str = "", details: Any = None) -> None:
        self.message_zh = message_zh
        self.message_en = message_en
        self.field = field
        self.details = details
        super().__init__(f"{field + ': ' if field else ''}{message_zh} / {message_en}")

    def to_dict(self) -> dict:
        return {"error": type(self).__name__, "field": self.field, "message_zh": self.message_zh, "message_en": self.message_en, "details": self.details}


class NotFound(WorkflowError):
    """The record asked for does not exist."""

    status_code = 404


class PermissionDenied(WorkflowError):
    """The actor's role may not do this."""

    status_code = 403


class IllegalTransition(WorkflowError):
    """The state machine does not allow this step from the record's present state."""

    status_code = 409


class InvalidInput(WorkflowError):
    """A value is missing or malformed."""

    status_code = 422


class DuplicateApplication(WorkflowError):
    """The enterprise has a live application for the same programme, claim and round already;
    ``details`` names it (``existing_id``, ``state``)."""

    status_code = 409


class MaterialsMissing(WorkflowError):
    """Required materials are missing; ``details`` lists them."""

    status_code = 422


class CapExceeded(WorkflowError):
    """An amount above the engine's ceiling, the per-entity annual cap or the round's budget."""

    status_code = 409


class AlreadyImported(WorkflowError):
    """This very file (same SHA-256) was imported before; ``details`` names that import."""

    status_code = 409


class ImportRejected(WorkflowError):
    """An import file with bad rows; ``details`` lists every bad row. Nothing was imported."""

    status_code = 422

    def __init__(self, problems: list[dict], *, field: str = "file") -> None:
        lines = "; ".join(f"第{p['row']}行 row {p['row']} {p['column']}: {p['message_zh']} / {p['message_en']}" for p in problems[:20])
        more = f" … (+{len(problems) - 20})" if len(problems) > 20 else ""
        super().__init__(
            f"导入文件有 {len(problems)} 处错误，未导入任何数据：{lines}{more}",
            f"{len(problems)} problem(s) in the import file; nothing was imported",
            field=field,
            details=problems,
        )
        self.problems = problems
