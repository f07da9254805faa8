"""The question-answering service: what the API, the web page and the CLI all call.

    question (+ history, filters) -> follow-up resolved -> retrieve -> compose -> Answer

>>> from qa_service.config import Settings
>>> qa = QAService.from_settings(Settings())              # doctest: +SKIP
>>> a = qa.ask("企业开办要几天")                            # doctest: +SKIP
>>> a.found, a.citations[0].citation                        # doctest: +SKIP
(True, '《西安市2022年优化营商环境重点任务清单（内容摘要）》二、（一）第19条')
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Iterator, Literal

from .compose.extractive import compose
from .compose.followup import resolve
from .config import Settings, usable_cores
from .errors import QAError, validate_question
from .index.watch import IndexWatcher
from .models import Answer, SearchFilters
from .retrieve.retriever import FilterError, Prepared, Retriever, SearchResult

log = logging.getLogger(__name__)
Mode = Literal["extractive", "llm", "auto"]
NOT_CONFIGURED = "未配置大模型（QA_LLM_BASE_URL）/ LLM mode is not configured"
ANSWER_POOL = 30  # clauses the composer may draw on (it cites at most 4, or 6 differing figures)
HISTORY_TURNS = 5  # follow-ups lean on the last few questions only
# A follow-up is searched together with the previous question, so that question's length is
# paid again: 5 turns of 500 random characters cost 2.4 s of CPU (67x a new question). What a follow-up needs of it
# (the topic, the place, what was asked) is in its first words; real questions are ~10-40 characters.
HISTORY_CHARS = 40


def clean_history(history: list[str] | None, max_chars: int) -> list[str]:
    """The earlier questions a follow-up may lean on: the last HISTORY_TURNS, readable text
    only, each cut to HISTORY_CHARS. A follow-up's search text includes the previous question,
    so its length is paid again: cut, a follow-up costs about as much as a new question.

    >>> h = clean_history(["企业开办要几天", "😀😀", 7, "企" * 900], max_chars=500)
    >>> h[0], len(h), len(h[-1])
    ('企业开办要几天', 2, 40)
    """
    out = []
    limit = min(max_chars, HISTORY_CHARS)
    for h in (history or [])[-HISTORY_TURNS:]:
        if not isinstance(h, str):
            continue
        try:
            out.append(validate_question(h.strip()[:limit], max_chars=limit))
        except QAError:
            continue  # an unreadable earlier turn is no context, not an error of this question
    return out


def filter_regions(filters: SearchFilters | None) -> list[str]:
    """The asker's place from the region filter (西咸 -> 西咸新区), to order figures by."""
    from .retrieve.query import analyze

    return analyze(filters.region).regions if filters and filters.region else []


