"""What both composers choose: a clause, the sentence quoted from it, and why."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..models import FigureRow, Hit


@dataclass
class Pick:
    """A clause chosen for the answer, the sentence quoted from it and why."""

    hit: Hit
    sentence: str
    reason: str
    score: float = 0.0
    rows: list[FigureRow] = field(default_factory=list)
