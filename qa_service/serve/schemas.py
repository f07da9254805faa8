"""Request and response bodies of the HTTP API (the data classes of qa_service.models inside)."""
from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field

from ..models import Answer, Document, Item, Level, Scope, SearchFilters


class Turn(BaseModel):
    role: Literal["user", "assistant", "system"]
    content: str = Field(max_length=4000)


class AskRequest(BaseModel):
    # a misspelt field ("filter") must not silently give an unfiltered answer
    model_config = ConfigDict(extra="forbid")

    question: str = Field(..., description="用户的问题（不超过500字）", examples=["企业开办要几天"])
    history: list[Union[Annotated[str, Field(max_length=4000)], Turn]] = Field(
        default_factory=list, max_length=20, description="earlier turns: the user's questions (strings) or {role, content}")
    filters: SearchFilters | None = None
    top_k: int = Field(5, ge=1, le=20, strict=True)
    mode: Literal["auto", "extractive", "llm"] = "auto"

    def user_history(self) -> list[str]:
        return [h if isinstance(h, str) else h.content for h in self.history if isinstance(h, str) or h.role == "user"]


class AskResponse(Answer):
    request_id: str


class SearchHit(BaseModel):
    item_id: str
    doc_id: str
    doc_title: str
    attachment_title: str | None = None
    doc_number: str | None = None
    issuer: str | None = None
    date: str | None = None
    region: str | None = None
    level: Level | None = None
    path: str
    citation: str
    scope: Scope
    kind: str
    text: str
    highlighted: str = Field(description="the text with matched words in <mark>…</mark>")
    highlights: list[str]
    responsibility: dict
    score: float
    reply: str = Field(description="a ready reply for hotline agents, citation included")
    doc_status: str = Field("现行", description="the document's status: 现行 / 已到期 (retired documents are not searched)")
    valid_until: str | None = Field(None, description="the document's last day in force, where it states one")


class SearchResponse(BaseModel):
    query: str
    found: bool
    confidence: float
    hits: list[SearchHit]
    latency_ms: float
    request_id: str


class DocumentSummary(Document):
    item_count: int


class DocumentDetail(BaseModel):
    document: Document
    items: list[Item]


class ItemDetail(BaseModel):
    item: Item
    document: Document
    citation: str


class ErrorBody(BaseModel):
    code: str = Field(description="stable machine-readable code, e.g. question_empty")
    message: str = Field(description="中文说明")
    message_en: str
    field: str | None = None
    request_id: str | None = None


class OpenAIError(BaseModel):
    message: str = Field(description="中文说明")
    type: str = Field(description="invalid_request_error, authentication_error, permission_error, rate_limit_error or server_error")
    param: str | None = Field(None, description="the request field at fault, if one is")
    code: str | None = Field(None, description="stable machine-readable code: the service's (question_empty …), "
                             "invalid_api_key for a 401, rate_limit_exceeded for a 429")
    message_en: str
    request_id: str | None = None


class OpenAIErrorBody(BaseModel):
    """Errors on /v1/*, in OpenAI's shape."""

    error: OpenAIError


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list | None = None


class StreamOptions(BaseModel):
    include_usage: bool = Field(False, strict=True, description="a last chunk with `usage` and empty `choices`")


class ChatRequest(BaseModel):
    """Other OpenAI parameters (top_p, user, tools …) are accepted and ignored, as OpenAI SDKs send them."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"model": "qa-service", "messages": [{"role": "user", "content": "信用修复要多久"}]}]})

    model: str = Field("qa-service", description="qa-service, qa-service-extractive or qa-service-llm (GET /v1/models); "
                       "any other name is qa-service")
    messages: list[ChatMessage] = Field(..., min_length=1, max_length=50)
    stream: bool = Field(False, strict=True)
    stream_options: StreamOptions | None = None
    temperature: float | None = Field(None, strict=True)
    max_tokens: int | None = Field(None, strict=True)