class QAService:
    def __init__(self, retriever: Retriever, settings: Settings | None = None):
        self.retriever = retriever
        self.settings = settings or retriever.settings
        # Ranking and composing are CPU work (numpy, jieba): more questions at once than cores only
        # makes them fight for the cores and the GIL (8 at once: p95 105 ms; 2 at a time: 72 ms).
        # Waiting here costs no CPU, and the LLM call (I/O) stays outside. The model is not behind
        # this gate but behind its own (retrieve/vectors.py), which embeds the questions waiting
        # for it in one call: behind this one, no more than two could ever wait together.
        self._cpu = threading.BoundedSemaphore(self.settings.concurrent_queries or usable_cores())
        self._watch = IndexWatcher(self.settings.index_dir, self.settings.reload_interval,
                                   getattr(retriever.index, "path", None), self._use_build)
        self._llm = None
        if self.settings.llm_base_url:
            from .compose.llm import LLMComposer

            self._llm = LLMComposer(self.settings)

    @classmethod
    def from_settings(cls, settings: Settings, progress: bool = False) -> "QAService":
        return cls(Retriever.from_settings(settings, progress=progress), settings)

    @property
    def index(self):
        return self.retriever.index

    def check_index(self, force: bool = False) -> None:
        """Start serving a newly published build (in the background) if there is one."""
        self._watch.poll(force=force)

    def _use_build(self, path) -> None:
        """Serve another published build: loaded whole, then swapped in by one assignment."""
        from .index.store import read_build

        old = self.retriever
        # same model: the kept question vectors stay valid, and the model's batcher stays one
        self.retriever = Retriever(read_build(path), old.embedder, self.settings, old.weights, vectors=old.query_vector)

    def _doc_status(self, answer: Answer) -> Answer:
        """Each cited document's status and period, so that a client can say 已到期."""
        docs = self.index.docs_by_id
        for c in [*answer.citations, *answer.related]:
            d = docs.get(c.doc_id)
            if d is not None:
                c.doc_status, c.valid_until = d.status, d.valid_until
        return answer

    def search(self, query: str, filters: SearchFilters | None = None, top_k: int | None = None) -> SearchResult:
        q = validate_question(query, max_chars=self.settings.max_question_chars, field="q")
        self._watch.poll()
        retriever = self.retriever
        prepared = self._prepare(retriever, q, filters)
        with self._cpu:
            return retriever.rank(prepared, top_k)

    @staticmethod
    def _prepare(retriever: Retriever, q: str, filters: SearchFilters | None) -> Prepared:
        """The question embedded (outside the CPU gate), with a filter that names nothing turned
        into the API's filter_invalid."""
        try:
            return retriever.prepare(q, filters)
        except FilterError as e:
            raise QAError("filter_invalid", e.zh, e.en, field=e.field) from None

    def _extractive(self, question: str, history: list[str] | None, filters: SearchFilters | None,
                    top_k: int | None) -> tuple[Answer, SearchResult]:
        """The checked question, resolved against earlier turns, retrieved and composed."""
        q = validate_question(question, max_chars=self.settings.max_question_chars)
        self._watch.poll()
        retriever = self.retriever  # one index for the whole question, even if a new build is swapped in meanwhile
        resolved = resolve(q, clean_history(history, self.settings.max_question_chars), has_topic=retriever.names_topic,
                           context_chars=HISTORY_CHARS)
        prepared = self._prepare(retriever, resolved, filters)
        with self._cpu:
            result = retriever.rank(prepared, max(top_k or 0, ANSWER_POOL))
            answer = self._doc_status(compose(q, result, hotline=self.settings.hotline, figures=retriever.index.figures,
                                              regions=filter_regions(filters)))
        if result.question != q:
            answer.rewritten_query = result.question
        return answer, result

    def ask(self, question: str, history: list[str] | None = None, filters: SearchFilters | None = None,
            top_k: int | None = None, mode: Mode = "auto") -> Answer:
        t0 = time.perf_counter()
        answer, result = self._extractive(question, history, filters, top_k)
        use_llm = mode == "llm" or (mode == "auto" and self._llm is not None)
        if use_llm:
            if self._llm is None:
                answer.fallback_reason = NOT_CONFIGURED
            elif answer.found:
                answer = self._llm.rewrite(answer, result)
        answer.latency_ms = round((time.perf_counter() - t0) * 1000, 2)
        return answer

    def ask_stream(self, question: str, history: list[str] | None = None, filters: SearchFilters | None = None,
                   top_k: int | None = None, mode: Mode = "auto") -> Iterator[tuple[str, object]]:
        """Events for streaming clients: ("delta", text) … then ("answer", Answer)."""
        t0 = time.perf_counter()
        base, result = self._extractive(question, history, filters, top_k)
        use_llm = (mode == "llm" or (mode == "auto" and self._llm is not None)) and self._llm is not None and base.found
        if mode == "llm" and self._llm is None:
            base.fallback_reason = NOT_CONFIGURED
        if use_llm and self._llm is not None:
            # stream() returns the final Answer (its annotation, Iterator, does not say so)
            final = (yield from self._llm.stream(base, result)) or base  # type: ignore[func-returns-value]
        else:
            for line in base.answer.splitlines(keepends=True):
                yield "delta", line
            final = base
        final.latency_ms = round((time.perf_counter() - t0) * 1000, 2)
        yield "answer", final
