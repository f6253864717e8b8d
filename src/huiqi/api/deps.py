"""Typed dependencies of the API routes (as the full-stack-fastapi-template's ``api/deps.py``).

``SessionDep`` is one unit of work per request (committed when the handler returns, rolled back on
any error); ``CurrentUser`` the signed-in user (bearer token, or the session cookie with an
``X-CSRF-Token`` header on writes); ``PoliciesDep`` the loaded policies; ``SettingsDep`` the app's
settings. Who may do what is never decided here: the routes pass ``CurrentUser`` to the services
as ``actor`` (``huiqi.workflow.access``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from huiqi.api.security import api_user, DB, optional_user
from huiqi.config import Settings
from huiqi.rules import PolicySet


def policies(request: Request) -> PolicySet:
    return request.app.state.huiqi.policies


def settings(request: Request) -> Settings:
    return request.app.state.huiqi.settings


SessionDep = Annotated[Session, DB]
CurrentUser = Annotated[Any, Depends(api_user)]  # a huiqi.workflow.users.models.User
OptionalUser = Annotated[Any, Depends(optional_user)]
PoliciesDep = Annotated[PolicySet, Depends(policies)]
SettingsDep = Annotated[Settings, Depends(settings)]
