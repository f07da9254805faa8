"""The knowledge administrator's API: add, replace and retire documents.

    GET    /api/v1/admin/documents            every document with its status (retired ones too)
    POST   /api/v1/admin/documents            multipart: file (+ id, title, region, level, doc_number, issuer, date)
    PUT    /api/v1/admin/documents/{id}       multipart: file (+ corrections): a new version, same id
    DELETE /api/v1/admin/documents/{id}?reason=…   retire: no longer answered, still listed
    GET    /api/v1/admin/history              every change: when, what, by which key

A separate key (``QA_ADMIN_KEYS``; ``Authorization: Bearer <key>`` or ``X-Admin-Key``);
without one configured the admin API answers 403. The operations are those of
``qa-service docs`` (qa_service/docs.py): checked before anything is written, undone on
failure; the running service picks the new index up by itself within seconds.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from fastapi import APIRouter, File, Form, Query, UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import docs
from ..errors import QAError
from .deps import AdminDep, ServiceDep, SettingsDep
from .errors import ADMIN_PREFIX
from .schemas import ErrorBody

CHUNK = 1 << 20
_ERR = {"model": ErrorBody}
# every status an admin operation can answer besides success, as the rest of the API documents them
ADMIN_ERRORS: dict = {code: _ERR for code in (400, 401, 403, 404, 405, 409, 413, 415, 503)} | {
    429: _ERR | {"headers": {"Retry-After": {"required": True, "description": "seconds to wait", "schema": {"type": "integer"}}}}}


router = APIRouter(prefix=ADMIN_PREFIX, tags=["admin"], responses=ADMIN_ERRORS)


def _spool(upload: UploadFile, limit_mb: int, tmp: Path) -> Path:
    """The upload on disk, refused as soon as it passes the size limit."""
    name = Path(upload.filename or "upload").name
    path = tmp / name
    size = 0
    with open(path, "wb") as f:
        while chunk := upload.file.read(CHUNK):
            size += len(chunk)
            if size > limit_mb * 1024 * 1024:
                raise QAError("file_too_large", f"文件太大，上限为 {limit_mb} MB", f"the file exceeds {limit_mb} MB (QA_MAX_UPLOAD_MB)", status=413, field="file")
            f.write(chunk)
    return path


def _corrections(**given: str | None) -> dict[str, str]:
    return {k: v for k, v in given.items() if v}


@router.get("/documents")
def list_documents(settings: SettingsDep, _: AdminDep) -> list[dict]:
    return docs.list_documents(settings)


@router.get("/history")
def history(settings: SettingsDep, _: AdminDep) -> list[dict]:
    return docs.history(settings)


@router.post("/documents", status_code=201)
def add_document(settings: SettingsDep, service: ServiceDep, by: AdminDep, file: UploadFile = File(...),
                 id: str | None = Form(None), title: str | None = Form(None), region: str | None = Form(None),
                 level: str | None = Form(None), doc_number: str | None = Form(None), issuer: str | None = Form(None),
                 date: str | None = Form(None)) -> dict:
    with tempfile.TemporaryDirectory(prefix="qa-upload-") as tmp:
        path = _spool(file, settings.max_upload_mb, Path(tmp))
        out = docs.add(settings, path, name=path.name, doc_id=id, by=by,
                       overrides=_corrections(title=title, region=region, level=level, doc_number=doc_number, issuer=issuer, date=date))
    service.check_index(force=True)
    return out.to_dict()


@router.put("/documents/{doc_id}")
def replace_document(doc_id: str, settings: SettingsDep, service: ServiceDep, by: AdminDep, file: UploadFile = File(...),
                     title: str | None = Form(None), region: str | None = Form(None), level: str | None = Form(None),
                     doc_number: str | None = Form(None), issuer: str | None = Form(None), date: str | None = Form(None)) -> dict:
    with tempfile.TemporaryDirectory(prefix="qa-upload-") as tmp:
        path = _spool(file, settings.max_upload_mb, Path(tmp))
        out = docs.replace(settings, doc_id, path, name=path.name, by=by,
                           overrides=_corrections(title=title, region=region, level=level, doc_number=doc_number, issuer=issuer, date=date))
    service.check_index(force=True)
    return out.to_dict()


@router.delete("/documents/{doc_id}")
def retire_document(doc_id: str, settings: SettingsDep, service: ServiceDep, by: AdminDep,
                    reason: str | None = Query(None, max_length=200)) -> dict:
    out = docs.retire(settings, doc_id, reason, by=by)
    service.check_index(force=True)
    return out.to_dict()


def _refuse_other_methods(path: str, allowed: list[str]) -> None:
    """405 with every method the path has in ``Allow``: Starlette names only the first
    route's methods when two routes share a path (GET and POST /documents)."""
    implied = allowed + (["HEAD"] if "GET" in allowed else [])
    others = [m for m in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE") if m not in implied]

    async def refuse() -> None:
        raise StarletteHTTPException(405, headers={"Allow": ", ".join(allowed)})

    router.add_api_route(path, refuse, methods=others, include_in_schema=False)


_refuse_other_methods("/documents", ["GET", "POST"])
_refuse_other_methods("/documents/{doc_id}", ["PUT", "DELETE"])
