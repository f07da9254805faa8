"""``corpus/catalog.toml``: what the texts do not say themselves.

An entry names a ``file`` and, for files holding several documents, a ``match``
(a substring of the title or the 文号). Any of ``id, title, doc_number, issuer,
date, region, level, note`` given there overrides or completes what the parser
read. A file with no entry still loads; region and level are then inferred from
the issuer and title.

>>> e = CatalogEntry(file="a.txt", match="11号", region="陕西省", level="province")
>>> e.applies_to("a.txt", "某通知", "陕政办发〔2023〕11号")
True
"""
from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ValidationError

from ..models import Level

CATALOG_NAME = "catalog.toml"


class CatalogEntry(BaseModel):
    file: str
    match: str | None = None
    id: str | None = None
    title: str | None = None
    doc_number: str | None = None
    issuer: str | None = None
    date: str | None = None
    region: str | None = None
    level: Level | None = None
    note: str | None = None

    def applies_to(self, file: str, title: str, doc_number: str | None) -> bool:
        if self.file != file:
            return False
        if not self.match:
            return True
        return self.match in title or bool(doc_number and self.match in doc_number)


class CatalogError(ValueError):
    pass


def load_catalog(corpus_dir: Path) -> list[CatalogEntry]:
    path = corpus_dir / CATALOG_NAME
    if not path.exists():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return [CatalogEntry(**d) for d in data.get("document", [])]
    except (tomllib.TOMLDecodeError, ValidationError, UnicodeDecodeError, TypeError) as e:
        raise CatalogError(f"{CATALOG_NAME}: 目录文件格式错误 / malformed catalog: {e}") from None


def find_entry(entries: list[CatalogEntry], file: str, title: str, doc_number: str | None) -> CatalogEntry | None:
    # the most specific entry wins: one with a match over a whole-file entry
    hits = [e for e in entries if e.applies_to(file, title, doc_number)]
    hits.sort(key=lambda e: e.match is None)
    return hits[0] if hits else None


_REGION_LEVELS = [
    ("陕西省", Level.province),
    ("西咸新区", Level.new_area),
    ("西安市", Level.city), ("延安市", Level.city), ("咸阳市", Level.city), ("铜川市", Level.city),
    ("宝鸡市", Level.city), ("渭南市", Level.city), ("汉中市", Level.city), ("安康市", Level.city),
    ("商洛市", Level.city), ("榆林市", Level.city),
]


def infer_region(*texts: str | None) -> tuple[str | None, Level | None]:
    """Region and level from an issuer or title: 陕西省… -> (陕西省, province)."""
    import re

    for t in texts:
        if not t:
            continue
        t = t.replace("中共", "")
        for name, level in _REGION_LEVELS:
            if t.startswith(name) or t.startswith(name.rstrip("省市")):
                return name, level
        m = re.match(r"^([\u4e00-\u9fff]{2,4}[区县])", t)
        if m:
            return m.group(1), Level.district
    return None, None
