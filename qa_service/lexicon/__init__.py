"""The lexicon: word lists as data files with provenance, loaded in one place.

Each file in this folder says where its entries come from (a corpus item, a
linguistic resource, or a rule stated in one line); ``tests/test_lexicon.py`` checks
that every corpus term it maps to occurs in the corpus.

=================  ===========================================================
measures.toml      what figures measure and the sub-cases they tell apart
figure_words.toml  words around a figure: qualifiers, narrowing adjectives, choosing verbs
colloquial.toml    people's phrases -> the documents' terms (开公司 -> 企业开办)
cilin.tsv          everyday synonyms of corpus words, from 同义词词林 (mined)
glossary.toml      English words mixed into questions (license -> 营业执照)
intents.toml       question words -> the kind of answer wanted (多久 -> time)
regions.toml       the regions documents carry, and the places they answer for
places.tsv         China's divisions (jionlp): Shaanxi counties, places outside
stopwords.txt      question words and generic nouns (one list, two sections)
domain_terms.txt   policy terms jieba must keep whole
=================  ===========================================================

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
    part_of: str | None = None  # the broader measure this one is a kind of (抵押登记 of 不动产登记)


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
    folds: dict = field(default_factory=dict, compare=False, repr=False)  # term -> the one word (measures.toml [[fold]])
    fold_pattern: re.Pattern = field(default=re.compile(r"(?!)"), compare=False, repr=False)

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

    def kinds_of(self, key: str) -> list[str]:
        """The narrower measures that are kinds of ``key`` (不动产登记 -> 抵押登记)."""
        return [m.key for m in self.measures if m.part_of == key]

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

    def case_spans(self, text: str) -> list[tuple[Subcase, int, int]]:
        """Every sub-case phrase of a text with where it is printed, in the order of the entries
        (most specific first), none inside another: a phrase read by a more specific entry is not
        read again by a broader one (低压小微 is not also 低压)."""
        found: list[tuple[Subcase, int, int]] = []
        for s in self.subcases:
            for m in s.pattern.finditer(text):
                if not any(m.start() < end and start < m.end() for _, start, end in found):
                    case = Subcase(s.pattern, m.group(0), s.dimension, s.source) if s.label == "$0" else s
                    found.append((case, m.start(), m.end()))
        return found

    def cases_named(self, text: str) -> list[Subcase]:
        """Every case a question names, each once, in the order printed, so that 政府投资和社会投资 asks
        for two cases of one distinction. A broader case printed against a narrower one whose label
        holds it is not read apart (社会投资小型低风险项目 is one case).

        >>> [s.label for s in measures().cases_named("政府投资和社会投资项目审批各要多久")]
        ['政府投资项目', '社会投资项目']
        >>> [s.label for s in measures().cases_named("社会投资小型低风险项目要多久")]
        ['社会投资小型低风险项目']
        """
        spans = self.case_spans(text)
        kept = [(c, start) for i, (c, start, end) in enumerate(spans)
                if not any(text[start:end] in a.label and end >= a_start - 2 and start <= a_end + 2
                           for a, a_start, a_end in spans[:i] if a.dimension == c.dimension)]
        return list({c.label: c for c, _ in sorted(kept, key=lambda k: k[1])}.values())


@lru_cache(maxsize=1)
def measures() -> MeasureLexicon:
    data = tomllib.loads((HERE / "measures.toml").read_text(encoding="utf-8"))
    ms = tuple(Measure(m["key"], tuple(m["aliases"]), m["source"], m.get("part_of")) for m in data.get("measure", []))
    subs = tuple(Subcase(re.compile(s["pattern"]), s["label"], s["dimension"], s["source"]) for s in data.get("subcase", []))
    by_alias = {a: m.key for m in ms for a in m.aliases}
    folds = {t: f["to"] for f in data.get("fold", []) for t in f["terms"]}
    pattern = re.compile("|".join(re.escape(t) for t in sorted(folds, key=len, reverse=True)) or r"(?!)")
    return MeasureLexicon(ms, subs, by_alias, folds, pattern)


@dataclass(frozen=True)
class FigureWords:
    inner_qualifiers: re.Pattern  # 平均, 年均, 首次 inside a measure's phrase
    narrowing: re.Pattern  # 正常, 金牌, X型 before a measure's head noun
    bare_heads: tuple[str, ...]  # 事项, 企业: a class noun alone is no head the adjective narrows
    class_nouns: tuple[str, ...]  # 企业, 项目, 事项: a class a rate or amount is said of
    rate_heads: tuple[str, ...]  # 率, 收入, 投资: how a rate or amount phrase ends
    choosing_verbs: re.Pattern  # 选定一个: 一个 as a count


@lru_cache(maxsize=1)
def figure_words() -> FigureWords:
    d = _toml("figure_words.toml")
    words = sorted(d["inner_qualifiers"]["words"], key=len, reverse=True)
    narrow = d["narrowing_adjectives"]
    return FigureWords(
        inner_qualifiers=re.compile("|".join(map(re.escape, words))),
        narrowing=re.compile("|".join([*map(re.escape, narrow["words"]), *narrow["patterns"]])),
        bare_heads=tuple(narrow["bare_heads"]),
        class_nouns=tuple(d["class_nouns"]["nouns"]),
        rate_heads=tuple(d["class_nouns"]["heads"]),
        choosing_verbs=re.compile("(?:" + "|".join(map(re.escape, d["choosing_verbs"]["words"])) + ")$"),
    )


# -- question understanding -------------------------------------------------------------------
@dataclass(frozen=True)
class Synonym:
    pattern: re.Pattern
    terms: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class Intent:
    name: str
    pattern: re.Pattern
    expansions: tuple[str, ...]
    source: str


def _toml(name: str) -> dict:
    return tomllib.loads((HERE / name).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def synonyms() -> tuple[Synonym, ...]:
    """colloquial.toml, then glossary.toml (English words, case-insensitive, whole words).

    >>> any(s.pattern.search("开个火锅店") and "餐饮" in s.terms for s in synonyms())
    True
    >>> any(s.pattern.search("怎么办business License") and "营业执照" in s.terms for s in synonyms())
    True
    """
    out = [Synonym(re.compile(e["pattern"], re.I), tuple(e["terms"]), e["source"]) for e in _toml("colloquial.toml")["synonym"]]
    out += [Synonym(re.compile(rf"(?<![A-Za-z])(?:{e['pattern']})(?![A-Za-z])", re.I), tuple(e["terms"]), e["source"])
            for e in _toml("glossary.toml")["term"]]
    return tuple(out)


@lru_cache(maxsize=1)
def _gloss() -> tuple[tuple[re.Pattern, str], ...]:
    # the spaces people type around an English word inside Chinese go with it
    return tuple((re.compile(rf" ?(?<![A-Za-z])(?:{e['pattern']})(?![A-Za-z]) ?", re.I), e["terms"][0])
                 for e in _toml("glossary.toml")["term"])


def translate_english(text: str) -> str:
    """English words of the glossary written as the documents write them (patent -> 专利).

    >>> translate_english("patent 快速预审找谁"), translate_english("IPO奖励")
    ('专利快速预审找谁', '上市奖励')
    """
    for pattern, term in _gloss():
        text = pattern.sub(term, text)
    return text


@lru_cache(maxsize=1)
def intents() -> tuple[Intent, ...]:
    return tuple(Intent(e["name"], re.compile(e["pattern"]), tuple(e.get("expansions", ())), e["source"])
                 for e in _toml("intents.toml")["intent"])


@lru_cache(maxsize=1)
def cues() -> dict[str, str]:
    """cues.toml: what a question asks (amount, lead, header, material, several) and how a
    follow-up turn opens and closes, as regular expressions by name.

    >>> import re; bool(re.search(cues()["lead"], "哪个部门牵头"))
    True
    """
    return {e["name"]: e["pattern"] for e in _toml("cues.toml")["cue"]}


def _lines(name: str) -> list[str]:
    return [x.split("#", 1)[0].rstrip() for x in (HERE / name).read_text(encoding="utf-8").splitlines()]


@lru_cache(maxsize=1)
def _stopwords() -> dict[str, frozenset]:
    kinds: dict[str, set[str]] = {"question": set(), "generic": set(), "function": set()}
    for line in (HERE / "stopwords.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            word, tags = line.split("\t")
            for tag in tags.split(","):
                kinds[tag].add(word)
    return {k: frozenset(v) for k, v in kinds.items()}


def question_words() -> frozenset:
    """Words that say what kind of answer is wanted (多少, 怎么, 需要 …)."""
    return _stopwords()["question"]


def function_words() -> frozenset:
    """Particles, pronouns and punctuation the keyword index leaves out (的, 了, 吗, ，)."""
    return _stopwords()["function"]


def generic_nouns() -> frozenset:
    """Nouns every question and clause share (公司, 企业, 部门, 时间 …): never a question's topic."""
    return _stopwords()["generic"]


