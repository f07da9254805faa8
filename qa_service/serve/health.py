"""Liveness and readiness, for load balancers and Docker's HEALTHCHECK (no key, no rate limit)."""
from __future__ import annotations

from fastapi import APIRouter

from .deps import ServiceDep
from .schemas import ErrorBody

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict:
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"model": ErrorBody}})
def readyz(qa: ServiceDep) -> dict:
    m = qa.index.manifest
    return {"status": "ready", "build_id": m["build_id"], "documents": m["document_count"], "items": m["item_count"],
            "model": m["model"], "stale": qa.index.stale_reason is not None}
