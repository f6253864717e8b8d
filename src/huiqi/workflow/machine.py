"""Firing transitions of the state tables in ``states.py``, with an audit entry for each.

The caller has loaded the record through ``access`` (out of scope → NotFound); ``fire`` then checks
the present state and that the actor's role may fire the transition — the roles come from the
machine's table (``states.check_transition``), never from code elsewhere.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from huiqi import audit
from huiqi.workflow.errors import PermissionDenied
from huiqi.workflow.states import Machine, Transition, check_transition
from huiqi.workflow.users.models import User


def fire(session: Session, *, machine: Machine, obj: Any, name: str, actor: User, reason: str | None = None, stages: tuple[str, ...] | None = None, data: dict | None = None, district: str | None = None) -> Transition:
    """Move ``obj`` along transition ``name`` or raise IllegalTransition / PermissionDenied.
    The audit entry belongs to ``district`` (default: the record's own ``district``)."""
    if not actor.active:
        raise PermissionDenied("用户已停用", "this user is deactivated", field="actor")
    t = check_transition(machine, obj.state, name, actor.role, stages=stages, reason=reason)
    before = obj.state
    obj.state = t.target
    session.flush()
    audit.record(session, actor=actor.username, action=f"{machine.name}.{name}", entity=machine.name, entity_id=obj.id, district=district or getattr(obj, "district", None),
                 reason=reason, data={"from": before, "to": t.target, **(data or {})})
    return t
