"""Firing transitions of the state tables in ``states.py``, with an audit entry for each."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from huiqi import audit
from huiqi.workflow.states import Machine, Transition, check_transition
from huiqi.workflow.users.models import User


def fire(session: Session, *, machine: Machine, obj: Any, name: str, actor: User, reason: str | None = None, stages: tuple[str, ...] | None = None, data: dict | None = None) -> Transition:
    """Move ``obj`` along transition ``name`` or raise IllegalTransition / PermissionDenied."""
    if not actor.active:
        from huiqi.workflow.errors import PermissionDenied

        raise PermissionDenied("用户已停用", "this user is deactivated", field="actor")
    t = check_transition(machine, obj.state, name, actor.role, stages=stages, reason=reason)
    before = obj.state
    obj.state = t.target
    session.flush()
    audit.record(session, actor=actor.username, action=f"{machine.name}.{name}", entity=machine.name, entity_id=obj.id, reason=reason, data={"from": before, "to": t.target, **(data or {})})
    return t
