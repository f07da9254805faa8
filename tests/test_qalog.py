"""The question log and feedback store on a real database: a SQLite file and a PostgreSQL
server (the same test bodies on both URLs).

PostgreSQL: ``QA_TEST_DATABASE_URL`` names a server (``.ci/postgres.sh`` starts a
throwaway one and prints its URL); without it those tests skip, unless
``QA_REQUIRE_POSTGRES=1`` (CI), where they fail instead.
"""
from __future__ import annotations

import os
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, inspect, select

from qa_service.models import Answer, Citation, Scope
from qa_service.qalog import reports, schema
from qa_service.qalog.migrate import LATEST, STEPS, SchemaTooNew, migrate
from qa_service.qalog.store import QuestionLog, make_engine


def pg_url() -> str:
    url = os.environ.get("QA_TEST_DATABASE_URL", "")
    if not url:
        why = "QA_TEST_DATABASE_URL is not set: no PostgreSQL server for these tests (bash .ci/postgres.sh starts one)"
        if os.environ.get("QA_REQUIRE_POSTGRES") == "1":
            pytest.fail(why)
        pytest.skip(why)
    return url


def drop_all(url: str) -> None:
    engine = make_engine(url)
    schema.metadata.drop_all(engine)
    engine.dispose()


def empty_database(kind: str, folder):
    """A URL to an empty database of ``kind`` (sqlite: a file in ``folder``), emptied again after use."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'data' / 'qa.sqlite3'}"
        return
    url = pg_url()
    drop_all(url)
    yield url
    drop_all(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A URL to an empty database of each kind."""
    yield from empty_database(request.param, tmp_path)


@pytest.fixture
def qlog(db_url):
    log = QuestionLog.connect(db_url, retention_days=30)
    yield log
    log.close()


def answer(q: str, found: bool = True, rewritten: str | None = None) -> Answer:
    cites = [Citation(n=1, item_id="xa-2022:s2.t1.19", doc_id="xa-2022", doc_title="西安市2022年优化营商环境重点任务清单",
                      path="二、（一）第19条", citation="《西安市2022年优化营商环境重点任务清单》二、（一）第19条",
                      scope=Scope.rule, quote="1个工作日", text="企业开办1个工作日内办结")] if found else []
    return Answer(question=q, answer="企业开办1个工作日[1]" if found else "未找到，请拨打12345", found=found,
                  citations=cites, rewritten_query=rewritten, latency_ms=12.5)


def rows(qlog: QuestionLog, table=schema.questions) -> list:
    assert qlog.flush()
    with qlog.engine.connect() as conn:
        return list(conn.execute(select(table).order_by(table.c.id)))


# -- schema ------------------------------------------------------------------------------
def test_the_service_creates_the_schema_and_a_second_start_changes_nothing(db_url):
    engine = make_engine(db_url)
    assert migrate(engine) == LATEST
    names = set(inspect(engine).get_table_names())
    assert {"qa_questions", "qa_feedback", "qa_schema_version"} <= names
    assert migrate(engine) == LATEST
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(schema.schema_version)) == len(STEPS)
    engine.dispose()


def test_workers_starting_together_migrate_once(db_url):
    results, errors = [], []

    def start():
        engine = make_engine(db_url)
        try:
            results.append(migrate(engine))
        except Exception as e:  # noqa: BLE001 - any failure is the finding
            errors.append(e)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and results == [LATEST] * 4
    engine = make_engine(db_url)
    with engine.connect() as conn:
        assert list(conn.scalars(select(schema.schema_version.c.version))) == [LATEST]
    engine.dispose()


def test_a_database_from_a_newer_release_is_refused(db_url):
    engine = make_engine(db_url)
    migrate(engine)
    with engine.begin() as conn:
        conn.execute(schema.schema_version.insert().values(version=LATEST + 1, applied_at=datetime.now(timezone.utc)))
    with pytest.raises(SchemaTooNew):
        migrate(engine)
    engine.dispose()


