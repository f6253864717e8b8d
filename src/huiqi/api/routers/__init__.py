"""Routers of the JSON API, one module per domain."""

from __future__ import annotations

import importlib

from fastapi import FastAPI

from huiqi.api.app import API_PREFIX

# (module, needs the workflow database)
ROUTERS = [
    ("huiqi.api.routers.policies", False),
    ("huiqi.api.routers.auth", True),
    ("huiqi.api.routers.workflow", True),
]


def include_api_routers(app: FastAPI) -> None:
    for name, needs_db in ROUTERS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        app.include_router(module.router, prefix=API_PREFIX)
