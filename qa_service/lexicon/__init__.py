"""The lexicon: word lists as data files with provenance, loaded in one place.

Each file in this folder says where its entries come from (a corpus item, a
linguistic resource, or a rule stated in one line); ``tests/test_lexicon.py`` checks
that every corpus term it maps to occurs in the corpus.

>>> lx = measures()
>>> lx.measure_of("开办企业全流程")
'企业开办'
>>> lx.subcase_of("无外线施工获得用气时间").label
'无外线工程'
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Measure:
    key: str
    aliases: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class Subcase:
    pattern: re.Pattern
    label: str
    dimension: str
    source: str


@dataclass(frozen=True)
class MeasureLexicon:
    measures: tuple[Measure, ...]
    subcases: tuple[Subcase, ...]
    _by_alias: dict = field(default_factory=dict, compare=False, repr=False)

    def measure_of(self, text: str) -> str | None:
        """The measure a phrase names: the longest alias it contains (用气报装时限 -> 获得用气)."""
        best = None
        for alias, key in self._by_alias.items():
            if alias in text and (best is None or len(alias) > len(best[0])):
                best = (alias, key)
        return best[1] if best else None

    def measures_in(self, text: str) -> list[str]:
        """Every measure a text names, longest alias first, each once."""
        hits = sorted(((len(a), k) for a, k in self._by_alias.items() if a in text), reverse=True)
        return list(dict.fromkeys(k for _, k in hits))

    def aliases(self, key: str) -> tuple[str, ...]:
        return next((m.aliases for m in self.measures if m.key == key), ())

    def subcase_of(self, text: str) -> Subcase | None:
        """The most specific sub-case a phrase names (entries are listed most specific first);
        an entry labelled ``$0`` is labelled by the phrase as printed."""
        for s in self.subcases:
            m = s.pattern.search(text)
            if m:
                return Subcase(s.pattern, m.group(0), s.dimension, s.source) if s.label == "$0" else s
        return None

    def subcases_in(self, text: str) -> list[Subcase]:
        """Every sub-case a text names, one per dimension (小型低风险 hides 社会投资)."""
        out: dict[str, Subcase] = {}
        for s in self.subcases:
            m = s.pattern.search(text)
            if s.dimension not in out and m:
                out[s.dimension] = Subcase(s.pattern, m.group(0), s.dimension, s.source) if s.label == "$0" else s
        return list(out.values())


@lru_cache(maxsize=1)
def measures() -> MeasureLexicon:
    data = tomllib.loads((HERE / "measures.toml").read_text(encoding="utf-8"))
    ms = tuple(Measure(m["key"], tuple(m["aliases"]), m["source"]) for m in data.get("measure", []))
    subs = tuple(Subcase(re.compile(s["pattern"]), s["label"], s["dimension"], s["source"]) for s in data.get("subcase", []))
    by_alias = {a: m.key for m in ms for a in m.aliases}
    return MeasureLexicon(ms, subs, by_alias)
