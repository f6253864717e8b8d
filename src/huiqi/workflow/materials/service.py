"""Materials (申报材料): the programme's checklist, uploads stored by SHA-256, what is missing.

Files live in the settings' ``storage_dir`` (``$HUIQI_STORAGE_DIR``, default ``<data dir>/files``:
the web app and the CLI use the same one), outside any web root, at
``<aa>/<bb>/<sha256>``: the same content is stored once. Types are checked by content
(magic bytes) and extension, sizes against ``MAX_BYTES``.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from huiqi import audit
from huiqi.rules import PolicySet
from huiqi.rules.model import MATERIAL_FORMS
from huiqi.workflow import access, states
from huiqi.workflow.applications.models import Application
from huiqi.workflow.errors import IllegalTransition, InvalidInput, NotFound
from huiqi.workflow.materials.models import MaterialFile
from huiqi.workflow.policy import default_policies, programme
from huiqi.workflow.users.models import User

MAX_FILES_PER_ITEM = 10  # uploads kept per checklist item (Settings.max_files_per_item on the web)
MAX_BYTES = 10 * 1024 * 1024  # the upload limit (10 MiB): the web app's default (Settings.max_upload_bytes) is the same
FORM_LABELS = {"copy": ("复印件", "copy"), "original": ("原件", "original"), "original_for_check": ("原件核验，提交复印件", "copy, original shown for checking"), "electronic": ("电子文件", "electronic")}
# extension → (content type, magic-byte prefixes)
TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".ofd": ("application/ofd", (b"PK\x03\x04",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
}


def storage_dir() -> Path:
    """Where uploaded files are kept: :attr:`huiqi.config.Settings.storage_dir`."""
    from huiqi.config import get_settings

    return Path(get_settings().storage_dir)  # type: ignore[arg-type]


def path_for(sha256: str, *, root: Path | None = None) -> Path:
    """The stored file of a digest."""
    root = root or storage_dir()
    return root / sha256[:2] / sha256[2:4] / sha256


def checklist(*, session: Session, application_id: int, actor: User, policies: PolicySet | None = None) -> list[dict]:
    """The programme's materials (frozen with the evaluation once submitted), for an application
    the actor may see."""
    return checklist_for(app=access.get(session, actor, Application, application_id, field="application"), policies=policies)


def checklist_for(*, app: Application, policies: PolicySet | None = None) -> list[dict]:
    """The checklist of an application the caller holds (already in the actor's scope)."""
    if app.evaluation:
        return list(app.evaluation["result"].get("materials") or [])
    prog, _ = programme(policies or default_policies(), app.programme_id)
    return [{"id": m.id, "name": m.name, "form": m.form, "stamped": m.stamped, "required": m.required, "when": m.when} for m in prog.materials]


def upload(*, session: Session, application_id: int, material_id: str, filename: str, content: bytes, actor: User, stamped: bool = False, form: str | None = None, policies: PolicySet | None = None, root: Path | None = None, max_files: int | None = None) -> MaterialFile:
    """Attach a file to one checklist item; checked for type and size, stored by its SHA-256; at
    most ``max_files`` (default :data:`MAX_FILES_PER_ITEM`) per item. The application row is
    locked (FOR UPDATE) so that uploads at once cannot pass the count together."""
    app = access.get(session, actor, Application, application_id, field="application", lock=True)
    access.authorize(actor, "application.upload")
    if app.state != "draft":
        st = states.APPLICATION.state(app.state)
        raise IllegalTransition(f"申报已{st.zh}，不能再上传材料", f"the application is {st.en}: materials can no longer be changed", field="state")
    items = {m["id"]: m for m in checklist_for(app=app, policies=policies)}
    item = items.get(material_id)
    if item is None:
        raise InvalidInput(f"该项目的材料清单中没有 {material_id}（有：{'、'.join(items)}）", f"no item {material_id!r} in this programme's checklist ({', '.join(items)})", field="material")
    limit = MAX_FILES_PER_ITEM if max_files is None else max_files
    count = session.execute(
        select(func.count()).select_from(MaterialFile)
        .where(MaterialFile.application_id == app.id, MaterialFile.material_id == material_id)
    ).scalar_one()
    if count >= limit:
        raise InvalidInput(
            f"材料“{item['name']}”已上传 {count} 个文件，每项最多 {limit} 个；请把内容合并成一个文件（如一个 PDF）上传",
            f"item {item['name']!r} has {count} files already; at most {limit} per item — combine them into one file (one PDF, say)",
            field="file", details={"material": material_id, "files": count, "limit": limit},
        )
    form = form or item["form"]
    if form not in MATERIAL_FORMS:
        raise InvalidInput(f"材料形式应为 {'/'.join(MATERIAL_FORMS)}", f"form must be one of {', '.join(MATERIAL_FORMS)}", field="form")
    ext = Path(filename or "").suffix.lower()
    if ext not in TYPES:
        raise InvalidInput(f"不接受的文件类型 {ext or '（无扩展名）'}；可用：{'、'.join(TYPES)}", f"file type {ext or '(none)'} not accepted; use {', '.join(TYPES)}", field="file")
    ctype, magics = TYPES[ext]
    if not content:
        raise InvalidInput("文件为空", "the file is empty", field="file")
    if len(content) > MAX_BYTES:
        raise InvalidInput(f"文件过大：{len(content)} 字节，上限 {MAX_BYTES} 字节（{MAX_BYTES // 2**20} MB）", f"file too large: {len(content)} bytes, the limit is {MAX_BYTES} ({MAX_BYTES // 2**20} MB)", field="file")
    if not any(content.startswith(m) for m in magics):
        raise InvalidInput(f"文件内容与扩展名 {ext} 不符", f"the file's content is not a {ext} file", field="file")
    digest = hashlib.sha256(content).hexdigest()
    _store(digest, content, root=root)
    mf = MaterialFile(application_id=app.id, material_id=material_id, name=item["name"], required_form=item["form"], form=form, stamped=bool(stamped), filename=Path(filename).name, content_type=ctype, size=len(content), sha256=digest, uploaded_by=actor.id)
    session.add(mf)
    session.flush()
    audit.record(session, actor=actor.username, action="material.upload", entity="application", entity_id=app.id, district=app.district, data={"material": material_id, "sha256": digest, "size": len(content), "form": form, "stamped": bool(stamped), "filename": mf.filename})
    return mf


def _store(digest: str, content: bytes, *, root: Path | None) -> Path:
    target = path_for(digest, root=root)
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".up-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def read(*, sha256: str, root: Path | None = None) -> bytes:
    """The stored content of a digest, verified against it."""
    data = path_for(sha256, root=root).read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise InvalidInput("存储的文件已损坏", "the stored file is corrupted", field="file")
    return data


def files(*, session: Session, application_id: int, actor: User) -> list[MaterialFile]:
    """The uploads of an application the actor may see, oldest first."""
    return files_for(session=session, app=access.get(session, actor, Application, application_id, field="application"))


def files_for(*, session: Session, app: Application) -> list[MaterialFile]:
    """The uploads of an application the caller holds, oldest first."""
    return list(session.execute(select(MaterialFile).where(MaterialFile.application_id == app.id).order_by(MaterialFile.id)).scalars())


def file(*, session: Session, application_id: int, file_id: int, actor: User, root: Path | None = None) -> tuple[MaterialFile, bytes]:
    """One upload and its content, to a user who may see the application (NotFound otherwise:
    an enterprise user never downloads another enterprise's files)."""
    app = access.get(session, actor, Application, application_id, field="application")
    key = access.as_id(file_id)
    f = session.get(MaterialFile, key) if key is not None else None
    if f is None or f.application_id != app.id:
        raise NotFound("文件不存在", "no such file", field="file_id")
    try:
        return f, read(sha256=f.sha256, root=root)
    except FileNotFoundError:
        raise NotFound("文件内容不在存储中", "the file's content is not in storage", field="file_id") from None


def _fits(item: dict, f: MaterialFile) -> tuple[str, str] | None:
    if item["stamped"] and not f.stamped:
        return ("须加盖申报单位公章", "must bear the applicant's stamp")
    if item["form"] in ("original", "original_for_check") and f.form not in ("original", "original_for_check"):
        zh, en = FORM_LABELS[item["form"]]
        return (f"须提供{zh}", f"needs the {en}")
    return None


def missing(*, session: Session, application_id: int, actor: User, policies: PolicySet | None = None) -> list[dict]:
    """Required checklist items without a fitting upload, for an application the actor may see."""
    return missing_for(session=session, app=access.get(session, actor, Application, application_id, field="application"), policies=policies)


def missing_for(*, session: Session, app: Application, policies: PolicySet | None = None) -> list[dict]:
    """Required checklist items without a fitting upload (conditional items, ``when``, do not block)."""
    out = []
    uploads = files_for(session=session, app=app)
    for item in checklist_for(app=app, policies=policies):
        if not item["required"] or item.get("when"):
            continue
        mine = [f for f in uploads if f.material_id == item["id"]]
        if not mine:
            out.append({**item, "problem_zh": "未上传", "problem_en": "not uploaded"})
            continue
        problems = [_fits(item, f) for f in mine]
        if all(problems):
            zh, en = problems[-1]
            out.append({**item, "problem_zh": zh, "problem_en": en})
    return out
