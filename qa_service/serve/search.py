"""``/api/v1/search``: clauses for 12345 hotline agents, with highlights and a ready reply."""
from __future__ import annotations

import time

from fastapi import APIRouter, Query, Request

from ..models import Level, SearchFilters
from .deps import ServiceDep
from .errors import ERRORS
from .present import search_hit
from .schemas import SearchResponse

router = APIRouter(tags=["search"])


@router.get("/api/v1/search", response_model=SearchResponse, responses=ERRORS)
def search(
    request: Request,
    qa: ServiceDep,
    q: str = Query(..., description="a few words or a question", examples=["简易注销", "企业开办要几天"]),
    region: str | None = Query(None, max_length=20, examples=["西安", "西咸新区"]),
    doc: str | None = Query(None, max_length=100, examples=["陕政办发〔2023〕11号"]),
    level: Level | None = None,
    year_from: int | None = Query(None, ge=1990, le=2100),
    year_to: int | None = Query(None, ge=1990, le=2100),
    include_other_provinces: bool = True,
    top_k: int = Query(10, ge=1, le=50),
) -> SearchResponse:
    """Matching clauses with highlighted words and a ready reply (复制答复口径) for each."""
    t0 = time.perf_counter()
    f = SearchFilters(region=region, doc=doc, level=level, year_from=year_from, year_to=year_to,
                      include_other_provinces=include_other_provinces)
    res = qa.search(q, f, top_k)
    return SearchResponse(query=q, found=res.found, confidence=res.confidence, hits=[search_hit(h) for h in res.hits],
                          latency_ms=round((time.perf_counter() - t0) * 1000, 2), request_id=request.state.request_id)
