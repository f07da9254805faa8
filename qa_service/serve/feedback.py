"""Feedback and the question log over HTTP.

* ``POST /api/v1/feedback`` — 👍/👎 (and an optional comment) on an answer, by its request id;
* ``GET /api/v1/admin/log/unanswered`` and ``/downvoted`` — the admin view, JSON or CSV,
  behind QA_ADMIN_KEYS (separate from the clients' QA_API_KEYS: a mini-program's key must
  not read what citizens asked);
* :func:`record` — what the answering endpoints call to log a question;
* :func:`open_log` / :func:`close_log` — the log's life with the app's.
"""
from __future__ import annotations

import logging
import threading
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from ..errors import QAError
from ..models import Answer
from ..qalog import reports
from ..qalog.store import QuestionLog
from .deps import require_admin
from .schemas import ErrorBody

log = logging.getLogger("qa_service.feedback")
ADMIN_PREFIX = "/api/v1/admin/"
_ERR = {"model": ErrorBody}
_429 = _ERR | {"headers": {"Retry-After": {"required": True, "description": "seconds to wait", "schema": {"type": "integer"}}}}
ERRORS: dict = {400: _ERR, 401: _ERR, 404: _ERR, 405: _ERR, 429: _429, 503: _ERR}
ADMIN_ERRORS: dict = ERRORS | {403: _ERR}

router = APIRouter()


# -- the log's life ----------------------------------------------------------------------
RETRY_OPEN_S = 15.0  # a database server that starts after the service (docker compose) is tried again this often


def open_log(app, settings) -> None:
    """Open (and migrate) the log at start. A database that cannot be reached costs the log,
    not the answers: the service serves, feedback answers 503, the error is logged, and a
    background thread keeps trying until the database answers."""
    app.state.qalog, app.state.qalog_error = None, None
    if not settings.log_questions:
        return
    try:
        app.state.qalog = QuestionLog.from_settings(settings)
    except Exception as e:  # noqa: BLE001 - whatever the driver raises
        app.state.qalog_error = str(e)[:300]
        log.error("question log unavailable, questions are not recorded until it is: %s", e)
        app.state.qalog_retry = threading.Event()  # set at shutdown
        threading.Thread(target=_keep_trying, args=(app, settings), name="qa-log-open", daemon=True).start()


def _keep_trying(app, settings) -> None:
    stop = app.state.qalog_retry
    while not stop.wait(RETRY_OPEN_S):
        try:
            qlog = QuestionLog.from_settings(settings)
        except Exception:  # noqa: BLE001 - still down; said once already
            continue
        if stop.is_set():  # the service shut down while this attempt ran
            if qlog is not None:
                qlog.close()
            return
        app.state.qalog, app.state.qalog_error = qlog, None
        log.warning("question log available again: questions are recorded from now on")
        return


def close_log(app) -> None:
    """Write what is queued (at shutdown)."""
    retry = getattr(app.state, "qalog_retry", None)
    if retry is not None:
        retry.set()
    qlog = getattr(app.state, "qalog", None)
    if qlog is not None:
        qlog.close()
        app.state.qalog = None


def record(request: Request, question: str, answer: Answer, channel: str) -> None:
    """Log an answered question under the request's id (no-op when the log is off)."""
    qlog = getattr(request.app.state, "qalog", None)
    if qlog is not None:
        qlog.record(request.state.request_id, question, answer, channel)


def get_log(request: Request) -> QuestionLog:
    qlog = getattr(request.app.state, "qalog", None)
    if qlog is None:
        failed = getattr(request.app.state, "qalog_error", None)
        why = "问答记录数据库不可用" if failed else "未开启问答记录（QA_LOG_QUESTIONS=false）"
        raise QAError("log_unavailable", f"{why}，暂时无法提交评价或查看记录", "the question log is off or unavailable", status=503)
    return qlog


LogDep = Annotated[QuestionLog, Depends(get_log)]


# -- feedback ------------------------------------------------------------------------------
class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    request_id: str = Field(..., min_length=1, max_length=64, pattern=r"^[!-~]+$",
                            description="the answer's request_id (its X-Request-ID: printable ASCII, no spaces)")
    rating: Literal["up", "down"]
    comment: str | None = Field(None, max_length=500, description="optional: what was wrong or missing")


class FeedbackResponse(BaseModel):
    stored: bool
    answer_request_id: str
    rating: Literal["up", "down"]
    request_id: str


@router.post("/api/v1/feedback", response_model=FeedbackResponse, tags=["feedback"], responses=ERRORS | {413: _ERR, 415: _ERR})
def feedback(body: FeedbackRequest, request: Request, qlog: LogDep) -> FeedbackResponse:
    """👍 / 👎 on an answer, with an optional comment; a later vote on the same answer replaces the earlier one."""
    if not qlog.add_feedback(body.request_id, body.rating, body.comment):
        raise QAError("answer_not_found", "找不到该回答（编号不存在，或已超过保存期限）",
                      f"no answer with request_id {body.request_id!r} (unknown or past the retention period)",
                      status=404, field="request_id")
    return FeedbackResponse(stored=True, answer_request_id=body.request_id, rating=body.rating, request_id=request.state.request_id)


# -- admin view ------------------------------------------------------------------------------
class UnansweredItem(BaseModel):
    question: str = Field(description="normalized text (punctuation, spaces and a final 吗/呢 removed)")
    count: int
    last_asked: str | None
    example: str = Field(description="one way it was asked")


class UnansweredReport(BaseModel):
    days: int
    items: list[UnansweredItem]


class DownvotedItem(BaseModel):
    voted_at: str | None
    request_id: str
    channel: str
    question: str
    answer: str
    citation: str | None
    comment: str | None


class DownvotedReport(BaseModel):
    days: int
    items: list[DownvotedItem]


Days = Annotated[int, Query(ge=1, le=3650, description="look back this many days")]
Format = Annotated[Literal["json", "csv"], Query(description="csv: a spreadsheet (UTF-8 with BOM, for Excel)")]
CSV_200: dict = {200: {"content": {"text/csv": {"schema": {"type": "string"}}}}}
admin = APIRouter(prefix="/api/v1/admin/log", tags=["admin"], dependencies=[Depends(require_admin)], responses=ADMIN_ERRORS)


def _csv(rows: list[dict], columns: list[str], name: str) -> Response:
    return Response(reports.to_csv(rows, columns), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


@admin.get("/unanswered", response_model=UnansweredReport, responses=CSV_200)
def unanswered(qlog: LogDep, days: Days = 30, limit: Annotated[int, Query(ge=1, le=1000)] = 50, format: Format = "json"):
    """The most frequent questions the documents did not answer: what to add to the corpus."""
    rows = reports.top_unanswered(qlog.engine, days, limit)
    return _csv(rows, reports.UNANSWERED_COLUMNS, "unanswered") if format == "csv" else UnansweredReport(days=days, items=rows)


@admin.get("/downvoted", response_model=DownvotedReport, responses=CSV_200)
def downvoted(qlog: LogDep, days: Days = 30, limit: Annotated[int, Query(ge=1, le=1000)] = 100, format: Format = "json"):
    """Answers voted 👎, newest first, with the question, the answer, its first citation and the comment."""
    rows = reports.downvoted(qlog.engine, days, limit)
    return _csv(rows, reports.DOWNVOTED_COLUMNS, "downvoted") if format == "csv" else DownvotedReport(days=days, items=rows)


router.include_router(admin)
