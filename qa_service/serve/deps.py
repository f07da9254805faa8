"""The service and the settings as FastAPI dependencies, for every router of the app
(``ask``, ``search``, ``documents``, ``openai``, ``health`` and any added later)::

    @router.post("/api/v1/x")
    def x(qa: ServiceDep, settings: SettingsDep): ...

While the index loads (or after it failed to load) ``get_service`` raises
:class:`NotReady`, which the app answers with a 503 ``starting`` or ``index_unavailable``.
"""
from __future__ import annotations

import logging
import threading
from typing import Annotated

from fastapi import Depends, Request

from ..config import Settings
from ..index.store import IndexUnavailable
from ..service import QAService

log = logging.getLogger("qa_service.api")


class NotReady(Exception):
    """The service is not there (yet): answered 503 starting / index_unavailable."""


def public_reason(e: Exception) -> tuple[str, str]:
    """What clients may see of a failed start: the cause and the command that fixes it, not
    file paths, errno texts or FAISS's C++ messages (the log has those)."""
    if isinstance(e, IndexUnavailable):
        zh, en = {"index_missing": ("索引尚未建立", "there is no index"),
                  "index_corrupt": ("索引文件损坏或被修改", "the index files are corrupt or were modified"),
                  "index_busy": ("另一个索引构建正在进行", "another index build is running"),
                  "disk_full": ("磁盘空间不足，索引无法写入", "the disk is full")}.get(
                      e.code, ("索引无法加载", "the index cannot be loaded"))
        return (f"{zh}，请管理员运行 qa-service index build（详情见服务日志）",
                f"{en}; the operator should run `qa-service index build` (details in the server log)")
    return "服务启动失败（详情见服务日志）", "the service failed to start (details in the server log)"


class ServiceHolder:
    """The one QAService of an app, loaded once; or why it is not there."""

    def __init__(self, settings: Settings, service: QAService | None = None):
        self.settings = settings
        self.service = service
        self.error: str | None = None  # for the log only
        self.public_error: tuple[str, str] | None = None  # (中文, English) for clients
        self.loaded = threading.Event()

    def load(self) -> None:
        """Load (or build) the index; a failure is kept for /readyz and every call, and the
        process stays up so that it can say so."""
        try:
            if self.service is None:
                self.service = QAService.from_settings(self.settings, progress=True)
        except Exception as e:
            self.error = str(e)
            self.public_error = public_reason(e)
            log.error("service not ready: %s", e)
        finally:
            self.loaded.set()


def holder_of(request: Request) -> ServiceHolder:
    return request.app.state.holder


# async, though they never wait: FastAPI runs a plain ``def`` dependency in its thread pool, a
# hand-off to another thread and back (~40 µs of CPU) on every request for an attribute read
async def get_service(request: Request) -> QAService:
    service = holder_of(request).service
    if service is None:
        raise NotReady()
    return service


async def get_settings(request: Request) -> Settings:
    return holder_of(request).settings


ServiceDep = Annotated[QAService, Depends(get_service)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def require_admin(request: Request, settings: SettingsDep) -> str:
    """The knowledge administrator's key (QA_ADMIN_KEYS, apart from the clients' keys), sent as
    ``Authorization: Bearer <key>``, ``X-Admin-Key`` or ``X-API-Key``; returns its fingerprint for
    the change history, or raises 403 (admin off) / 401 (missing or wrong key)."""
    import hashlib
    import hmac

    from ..errors import QAError

    keys = settings.admin_key_set()
    if not keys:
        raise QAError("admin_disabled", "管理接口未开启（请设置 QA_ADMIN_KEYS）", "the admin API is off: set QA_ADMIN_KEYS", status=403)
    auth = request.headers.get("authorization", "")
    given = auth[7:].strip() if auth.lower().startswith("bearer ") else (
        request.headers.get("x-admin-key") or request.headers.get("x-api-key") or "")
    # compare_digest against every key: the time taken says nothing about how much of a key was right
    if not given or not any(hmac.compare_digest(given.encode(), k.encode()) for k in keys):
        raise QAError("unauthorized", "缺少或无效的管理密钥", "missing or invalid admin key", status=401)
    return "api:" + hashlib.sha256(given.encode()).hexdigest()[:8]


AdminDep = Annotated[str, Depends(require_admin)]