@lru_cache(maxsize=1)
def domain_terms() -> tuple[str, ...]:
    return tuple(w for w in _lines("domain_terms.txt") if w)


@lru_cache(maxsize=1)
def cilin_map() -> dict[str, tuple[str, ...]]:
    """A word the corpus does not use -> the corpus words of its 同义词词林 group (工钱 -> 工资).

    >>> "工资" in cilin_map().get("工钱", ())
    True
    """
    out: dict[str, list[str]] = {}
    stop = question_words() | generic_nouns() | function_words()
    for line in (HERE / "cilin.tsv").read_text(encoding="utf-8").splitlines()[2:]:
        word, term, _code = line.split("\t")
        if word not in stop and term not in stop:  # 多少 -> 若干 says nothing about the topic
            out.setdefault(word, []).append(term)
    return {w: tuple(ts) for w, ts in out.items()}


# -- places ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Places:
    region_patterns: tuple[tuple[str, str], ...]  # (regex, region name documents carry), most specific first
    foreign: re.Pattern

    def regions_in(self, text: str) -> list[str]:
        out: list[str] = []
        for pattern, region in self.region_patterns:
            if region not in out and re.search(pattern, text):
                out.append(region)
        return out

    def foreign_in(self, text: str) -> list[str]:
        return list(dict.fromkeys(m.group(0) for m in self.foreign.finditer(text)))


