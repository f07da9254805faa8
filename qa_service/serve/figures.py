"""The 指标对照 table over HTTP: every commitment of the corpus by measure, sub-case, region
and document, each with its citation — what a hotline agent shows a caller who says
「别的文件写的不一样」, and what an integrator compares regions with.

    GET /api/v1/figures?measure=企业开办&region=西安&conflicts_only=false
"""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from ..figures.compare import comparison
from ..figures.table import validity_note
from ..lexicon import measures
from ..models import FigureRow
from ..retrieve.query import analyze
from .deps import ServiceDep
from .errors import ERRORS

router = APIRouter(tags=["figures"])


class FigureView(FigureRow):
    validity: str | None = Field(None, description="2020—2022年方案，已到期 when the document is no longer in force")


class FiguresResponse(BaseModel):
    measures: list[str] = Field(description="every measure key the lexicon knows (for a picker)")
    rows: list[FigureView]
    conflicts: int = Field(description="how many (measure, sub-case, unit) groups among the rows have documents that disagree")


def region_prefix(region: str | None) -> str | None:
    """西安 / 西咸 / 宝鸡 -> the region name documents carry; anything else is used as typed."""
    if not region:
        return None
    found = analyze(region).regions
    return found[0] if found else region.strip()


@router.get("/api/v1/figures", response_model=FiguresResponse, responses=ERRORS)
def figures(
    qa: ServiceDep,
    measure: Annotated[str | None, Query(max_length=40, description="measure key (企业开办) or words of a measure")] = None,
    region: Annotated[str | None, Query(max_length=20, description="西安 / 西咸新区 / 陕西省 …")] = None,
    conflicts_only: Annotated[bool, Query(description="only groups in which documents disagree")] = False,
) -> FiguresResponse:
    table = qa.index.figures
    rows = comparison(table, measure=measure, region=region_prefix(region), conflicts_only=conflicts_only)
    groups = {(g.measure_key, g.subcase, g.unit_class) for g in table.conflicts()}
    shown = {(r.measure_key, r.subcase, r.unit_class) for r in rows}
    return FiguresResponse(
        measures=[m.key for m in measures().measures],
        rows=[FigureView(**r.model_dump(), validity=validity_note(r)) for r in rows],
        conflicts=len(groups & shown),
    )