# -- questions -------------------------------------------------------------------------------
def test_a_question_is_stored_with_its_answer_facts_and_no_personal_numbers(qlog):
    qlog.record("rid-1", "我手机13912345678，企业开办要几天？", answer("企业开办要几天", rewritten="企业开办 西安 要几天"), "api")
    qlog.record("rid-2", "个人所得税税率", answer("个人所得税税率", found=False), "page")
    first, second = rows(qlog)
    assert first.request_id == "rid-1" and first.channel == "api" and first.found is True
    assert "13912345678" not in first.question and "[手机号]" in first.question
    assert first.question_norm == "我手机手机号企业开办要几天"
    assert first.rewritten == "企业开办 西安 要几天"
    assert first.citation_item == "xa-2022:s2.t1.19" and first.citation.startswith("《西安市2022年")
    assert first.latency_ms == 12.5 and first.mode == "extractive" and first.asked_at is not None
    assert second.found is False and second.citation is None and second.channel == "page"
    columns = {c.name for c in schema.questions.columns} | {c.name for c in schema.feedback.columns}
    assert not columns & {"ip", "client_ip", "api_key", "key", "user_agent", "history"}


def test_concurrent_writers_lose_no_row_and_the_log_survives_a_restart(db_url):
    # a small queue, so that the writers outrun the database and must wait for room
    qlog = QuestionLog.connect(db_url, retention_days=30, batch=50, capacity=64)
    n_threads, per_thread = 16, 150

    def client(k: int):
        for i in range(per_thread):
            qlog.record(f"c{k}-{i}", f"问题{k}-{i}", answer("q", found=i % 3 != 0), "api")

    threads = [threading.Thread(target=client, args=(k,)) for k in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    qlog.close()  # shutdown writes what is queued
    assert qlog.stats()["dropped"] == 0 and qlog.stats()["failed"] == 0
    reopened = QuestionLog.connect(db_url, retention_days=30)
    try:
        got = rows(reopened)
        assert len(got) == n_threads * per_thread
        assert len({r.request_id for r in got}) == n_threads * per_thread
    finally:
        reopened.close()


# -- feedback -----------------------------------------------------------------------------------
def test_feedback_is_stored_replaced_by_a_later_vote_and_refused_for_unknown_ids(qlog):
    qlog.record("rid-9", "企业开办要几天", answer("企业开办要几天"), "api")
    # no flush: the vote comes right after the answer, while its row may still be queued
    assert qlog.add_feedback("rid-9", "up")
    assert qlog.add_feedback("rid-9", "down", "  太笼统了，电话 029-86781234  ")
    assert not qlog.add_feedback("never-asked", "up")
    (vote,) = rows(qlog, schema.feedback)
    assert vote.request_id == "rid-9" and vote.rating == "down"
    assert vote.comment == "太笼统了，电话 [电话]"
    assert qlog.add_feedback("rid-9", "up", "   ") and rows(qlog, schema.feedback)[0].comment is None


def test_retention_deletes_old_questions_and_their_votes(qlog):
    qlog.record("old", "企业开办要几天", answer("q", found=False), "api")
    qlog.record("new", "简易注销要多久", answer("q", found=False), "api")
    assert qlog.add_feedback("old", "down") and qlog.add_feedback("new", "down")
    with qlog.engine.begin() as conn:  # the first question was asked 40 days ago
        conn.execute(schema.questions.update().where(schema.questions.c.request_id == "old")
                     .values(asked_at=datetime.now(timezone.utc) - timedelta(days=40)))
    assert qlog.purge() == (1, 1)
    assert [r.request_id for r in rows(qlog)] == ["new"]
    assert [v.request_id for v in rows(qlog, schema.feedback)] == ["new"]
    assert qlog.purge() == (0, 0)


# -- admin view ------------------------------------------------------------------------------------
def test_top_unanswered_groups_the_same_question_and_skips_answered_and_old_ones(qlog):
    asked = ["个人所得税税率是多少？", "个人所得税税率是多少", " 个人所得税 税率是多少吗", "外卖怎么点", "企业开办要几天"]
    for i, q in enumerate(asked):
        qlog.record(f"u{i}", q, answer(q, found=q == "企业开办要几天"), "page")
    qlog.record("stale", "外卖怎么点", answer("q", found=False), "api")
    assert qlog.flush()
    with qlog.engine.begin() as conn:
        conn.execute(schema.questions.update().where(schema.questions.c.request_id == "stale")
                     .values(asked_at=datetime.now(timezone.utc) - timedelta(days=10)))
    top = reports.top_unanswered(qlog.engine, days=7, limit=10)
    assert [(t["question"], t["count"]) for t in top] == [("个人所得税税率是多少", 3), ("外卖怎么点", 1)]
    assert top[0]["example"] in asked and top[0]["last_asked"].endswith("+00:00")
    assert reports.top_unanswered(qlog.engine, days=30, limit=10)[1]["count"] == 2
    assert len(reports.top_unanswered(qlog.engine, days=7, limit=1)) == 1


def test_downvoted_answers_with_comments_and_csv(qlog):
    qlog.record("d1", "=HYPERLINK(\"http://x\")企业开办", answer("企业开办"), "api")
    qlog.record("d2", "简易注销要多久", answer("简易注销"), "openai")
    qlog.record("u1", "信用修复要多久", answer("信用修复"), "page")
    assert qlog.add_feedback("d1", "down", "不对") and qlog.add_feedback("d2", "down") and qlog.add_feedback("u1", "up")
    down = reports.downvoted(qlog.engine, days=30)
    assert [d["request_id"] for d in down] == ["d2", "d1"]  # newest vote first; the 👍 is not listed
    assert down[1]["comment"] == "不对" and down[1]["citation"].startswith("《") and down[0]["channel"] == "openai"
    text = reports.to_csv(down, reports.DOWNVOTED_COLUMNS)
    assert text.startswith("\ufeffvoted_at,request_id,channel,question,answer,citation,comment\r\n")
    assert "'=HYPERLINK" in text  # never a live formula in Excel
    import csv
    parsed = list(csv.DictReader(text.lstrip("\ufeff").splitlines()))
    assert [r["request_id"] for r in parsed] == ["d2", "d1"] and parsed[1]["comment"] == "不对"


def test_retention_is_enforced_when_the_service_starts(db_url):
    first = QuestionLog.connect(db_url, retention_days=30)
    first.record("ancient", "企业开办要几天", answer("q"), "api")
    first.record("recent", "简易注销要多久", answer("q"), "api")
    assert first.flush()
    with first.engine.begin() as conn:
        conn.execute(schema.questions.update().where(schema.questions.c.request_id == "ancient")
                     .values(asked_at=datetime.now(timezone.utc) - timedelta(days=31)))
    first.close()
    restarted = QuestionLog.connect(db_url, retention_days=30)  # its writer purges before its first batch
    try:
        assert [r.request_id for r in rows(restarted)] == ["recent"]
    finally:
        restarted.close()


def test_a_batch_the_database_refuses_is_counted_and_the_writer_goes_on(tmp_path, monkeypatch):
    from qa_service.qalog import writer
    from qa_service.qalog.writer import BatchWriter

    monkeypatch.setattr(writer, "RETRY_DELAYS", (0.0, 0.0))
    engine = make_engine(f"sqlite:///{tmp_path / 'qa.sqlite3'}")  # no tables yet: every insert fails
    w = BatchWriter(engine, schema.questions)
    row = {"request_id": "r", "asked_at": datetime.now(timezone.utc), "channel": "api", "question": "q", "question_norm": "q",
           "found": True, "answer": "a"}
    assert w.put(row) and w.flush()
    assert (w.written, w.failed) == (0, 1)
    migrate(engine)  # the database is back
    assert w.put(row | {"request_id": "r2"}) and w.flush()
    assert (w.written, w.failed) == (1, 1)
    w.close()
    assert not w.put(row)  # closed: refused, not queued for nobody
    engine.dispose()
