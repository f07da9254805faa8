"""What a router needs from the app, as FastAPI dependencies (read from ``app.state``,
which :func:`~qa_service.serve.api.create_app` fills)."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..config import Settings
from ..service import QAService


def get_service(request: Request) -> QAService:
    """The loaded service; NotReady (a 503 in the API's format) while the index loads."""
    qa = request.app.state.qa_state.get("qa")
    if qa is None:
        from .api import NotReady  # api imports the routers: a module-level import would be circular

        raise NotReady()
    return qa


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


ServiceDep = Annotated[QAService, Depends(get_service)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