@lru_cache(maxsize=1)
def _place_rows() -> tuple[list[str], ...]:
    """places.tsv's rows: name, alias, level, admin_code, province, city, region."""
    return tuple(line.split("\t") for line in (HERE / "places.tsv").read_text(encoding="utf-8").splitlines()[2:] if line)


@lru_cache(maxsize=1)
def shaanxi_names() -> tuple[str, ...]:
    """Every Shaanxi place name of the gazetteer (full and short, province to county) and the
    regions' aliases (西咸), longest first: what a Shaanxi issuer's name can start with.

    >>> {"陕西", "西安", "铜川", "西咸", "韩城"} <= set(shaanxi_names())
    True
    """
    rows = _place_rows()
    names = {x for row in rows if row[4] == "陕西省" for x in (row[0], row[1]) if len(x) >= 2}
    names |= {a for r in _toml("regions.toml")["region"] for a in r.get("aliases", [])}
    return tuple(sorted(names, key=lambda n: (-len(n), n)))


@lru_cache(maxsize=1)
def places() -> Places:
    """Shaanxi places -> the regions documents carry; places outside Shaanxi recognised.

    >>> p = places()
    >>> p.regions_in("雁塔区开公司"), p.regions_in("宝鸡的政策"), p.foreign_in("成都和浙江怎么规定")
    (['西安市'], ['渭滨区'], ['成都', '浙江'])
    """
    rows = _place_rows()
    patterns: list[tuple[str, str]] = []
    for r in _toml("regions.toml")["region"]:
        names = list(r.get("aliases", []))
        if city := r.get("city"):
            names += [x for row in rows if row[5] == city for x in (row[0], row[1]) if len(x) >= 2]
        alt = "|".join(re.escape(n) for n in sorted(set(names), key=len, reverse=True))
        guard = f"(?!{r['exclude_before']})" if r.get("exclude_before") else ""
        patterns.append((f"(?:{alt}){guard}", r["name"]))
    outside = {x for row in rows if row[4] != "陕西省" for x in (row[0], row[1]) if len(x) >= 2}
    foreign = re.compile("|".join(re.escape(n) for n in sorted(outside, key=len, reverse=True)))
    return Places(tuple(patterns), foreign)
