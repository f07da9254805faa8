"""The log's tables (SQLAlchemy Core: the same statements on SQLite and PostgreSQL).

What is stored is listed here and nowhere else; no IP address, API key, user agent or
conversation history is a column, so none can be stored by accident.
"""
from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Float, Index, Integer, MetaData, String, Table, Text, UniqueConstraint

metadata = MetaData()

# one row per answered question
questions = Table(
    "qa_questions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # the answer's id: X-Request-ID (API) or one the page makes; not unique, since clients may
    # send their own X-Request-ID and a repeated one must not lose a batch of rows
    Column("request_id", String(64), nullable=False, index=True),
    Column("asked_at", DateTime(timezone=True), nullable=False, index=True),
    Column("channel", String(16), nullable=False),  # api | stream | page | openai
    Column("question", Text, nullable=False),  # as asked, phone / ID numbers masked (privacy.redact)
    Column("question_norm", String(500), nullable=False),  # the grouping key of the admin view
    Column("rewritten", Text),  # the follow-up as resolved against earlier questions
    Column("found", Boolean, nullable=False),
    Column("answer", Text, nullable=False),  # policy text quoted by the service, for reviewing a 👎
    Column("citation_item", String(200)),  # the first citation's item id …
    Column("citation", Text),  # … and its citation string
    Column("latency_ms", Float),
    Column("mode", String(16)),  # extractive | llm
    Index("ix_qa_questions_found_asked", "found", "asked_at"),
)

# one vote per answer: a second vote on the same answer replaces the first
feedback = Table(
    "qa_feedback", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("request_id", String(64), nullable=False),
    Column("rating", String(4), nullable=False),  # up | down
    Column("comment", Text),  # masked like questions
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("request_id", name="uq_qa_feedback_request"),
)

schema_version = Table(
    "qa_schema_version", metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)
