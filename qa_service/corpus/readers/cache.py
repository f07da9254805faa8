"""Converted text kept beside the corpus, so that a PDF is not re-read at every load.

Every start of the service and every ``docs`` operation loads the whole corpus; reading a
PDF's layout takes ~0.1 s a page. The text a reader produced is kept in
``corpus/.extracted/<sha256 of the file>-<READER_VERSION>.json``: a changed file, or a
changed reader (bump ``READER_VERSION``), is read afresh. A folder that cannot be written
(a read-only image) only means no cache.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Callable

from . import Extracted

READER_VERSION = 1
CACHE_DIR = ".extracted"


def extract_cached(path: Path, data: bytes, reader: Callable[[Path, bytes], Extracted]) -> Extracted:
    key = path.parent / CACHE_DIR / f"{hashlib.sha256(data).hexdigest()[:32]}-{READER_VERSION}.json"
    try:
        return Extracted(**json.loads(key.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        pass
    got = reader(path, data)  # errors are not cached: a refused file is refused again, with its message
    try:
        key.parent.mkdir(exist_ok=True)
        tmp = key.with_name(f".{key.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(asdict(got), ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, key)
    except OSError:
        pass
    return got
