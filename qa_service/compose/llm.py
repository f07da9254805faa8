"""Optional generative mode: an OpenAI-compatible chat-completions endpoint rewrites the
extractive answer in plain language, from the same numbered clauses.

Nothing it writes is trusted: :func:`grounding_problem` checks that each [n] names a
supplied clause and that each number occurs in a clause it cites. A timeout, an
HTTP error, a malformed reply or a failed check falls back to the extractive
answer, with the reason in ``Answer.fallback_reason`` and in the log.
"""
from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator

import httpx

from ..config import ROOT, Settings
from ..models import Answer, Citation
from ..retrieve.retriever import SearchResult
from .sentences import numbers_in

log = logging.getLogger(__name__)
PROMPTS = ROOT / "prompts"
MARKER_RE = re.compile(r"\[(\d{1,2})\]")


def grounding_problem(text: str, citations: list[Citation], hotline: str | None = "12345") -> str | None:
    """None when the text is grounded in its citations, else what is wrong.

    The service's own hotline (pointed to when figures differ) is not a figure of a clause."""
    if not text.strip():
        return "empty answer"
    by_n = {c.n: c for c in citations}
    marks = [int(m) for m in MARKER_RE.findall(text)]
    if not marks:
        return "no [n] citation markers"
    unknown = sorted({m for m in marks if m not in by_n})
    if unknown:
        return f"cites clauses that were not supplied: {unknown}"
    # a validity note (2023—2025年方案，已到期) states the cited document's own period
    cited_text = "".join(by_n[m].text + by_n[m].doc_title + (by_n[m].doc_number or "") + (by_n[m].date or "")
                         + (by_n[m].validity or "") for m in set(marks))
    body = MARKER_RE.sub("", text)
    if hotline:
        body = re.sub(rf"(?<![\d.]){re.escape(hotline)}(?![\d.])", " ", body)
    loose = [n for n in numbers_in(body) if n not in cited_text]
    if loose:
        return f"numbers not found in the cited clauses: {loose[:5]}"
    return None


def number_clauses(citations: list[Citation]) -> str:
    lines = []
    for c in citations:
        meta = "，".join(x for x in (c.region, c.date, c.doc_number) if x)
        scope = "（省外经验，非陕西规定）" if c.scope.value == "省外经验" else ""
        lines.append(f"[{c.n}] {c.citation}（{meta}）{scope}：{c.text}")
    return "\n".join(lines)


def direct_block(answer: Answer) -> str:
    """The figure table's one-line answer (each figure with its place and [n]), when there is one:
    the model starts from it instead of picking figures out of the clauses again."""
    if not answer.direct:
        return ""
    return f"\n按指标整理的数字（每个数字都出自对应编号的条款，回答时逐一保留，不要只选一个）：\n{answer.direct}\n"


class LLMComposer:
    def __init__(self, settings: Settings, client: httpx.Client | None = None):
        self.settings = settings
        self.url = settings.llm_base_url.rstrip("/") + "/chat/completions"
        self.system = (PROMPTS / "answer_system.txt").read_text(encoding="utf-8")
        self.user = (PROMPTS / "answer_user.txt").read_text(encoding="utf-8")
        headers = {"Authorization": f"Bearer {settings.llm_api_key}"} if settings.llm_api_key else {}
        self.client = client or httpx.Client(timeout=httpx.Timeout(settings.llm_timeout, connect=min(5.0, settings.llm_timeout)), headers=headers)

    def messages(self, answer: Answer) -> list[dict]:
        return [
            {"role": "system", "content": self.system},
            {"role": "user", "content": self.user.format(question=answer.question, clauses=number_clauses(answer.citations),
                                                         direct=direct_block(answer))},
        ]

    def _payload(self, answer: Answer, stream: bool) -> dict:
        return {"model": self.settings.llm_model, "messages": self.messages(answer), "temperature": 0.1, "stream": stream}

    def _fallback(self, answer: Answer, reason: str) -> Answer:
        log.warning("LLM answer rejected, using the extractive answer: %s", reason)
        return answer.model_copy(update={"fallback_reason": reason, "mode": "extractive"})

    def _accept(self, answer: Answer, text: str) -> Answer:
        problem = grounding_problem(text, answer.citations, self.settings.hotline)
        if problem:
            return self._fallback(answer, f"grounding check failed: {problem}")
        return answer.model_copy(update={"answer": text.strip(), "mode": "llm", "fallback_reason": None})

    def rewrite(self, answer: Answer, result: SearchResult | None = None) -> Answer:
        try:
            r = self.client.post(self.url, json=self._payload(answer, stream=False))
            r.raise_for_status()
            text = r.json()["choices"][0]["message"]["content"]
            if not isinstance(text, str):
                raise TypeError("content is not text")
        except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as e:
            return self._fallback(answer, self._reason(e, "call"))
        return self._accept(answer, text)

    def _reason(self, e: Exception, what: str) -> str:
        """The same words for a failed call and a failed stream: timeout, HTTP status, or the error."""
        if isinstance(e, httpx.TimeoutException):
            return f"LLM timed out after {self.settings.llm_timeout}s"
        if isinstance(e, httpx.HTTPStatusError):
            return f"LLM returned HTTP {e.response.status_code}"
        return f"LLM {what} failed: {type(e).__name__}: {str(e)[:120]}"

    def stream(self, answer: Answer, result: SearchResult | None = None) -> Iterator[tuple[str, object]]:
        """Yields ("delta", text) while the model writes; on a failure mid-way yields
        ("reset", reason) and the extractive answer's lines. Returns the final Answer."""
        parts: list[str] = []
        try:
            with self.client.stream("POST", self.url, json=self._payload(answer, stream=True)) as r:
                r.raise_for_status()
                for line in r.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    delta = json.loads(data)["choices"][0].get("delta", {}).get("content") or ""
                    if delta:
                        parts.append(delta)
                        yield "delta", delta
        except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as e:
            reason = self._reason(e, "stream")
            return (yield from self._replay(answer, reason, bool(parts)))
        final = self._accept(answer, "".join(parts))
        if final.mode != "llm":
            return (yield from self._replay(answer, final.fallback_reason or "rejected", True))
        return final

    def _replay(self, answer: Answer, reason: str, had_output: bool) -> Iterator[tuple[str, object]]:
        fallback = self._fallback(answer, reason)
        if had_output:
            yield "reset", reason
        for line in fallback.answer.splitlines(keepends=True):
            yield "delta", line
        return fallback
