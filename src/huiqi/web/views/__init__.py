"""Server-rendered pages (Jinja2 + htmx), one module per audience."""

from __future__ import annotations

import importlib

from fastapi import FastAPI

VIEWS = ["huiqi.web.views.public", "huiqi.web.views.account", "huiqi.web.views.enterprise", "huiqi.web.views.officer", "huiqi.web.views.expert", "huiqi.web.views.proactive", "huiqi.web.views.workbench",
         "huiqi.web.views.simulate"]


def include_web_routers(app: FastAPI) -> None:
    for name in VIEWS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        app.include_router(module.router)
