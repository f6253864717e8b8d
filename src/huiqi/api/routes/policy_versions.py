"""Policy versions of the workbench (issue 18): draft from text, edit, propose, return, publish —
the same services as the pages (``huiqi.workflow.workbench``; four eyes and district scope there)."""

from __future__ import annotations

from typing import Optional

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from huiqi.api.deps import CurrentUser, PoliciesDep, SessionDep
from huiqi.api.routes.common import READ, WRITE
from huiqi.workflow.workbench import flows, service

router = APIRouter(tags=["policy versions 政策版本"])


class VersionOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: int
    district: str
    state: str
    state_zh: str
    state_en: str
    document_id: Optional[str]
    supersedes: Optional[str]
    title: str
    source_name: str
    author_id: int
    proposed_by: Optional[int]
    reviewed_by: Optional[int]
    review_note: Optional[str]
    published_at: Optional[str]
    sha256: str


class VersionDetail(VersionOut):
    yaml_text: str
    problems: list[dict]
    diff: list[str]


class CreateIn(BaseModel):
    document_id: str = Field(..., min_length=2, max_length=61, pattern=r"^[a-z0-9][a-z0-9-]{1,60}$")
    supersedes: Optional[str] = Field(None, max_length=100)
    source_text: str = Field(..., min_length=1, max_length=2_000_000)
    source_name: str = Field("source.txt", min_length=1, max_length=300)


class YamlIn(BaseModel):
    yaml_text: str = Field(..., min_length=1, max_length=2_000_000)
    programme: Optional[str] = Field(None, max_length=50, description="replace this programme's item only")


class NoteIn(BaseModel):
    note: Optional[str] = Field(None, max_length=2000)


@router.get(
    "/policy-versions",
    summary="本区的政策版本 / the district's policy versions",
    response_model=list[VersionOut],
    responses=READ,
)
def list_versions(session: SessionDep, user: CurrentUser) -> list[dict]:
    return [service.summary(v) for v in service.list_for(session=session, actor=user)]


@router.post(
    "/policy-versions",
    summary="由原文生成草稿 / draft from a document's text",
    status_code=201,
    response_model=VersionOut,
    responses=WRITE,
)
def create_version(body: CreateIn, session: SessionDep, user: CurrentUser, ps: PoliciesDep) -> dict:
    v = service.create(
        session=session,
        actor=user,
        policies=ps,
        source_text=body.source_text,
        source_name=body.source_name,
        document_id=body.document_id,
        supersedes=body.supersedes or None,
    )
    return service.summary(v)


@router.get(
    "/policy-versions/{version_id}",
    summary="一个版本：YAML、问题与差异 / one version: YAML, problems, diff",
    response_model=VersionDetail,
    responses=READ,
)
def get_version(version_id: int, session: SessionDep, user: CurrentUser, ps: PoliciesDep) -> dict:
    r = flows.review(session=session, version_id=version_id, actor=user, policies=ps)
    v = service.get(session=session, version_id=version_id, actor=user)
    return {**service.summary(v), "yaml_text": v.yaml_text, "problems": r["problems"], "diff": r["lines"]}


@router.put(
    "/policy-versions/{version_id}/yaml",
    summary="保存 YAML / save the YAML",
    response_model=VersionOut,
    responses=WRITE,
)
def save_yaml(version_id: int, body: YamlIn, session: SessionDep, user: CurrentUser) -> dict:
    return service.summary(
        service.edit(
            session=session, version_id=version_id, actor=user, yaml_text=body.yaml_text, programme=body.programme
        )
    )


@router.post(
    "/policy-versions/{version_id}/propose",
    summary="提交复核 / propose for review",
    response_model=VersionOut,
    responses=WRITE,
)
def propose(version_id: int, session: SessionDep, user: CurrentUser, ps: PoliciesDep) -> dict:
    return service.summary(service.propose(session=session, version_id=version_id, actor=user, policies=ps))


@router.post(
    "/policy-versions/{version_id}/return",
    summary="退回草稿 / return to draft",
    response_model=VersionOut,
    responses=WRITE,
)
def return_version(version_id: int, body: NoteIn, session: SessionDep, user: CurrentUser) -> dict:
    return service.summary(
        service.return_to_draft(session=session, version_id=version_id, actor=user, note=body.note or "")
    )


@router.post(
    "/policy-versions/{version_id}/publish",
    summary="复核发布（四眼）/ publish (four eyes)",
    response_model=VersionOut,
    responses=WRITE,
)
def publish(
    version_id: int, body: NoteIn, request: Request, session: SessionDep, user: CurrentUser, ps: PoliciesDep
) -> dict:
    v = service.publish(session=session, version_id=version_id, actor=user, policies=ps, note=body.note)
    state = request.app.state.huiqi  # the app's policies: the files plus every published version
    base = state.extra.get("file_policies") or state.policies
    state.extra.setdefault("file_policies", base)
    state.policies = flows.with_published(session, base)
    return service.summary(v)
