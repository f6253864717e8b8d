"""The simulation page (政策测算, ``/office/simulate``): what a district's programmes — or a reform of
them — would cost over the enterprise population the server holds (``HUIQI_POPULATION``).

Who may, and which programmes: ``huiqi.workflow.simulation`` (access action ``simulate.run``). The
run: ``huiqi.simulate.scenario.simulate``, the service behind ``huiqi simulate run``, over the
resident population the app keeps (``huiqi.simulate.served``), loaded at its first use. A run
changes nothing, so the form is a GET (a result can be bookmarked or shared).
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from huiqi.api.security import DB
from huiqi.rules.errors import InputError
from huiqi.simulate.served import PopulationUnavailable
from huiqi.web.render import render
from huiqi.web.views.common import page_user
from huiqi.workflow import simulation

router = APIRouter(include_in_schema=False)
SIMULATE = page_user("simulate.run")  # a district's officers and auditors, the administrator


def _lines(text: str) -> list[str]:
    return [x.strip() for x in text.replace("\r", "\n").split("\n") if x.strip() and not x.strip().startswith("#")]


@router.get("/office/simulate")
def simulate_page(request: Request, user: Any = Depends(SIMULATE), session: Any = DB) -> Response:
    from huiqi.simulate import reform as RF
    from huiqi.simulate import scenario as S

    state = request.app.state.huiqi
    ps = state.policies
    sc = simulation.scope(actor=user, policies=ps)  # 403 for a role that may not simulate
    q = request.query_params
    form = {
        "on": (q.get("on") or "").strip(),
        "programmes": [p for p in q.getlist("programme") if p.strip()],
        "by": (q.get("by") or "").strip(),
        "changes": q.get("changes") or "",
        "population": (q.get("population") or "").strip(),
    }
    populations = state.populations
    served = populations.peek(form["population"] or None)
    ctx: dict[str, Any] = {
        "scope": sc,
        "form": form,
        "groupings": simulation.GROUP_LABELS,
        "populations": populations.names(),
        "served": served,
        "notice": None,
        "error": None,
        "outcome": None,
    }
    try:
        before = populations.check(form["population"] or None).loads
    except PopulationUnavailable as exc:
        ctx["notice"] = exc
    if "run" not in q or ctx["notice"] is not None:
        return render(request, "office_simulate.html", ctx)
    try:
        on = S.parse_date(form["on"], field_name="on")
        changes = RF.read_changes(None, _lines(form["changes"]))
        kw = {"programmes": form["programmes"], "changes": changes, "group": form["by"]}
        simulation.check(actor=user, policies=ps, **kw)  # bad input loads no population
        t0 = time.perf_counter()
        with populations.use(ps, form["population"] or None) as served:
            outcome = simulation.run(actor=user, policies=ps, population=served.resident, on=on, **kw)
        ctx.update(served=served, outcome=outcome, seconds=time.perf_counter() - t0, loaded_now=served.loads != before)
    except InputError as exc:
        ctx["error"] = exc
        return render(request, "office_simulate.html", ctx, status_code=422)
    except PopulationUnavailable as exc:
        ctx["notice"] = exc
        return render(request, "office_simulate.html", ctx)
    ctx["totals"] = outcome.totals()
    ctx["baseline"] = list(outcome.baseline.totals().values())
    ctx["groups"] = outcome.groups() if form["by"] else []
    return render(request, "office_simulate.html", ctx)
