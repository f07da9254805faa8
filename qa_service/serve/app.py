"""Entry point for ``uvicorn --factory`` with several workers: settings from QA_ variables."""
from __future__ import annotations

import os

from ..config import Settings
from .api import create_app


def app_from_env():
    return create_app(Settings(), with_ui=os.environ.get("QA_SERVE_UI", "1") != "0")
