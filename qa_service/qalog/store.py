"""The question log: what the serving layer calls.

>>> from qa_service.models import Answer
>>> qlog = QuestionLog.connect("sqlite://", retention_days=30)
>>> qlog.record("r1", "企业开办要几天", Answer(question="企业开办要几天", answer="…", found=False), "api")
>>> qlog.add_feedback("r1", "down", "没回答")
True
>>> qlog.add_feedback("nope", "up")
False
>>> qlog.close()
"""
from __future__ import annotations

import logging
import unicodedata
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import Engine, StaticPool, create_engine, delete, event, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..models import Answer
from . import schema
from .migrate import migrate
from .privacy import normalize, redact
from .writer import BatchWriter

log = logging.getLogger(__name__)
MAX_ANSWER_CHARS = 4000
MAX_COMMENT_CHARS = 500
PURGE_EVERY_S = 3600.0


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def make_engine(url: str) -> Engine:
    """An engine for the log. SQLite: the folder created, WAL so that the admin view reads
    while the writer writes, and a busy timeout for several worker processes on one file."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, pool_size=4, max_overflow=4)
    if url in ("sqlite://", "sqlite:///:memory:"):  # tests and doctests: one shared in-memory database
        return create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
    engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
    Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record):
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a power cut may lose the last batch, never corrupt
        cur.close()

    return engine


def clean_comment(comment: str | None) -> str | None:
    r"""The comment as stored: control characters dropped (PostgreSQL refuses NUL in text),
    personal numbers masked, cut to MAX_COMMENT_CHARS; None when nothing is left.

    >>> clean_comment("  不对\x00，电话13912345678 ")
    '不对，电话[手机号]'
    """
    if not comment:
        return None
    kept = "".join(ch for ch in comment if ch in "\n\t" or unicodedata.category(ch) != "Cc").strip()
    return redact(kept)[:MAX_COMMENT_CHARS] or None


class QuestionLog:
    def __init__(self, engine: Engine, retention_days: int, *, batch: int = 500, capacity: int = 10_000):
        self.engine = engine
        self.retention_days = retention_days
        self.version = migrate(engine)
        self._writer = BatchWriter(engine, schema.questions, batch=batch, capacity=capacity, tick=self.purge,
                                   tick_seconds=PURGE_EVERY_S)

    @classmethod
    def connect(cls, url: str, retention_days: int = 180, **kw) -> "QuestionLog":
        return cls(make_engine(url), retention_days, **kw)

    @classmethod
    def from_settings(cls, settings) -> "QuestionLog | None":
        """The log the settings ask for; None when QA_LOG_QUESTIONS is off."""
        if not settings.log_questions:
            return None
        return cls.connect(settings.database(), settings.log_retention_days)

    # -- writing ---------------------------------------------------------------------
    def record(self, request_id: str, question: str, answer: Answer, channel: str) -> None:
        """Queue one answered question; returns at once (the writer thread inserts it)."""
        first = (answer.citations or [None])[0] if answer.found else None
        asked = redact(question)
        self._writer.put({
            "request_id": request_id[:64], "asked_at": utcnow(), "channel": channel, "question": asked,
            "question_norm": normalize(asked), "rewritten": redact(answer.rewritten_query) if answer.rewritten_query else None,
            "found": answer.found, "answer": answer.answer[:MAX_ANSWER_CHARS],
            "citation_item": first.item_id[:200] if first else None, "citation": first.citation if first else None,
            "latency_ms": answer.latency_ms, "mode": answer.mode,
        })

    def channel_of(self, request_id: str) -> str | None:
        """The channel of the question answered as ``request_id`` (the newest, if a client reused an id)."""
        q = schema.questions
        stmt = select(q.c.channel).where(q.c.request_id == request_id).order_by(q.c.id.desc()).limit(1)
        with self.engine.connect() as conn:
            found = conn.scalar(stmt)
        if found is None and self._writer.flush():  # answered a moment ago: its row may still be queued
            with self.engine.connect() as conn:
                found = conn.scalar(stmt)
        return found

    def add_feedback(self, request_id: str, rating: str, comment: str | None = None) -> bool:
        """Store a vote on an answer (a later vote replaces an earlier one); False if no
        question was answered with that id."""
        if self.channel_of(request_id) is None:
            return False
        now = utcnow()
        values = {"rating": rating, "comment": clean_comment(comment), "updated_at": now}
        f = schema.feedback
        for _ in range(2):  # update, else insert; if a concurrent vote inserted first, the retry updates it
            try:
                with self.engine.begin() as conn:
                    if not conn.execute(update(f).where(f.c.request_id == request_id).values(**values)).rowcount:
                        conn.execute(insert(f).values(request_id=request_id, created_at=now, **values))
                return True
            except IntegrityError:
                continue
        return True

    def purge(self, now: datetime | None = None) -> tuple[int, int]:
        """Delete questions and feedback older than the retention period: (questions, votes)."""
        cutoff = (now or utcnow()) - timedelta(days=self.retention_days)
        q, f = schema.questions, schema.feedback
        with self.engine.begin() as conn:
            old_ids = select(q.c.request_id).where(q.c.asked_at < cutoff)
            votes = conn.execute(delete(f).where((f.c.request_id.in_(old_ids)) | (f.c.updated_at < cutoff))).rowcount
            rows = conn.execute(delete(q).where(q.c.asked_at < cutoff)).rowcount
        if rows or votes:
            log.info("question log: %d questions and %d votes older than %d days deleted", rows, votes, self.retention_days)
        return rows, votes

    # -- lifecycle ---------------------------------------------------------------------
    def flush(self, timeout: float = 10.0) -> bool:
        return self._writer.flush(timeout)

    def stats(self) -> dict:
        w = self._writer
        return {"written": w.written, "dropped": w.dropped, "failed": w.failed, "queued": w.queued}

    def close(self) -> None:
        """Write what is queued and release the database (at shutdown)."""
        self._writer.close()
        self.engine.dispose()
