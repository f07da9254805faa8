"""The schema, created and upgraded by the service itself at start.

``qa_schema_version`` holds one row per applied step; :data:`STEPS` are applied in order,
each once, under a lock so that two workers starting together do not both run a step.
A change to the tables is a new step at the end (an ALTER or a new table), never an edit
of an old one: databases created by every earlier release must end up alike. When step 2
arrives, step 1 keeps its own copy of the version-1 tables instead of ``schema``'s.
"""
from __future__ import annotations

import fcntl
import logging
import zlib
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from sqlalchemy import Connection, Engine, insert, select, text

from . import schema

log = logging.getLogger(__name__)


def _v1(conn: Connection) -> None:
    schema.metadata.create_all(conn, tables=[schema.questions, schema.feedback])


STEPS: list[tuple[int, str, Callable[[Connection], None]]] = [
    (1, "questions and feedback", _v1),
]
LATEST = STEPS[-1][0]
_PG_LOCK = zlib.crc32(b"qa-service schema") & 0x7FFFFFFF  # one advisory-lock id for this application


class SchemaTooNew(RuntimeError):
    """The database was upgraded by a newer release: this one would misread it."""


@contextmanager
def _exclusive(engine: Engine):
    """One migrating process at a time. PostgreSQL: an advisory lock (several hosts);
    SQLite: a lock file beside the database (one host, several workers)."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_LOCK})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_LOCK})
                conn.commit()
        return
    db = engine.url.database
    if engine.dialect.name != "sqlite" or not db or db == ":memory:":
        yield
        return
    with open(Path(db).with_name(Path(db).name + ".lock"), "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def migrate(engine: Engine) -> int:
    """Bring the database to :data:`LATEST`; returns the version it is at."""
    with _exclusive(engine), engine.begin() as conn:
        schema.schema_version.create(conn, checkfirst=True)
        done = set(conn.scalars(select(schema.schema_version.c.version)))
        if done and max(done) > LATEST:
            raise SchemaTooNew(f"the question log is at schema version {max(done)}, this release knows up to {LATEST}")
        for version, what, step in STEPS:
            if version in done:
                continue
            step(conn)
            conn.execute(insert(schema.schema_version).values(version=version, applied_at=datetime.now(timezone.utc)))
            log.info("question log: schema step %d applied (%s)", version, what)
            done.add(version)
    return max(done)
