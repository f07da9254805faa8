"""What the routers ask FastAPI for: the service and the settings, from ``app.state``.

Minimal here; the serve-layer restructure (routers) provides the same four names.
"""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..config import Settings
from ..errors import QAError
from ..service import QAService


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_service(request: Request) -> QAService:
    qa = request.app.state.qa_state.get("qa")
    if qa is None:
        raise QAError("starting", "服务正在启动（首次启动需建立索引），请稍后再试", "the service is starting (building the index)", status=503)
    return qa


SettingsDep = Annotated[Settings, Depends(get_settings)]
ServiceDep = Annotated[QAService, Depends(get_service)]
