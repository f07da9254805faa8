"""docker-compose.yml keeps the service's three kinds of state in volumes (corpus, index,
question log), so that an image update keeps them; validated by Compose itself where it
is installed (``docker compose`` or ``docker-compose``), which needs no daemon."""
from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from .conftest import ROOT

COMPOSE = ROOT / "docker-compose.yml"


def compose_command() -> list[str] | None:
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    return ["docker-compose"] if shutil.which("docker-compose") else None


def test_the_corpus_the_index_and_the_log_live_in_volumes():
    spec = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    qa = spec["services"]["qa"]
    mounts = {v.split(":")[1]: v.split(":")[0] for v in qa["volumes"]}  # container path -> volume
    assert mounts == {"/app/corpus": "corpus", "/app/index": "index", "/app/data": "data"}
    assert set(mounts.values()) <= set(spec["volumes"])
    # the service user writes the index (rebuilds) and the log: the image gives it both folders
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "mkdir -p /app/data && chown -R qa:qa /app/index /app/data" in dockerfile
    assert spec["services"]["db"]["profiles"] == ["postgres"]  # PostgreSQL only when asked for


def test_compose_accepts_the_file():
    cmd = compose_command()
    if cmd is None:
        pytest.skip("neither `docker compose` nor docker-compose is installed")
    r = subprocess.run([*cmd, "-f", str(COMPOSE), "config"], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert "/app/data" in r.stdout
