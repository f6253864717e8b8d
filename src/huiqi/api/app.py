"""The web application: the JSON API under ``/api/v1`` and the server-rendered pages.

``create_app(settings)`` loads the policies once, opens the database (when the workflow layer
is there and ``settings.with_database``), and mounts every router. ``huiqi serve`` runs it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from huiqi.api.errors import install_error_handlers
from huiqi.config import Settings, get_settings
from huiqi.rules import PolicySet, load_policies

log = logging.getLogger("huiqi.web")

API_PREFIX = "/api/v1"
SESSION_COOKIE = "huiqi_session"  # a random id only: the session is a row of the sessions table


@dataclass
class AppState:
    settings: Settings
    policies: PolicySet
    engine: Any = None
    sessionmaker: Any = None
    extra: dict = field(default_factory=dict)
    populations: Any = None  # huiqi.simulate.served.Populations: the simulation page's, loaded at first use

    @property
    def has_database(self) -> bool:
        return self.sessionmaker is not None


GC_GEN0_THRESHOLD = 50_000


def _tune_gc() -> None:
    """Everything loaded at start-up (policies, compiled rules, routes, templates) lives for the whole
    process: move it out of the collector's way (``gc.freeze()``: a full collection no longer walks
    it), and collect the young generation less often (a match allocates many short-lived objects,
    freed by reference counting). Called last in :func:`create_app`; ``bench_match.py`` prints the
    match's p99 with the collector as it is and as tuned here."""
    import gc

    gc.collect()
    gc.freeze()
    gen0, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(max(gen0, GC_GEN0_THRESHOLD), gen1, gen2)


def _open_database(settings: Settings):  # noqa: ANN202
    try:
        from huiqi.store import make_engine, make_sessionmaker
        import huiqi.workflow.models  # noqa: F401 - the workflow layer is there
    except ModuleNotFoundError as exc:
        log.warning("workflow layer not available (%s): rules-only mode", exc)
        return None, None
    engine = make_engine(settings.database())
    return engine, make_sessionmaker(engine)


def create_app(settings: Settings | None = None, *, policies: PolicySet | None = None) -> FastAPI:
    settings = settings or get_settings()
    policies = policies or load_policies(settings.policy_dir)
    engine = maker = None
    if settings.with_database:
        engine, maker = _open_database(settings)
    file_policies = policies
    if maker is not None:  # the versions published in the policy workbench, beside the files (issue 18)
        from huiqi.workflow.workbench.flows import published_into

        policies = published_into(maker, policies)
    from huiqi.simulate.served import Populations  # cheap: DuckDB and ibis only when a population is loaded

    state = AppState(settings=settings, policies=policies, engine=engine, sessionmaker=maker)
    state.populations = Populations(settings.population)
    state.extra["file_policies"] = file_policies
    state.extra["demo_logins"] = list(settings.demo_logins)

    app = FastAPI(
        title="惠企 huiqi API",
        version="1",
        description=(
            "产业扶持政策：规则测算与申报全流程。错误统一为 JSON：`{error, field, message_zh, message_en, details}`。\n\n"
            "Industrial-subsidy policies as rules, and the subsidy lifecycle. Errors are JSON: "
            "`{error, field, message_zh, message_en, details}`. Authenticate with `POST /api/v1/auth/token` "
            "and send `Authorization: Bearer <token>`; a browser session cookie works too, with an `X-CSRF-Token` header on writes."
        ),
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        swagger_ui_parameters={"syntaxHighlight": False},
    )
    app.state.huiqi = state
    install_error_handlers(app)

    from huiqi.api.security import install_security

    install_security(app)  # security headers, the session cookie, the request-body limit

    from huiqi.api.routes import include_api_routers
    from huiqi.web.views import include_web_routers
    from huiqi.web.render import STATIC_DIR, set_vocabulary

    set_vocabulary(policies.vocabulary)

    include_api_routers(app, API_PREFIX)
    include_web_routers(app)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    _offline_docs(app)
    _openapi_with_profile(app)
    from huiqi.rules.engine import prepare

    prepare(policies)  # the rules compiled and the match JSON's fixed parts built before the first request
    _tune_gc()
    return app


def _openapi_with_profile(app: FastAPI) -> None:
    from fastapi.openapi.utils import get_openapi

    from huiqi.api.routes.policies import add_profile_schema

    def custom_openapi() -> dict:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            app.openapi_schema = add_profile_schema(schema, app.state.huiqi.policies)
        return app.openapi_schema

    app.openapi = custom_openapi  # type: ignore[method-assign]


def _offline_docs(app: FastAPI) -> None:
    """Swagger UI needs assets from a CDN; replace /api/v1/docs with a page of our own links."""
    from fastapi.responses import HTMLResponse

    app.router.routes = [r for r in app.router.routes if getattr(r, "path", None) not in (f"{API_PREFIX}/docs", f"{API_PREFIX}/docs/oauth2-redirect")]

    @app.get(f"{API_PREFIX}/docs", include_in_schema=False)
    async def api_docs() -> HTMLResponse:
        rows = []
        for path, item in sorted(app.openapi().get("paths", {}).items()):
            for method, op in item.items():
                rows.append(f"<tr><td><code>{method.upper()}</code></td><td><code>{path}</code></td><td>{op.get('summary', '')}</td></tr>")
        html = (
            "<!doctype html><html lang=zh><meta charset=utf-8><title>huiqi API</title>"
            "<link rel=stylesheet href=/static/huiqi.css><main class=wrap><h1>惠企 API v1</h1>"
            f"<p>OpenAPI: <a href='{API_PREFIX}/openapi.json'>{API_PREFIX}/openapi.json</a></p>"
            "<table class=grid><thead><tr><th>方法</th><th>路径</th><th>说明</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table></main></html>"
        )
        return HTMLResponse(html)


def create_default_app() -> FastAPI:
    """For ``uvicorn --factory huiqi.api.app:create_default_app``: the settings of the environment
    (:func:`huiqi.config.get_settings`: ``HUIQI_DATABASE_URL``, ``HUIQI_POLICY_DIR``,
    ``HUIQI_DATA_DIR``, ``HUIQI_SECRET_KEY``, ``HUIQI_INSECURE_COOKIES=1`` for plain-http testing…)."""
    return create_app(get_settings())


def state_of(app_or_request: Any) -> AppState:
    app = getattr(app_or_request, "app", app_or_request)
    return app.state.huiqi
