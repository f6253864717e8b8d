"""The policy set the workflow evaluates against (the settings' ``policy_dir``, ``$HUIQI_POLICY_DIR``,
or the packaged policies)."""

from __future__ import annotations

import functools

from huiqi.rules import PolicySet, load_policies
from huiqi.rules.model import Document, Programme
from huiqi.workflow.errors import InvalidInput, NotFound


@functools.lru_cache(maxsize=4)
def _load(directory: str | None) -> PolicySet:
    return load_policies(directory)


def default_policies() -> PolicySet:
    """The loaded policies (cached per directory)."""
    from huiqi.config import get_settings

    d = get_settings().policy_dir
    return _load(str(d) if d else None)


def programme(policies: PolicySet, programme_id: str) -> tuple[Programme, Document]:
    """A programme and its document (of a document with versions, the newest version that has it:
    an application's own version is the one frozen with it, see ``huiqi.rules.versions``), or NotFound."""
    from huiqi.rules import versions

    for d in policies.documents:
        p = d.programme(programme_id)
        if p is not None and not versions.skip(p, d):
            return p, d
    raise NotFound(f"政策中没有项目 {programme_id}", f"no programme {programme_id!r} in the policies", field="programme")


def management(document: Document, key: str, *, field: str | None = None):  # noqa: ANN201
    """``document.management[key]``, or a clear error naming the document and the key."""
    data = document.management or {}
    if key not in data:
        raise InvalidInput(
            f"政策文件 {document.number} 未规定 management.{key}（项目管理要求），无法判断",
            f"the policy file of {document.number} has no management.{key} (project-management rules): cannot decide",
            field=field or f"management.{key}",
        )
    return data[key]
