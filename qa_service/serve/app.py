"""Entry point for ``uvicorn --factory`` with several workers: settings from QA_ variables."""
from __future__ import annotations

from ..config import Settings
from .api import create_app
from .server import GuardedHttp


def app_from_env():
    s = Settings()
    # this worker's connections: uvicorn has loaded GuardedHttp by name, so it is set up here
    GuardedHttp.max_connections = s.max_connections
    GuardedHttp.request_timeout = float(s.request_timeout)
    return create_app(s, with_ui=s.serve_ui, load_before_serving=True)
