"""Public endpoints over the rules: documents, programmes, the fact vocabulary, and ``POST /match``."""

from __future__ import annotations

import datetime as dt
import orjson
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from huiqi.api.errors import ApiError, not_found
from huiqi.rules.catalogue import document_detail, policies_dict, programme_detail, vocabulary_dict
from huiqi.rules import evaluate, parse_profile
from huiqi.rules.profile import profile_json_schema
from huiqi.rules.report import report_summary

router = APIRouter(tags=["policies 政策与测算"])

ERRORS = {
    422: {"description": "输入有误 / invalid input: `{error, field, message_zh, message_en, details}`"},
}


def _policies(request: Request):  # noqa: ANN202
    return request.app.state.huiqi.policies


@router.get("/policies", summary="政策文件与项目列表 / documents and their programmes")
def list_policies(request: Request) -> dict:
    return policies_dict(_policies(request))


@router.get("/policies/{document_id}", summary="一份政策文件 / one document", responses={404: {"description": "no such document"}})
def get_policy(request: Request, document_id: str) -> dict:
    d = _policies(request).document(document_id)
    if d is None:
        raise not_found("政策文件", "document", field="document_id")
    return document_detail(d)


@router.get("/programmes/{programme_id}", summary="一个扶持项目（含条款原文）/ one programme with its clause text", responses={404: {"description": "no such programme"}})
def get_programme(request: Request, programme_id: str) -> dict:
    ps = _policies(request)
    p = ps.programme(programme_id)
    if p is None:
        raise not_found("扶持项目", "programme", field="programme_id")
    return programme_detail(p, ps.document(p.document_id))


@router.get("/facts", summary="事实词表 / the fact vocabulary")
def get_facts(request: Request) -> dict:
    return vocabulary_dict(_policies(request))


@router.get("/schema/profile", summary="企业画像的 JSON Schema / JSON Schema of a profile")
def get_profile_schema(request: Request) -> dict:
    return profile_json_schema(_policies(request).vocabulary)


def run_match(request: Request, data: Any, on: str | None, programme: list[str] | None, *, form: str = "full", detail: str = "full") -> dict:
    ps = _policies(request)
    day = dt.date.today()
    if on:
        try:
            day = dt.date.fromisoformat(on)
        except ValueError:
            raise ApiError(422, f"不是有效日期（应为 YYYY-MM-DD）：{on!r}", f"not a real date (YYYY-MM-DD): {on!r}", field="on") from None
    if programme:
        unknown = [p for p in programme if ps.programme(p) is None]
        if unknown:
            raise ApiError(422, f"未知的项目：{'、'.join(unknown)}", f"unknown programme(s): {', '.join(unknown)}", field="programme")
    profile = parse_profile(data, ps.vocabulary)
    report = evaluate(ps, profile, on=day, programmes=programme or None)
    if detail == "summary":
        return report_summary(report)
    return report.to_dict(form)


@router.post(
    "/match",
    summary="测算：一份企业画像 → 各项目状态、上限、理由（同 huiqi match --json）/ match a profile",
    response_description="the stable JSON of `huiqi match --json` (docs/match-json.md)",
    responses=ERRORS,
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Profile"}}}}},
)
async def match(
    request: Request,
    on: str | None = Query(None, description="评估日期 YYYY-MM-DD，默认今天 / evaluation date, default today", pattern=r"^\d{4}-\d{2}-\d{2}$"),
    programme: list[str] | None = Query(None, description="只测算这些项目 / only these programme ids"),
    form: str = Query("full", pattern="^(full|compact)$", description="compact：条文与解释说明每次响应只给一次，结果中按编号引用（docs/match-json.md）/ compact: clauses and notes once per response, referenced by id"),
    detail: str = Query("full", pattern="^(full|summary)$", description="summary：列表所需字段 / summary: the fields a list shows"),
) -> Response:
    body = await request.body()
    if not body:
        raise ApiError(422, "请求体应为企业画像 JSON", "the request body must be a profile (JSON)", field="body")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ApiError(422, f"JSON 格式错误：{getattr(exc, 'msg', exc)}", f"malformed JSON: {getattr(exc, 'msg', exc)}", field="body") from None
    result = run_match(request, data, on, programme, form=form, detail=detail)
    return Response(orjson.dumps(result), media_type="application/json")


def add_profile_schema(openapi: dict, policies) -> dict:  # noqa: ANN001
    """Put the profile's JSON Schema (from the fact vocabulary) into the OpenAPI components."""
    schema = profile_json_schema(policies.vocabulary)
    schema.pop("$schema", None)
    openapi.setdefault("components", {}).setdefault("schemas", {})["Profile"] = schema
    return openapi
