"""Entry point for ``uvicorn --factory`` with several workers: settings from QA_ variables."""
from __future__ import annotations

from ..config import Settings
from .api import create_app


def app_from_env():
    s = Settings()
    return create_app(s, with_ui=s.serve_ui, load_before_serving=True)
