"""The JSON API's routers, one module per domain (as the full-stack-fastapi-template's ``routes/``).

Each endpoint parses its input, calls the workflow service with the signed-in user as ``actor``
and serialises the answer into its declared response model (``huiqi.api.schemas``). Who may do
what is decided by the services (``huiqi.workflow.access``); refusals become HTTP answers in one
place (``huiqi.api.errors``: out of scope → 404, a role that may not → 403).
"""

from __future__ import annotations

import importlib

from fastapi import FastAPI

# (module, needs the workflow database)
ROUTES = [
    ("policies", False),
    ("auth", True),
    ("rounds", True),
    ("applications", True),
    ("reviews", True),
    ("notices", True),
    ("decisions", True),
    ("payments", True),
    ("changes", True),
    ("imports", True),
    ("exports", True),
    ("dashboard", True),
    ("audit", True),
    ("users", True),
    ("enterprises", True),
    ("records", True),  # issue 19
    ("matching", True),
    ("notifications", True),
]


def include_api_routers(app: FastAPI, prefix: str) -> None:
    for name, _needs_db in ROUTES:
        module_name = f"{__name__}.{name}"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        app.include_router(module.router, prefix=prefix)
