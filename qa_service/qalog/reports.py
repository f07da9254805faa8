"""The admin view: what people ask that the documents do not answer, and the answers
they voted down. Plain SQL aggregates, so that the same query runs on SQLite and
PostgreSQL and the database does the counting however long the log grows.
"""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

from sqlalchemy import Engine, and_, func, select

from . import schema

UNANSWERED_COLUMNS = ["question", "count", "last_asked", "example"]
DOWNVOTED_COLUMNS = ["voted_at", "request_id", "channel", "question", "answer", "citation", "comment"]


def _since(days: int, now: datetime | None) -> datetime:
    return (now or datetime.now(timezone.utc)) - timedelta(days=days)


def _iso(t: datetime | None) -> str | None:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    if t is None:
        return None
    return (t if t.tzinfo else t.replace(tzinfo=timezone.utc)).isoformat(timespec="seconds")


def top_unanswered(engine: Engine, days: int = 30, limit: int = 50, now: datetime | None = None) -> list[dict]:
    """Not-found questions of the last ``days``, grouped by their normalized text, most frequent first."""
    q = schema.questions
    n = func.count().label("n")
    last = func.max(q.c.asked_at).label("last")
    stmt = (select(q.c.question_norm, n, last, func.min(q.c.question).label("example"))
            .where(and_(q.c.found.is_(False), q.c.asked_at >= _since(days, now)))
            .group_by(q.c.question_norm).order_by(n.desc(), last.desc(), q.c.question_norm).limit(limit))
    with engine.connect() as conn:
        return [{"question": r.question_norm, "count": r.n, "last_asked": _iso(r.last), "example": r.example}
                for r in conn.execute(stmt)]


def downvoted(engine: Engine, days: int = 30, limit: int = 100, now: datetime | None = None) -> list[dict]:
    """Answers voted 👎 in the last ``days``, newest vote first, with the question and comment."""
    q, f = schema.questions, schema.feedback
    stmt = (select(f.c.updated_at, f.c.request_id, f.c.comment, q.c.channel, q.c.question, q.c.answer, q.c.citation)
            .join(q, q.c.request_id == f.c.request_id)
            .where(and_(f.c.rating == "down", f.c.updated_at >= _since(days, now)))
            .order_by(f.c.updated_at.desc(), f.c.id.desc()).limit(limit))
    with engine.connect() as conn:
        return [{"voted_at": _iso(r.updated_at), "request_id": r.request_id, "channel": r.channel, "question": r.question,
                 "answer": r.answer, "citation": r.citation, "comment": r.comment} for r in conn.execute(stmt)]


def to_csv(rows: list[dict], columns: list[str]) -> str:
    """CSV with a byte-order mark: Excel, which most administrators open it with, reads
    UTF-8 Chinese as mojibake without one."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\r\n")
    w.writeheader()
    w.writerows({k: _cell(v) for k, v in r.items()} for r in rows)
    return "\ufeff" + buf.getvalue()


def _cell(v):
    """Questions are anyone's text: one starting with = + - @ would run as a formula in
    Excel (CSV injection), so such a cell is prefixed with an apostrophe."""
    if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + v
    return v
