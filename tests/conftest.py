"""Shared fixtures: the real corpus, the shared oracle files, a built index, a live server."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS_DIR = ROOT / "corpus"


def shared_file(*parts: str) -> Path:
    p = SHARED.joinpath(*parts)
    if not p.exists():
        pytest.skip(f"{p} not present (CI places ../shared beside the clone)")
    return p


@pytest.fixture(scope="session")
def corpus():
    from qa_service.corpus.loader import load_corpus

    c = load_corpus(CORPUS_DIR)
    assert not c.errors, c.errors
    return c


@pytest.fixture(scope="session")
def documents_json():
    return json.loads(shared_file("corpus-source", "documents.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def dev_questions():
    return [json.loads(l) for l in shared_file("eval", "dev.jsonl").read_text(encoding="utf-8").splitlines() if l.strip()]
