"""The comparison table for agents and integrators: measure × region × document × sub-case.

>>> from qa_service.figures.table import FigureTable
>>> comparison(FigureTable([]), measure="企业开办")
[]
"""
from __future__ import annotations

from ..models import FigureRow
from .table import ANSWERING_KINDS, FigureTable


def comparison(table: FigureTable, measure: str | None = None, region: str | None = None,
               conflicts_only: bool = False) -> list[FigureRow]:
    """Commitments (and counts) sorted by measure, sub-case, region and date; with
    ``conflicts_only`` just the groups in which documents disagree."""
    rows = table.query(measure=measure or None, region=region or None, kinds=ANSWERING_KINDS)
    if conflicts_only:
        keep = {r.id for g in table.conflicts() for r in g.rows}
        rows = [r for r in rows if r.id in keep]
    return sorted(rows, key=lambda r: (r.measure_key is None, r.measure_norm or r.measure, r.subcase, r.unit_class,
                                       r.region or "", r.date or ""))
