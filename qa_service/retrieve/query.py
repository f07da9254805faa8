"""What a question asks, in the documents' own words.

People write 开公司要几天 or 报装多久; the documents say 企业开办 … 个工作日 and
用水报装 … 时限. ``analyze`` adds the policy terms, recognizes regions (a
boost for 西安/西咸/渭滨…, and a flag for places outside Shaanxi) and the kind
of answer wanted (a time limit, a department, a document). Every word list it
uses is data in ``qa_service/lexicon/``, each entry with its source.

>>> p = analyze("在西咸开个公司要几天？")
>>> p.regions, sorted(p.intents), "企业开办" in p.expansions
(['西咸新区'], ['time'], True)
>>> analyze("北京落户需要什么条件").foreign_regions
['北京']
>>> analyze("測試：企業開辦要幾天？謝謝").normalized
'企业开办要几天'
"""
from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from .. import lexicon

# The lexicon, under the names the rest of the pipeline reads (patterns as strings, for re.search)
SYNONYMS: list[tuple[str, tuple[str, ...]]] = [(s.pattern.pattern, s.terms) for s in lexicon.synonyms()]
INTENTS: list[tuple[str, str]] = [(i.name, i.pattern.pattern) for i in lexicon.intents()]
REGIONS: list[tuple[str, str]] = list(lexicon.places().region_patterns)
TIME_TERMS: tuple[str, ...] = next(i.expansions for i in lexicon.intents() if i.name == "time")
WHO_TERMS: tuple[str, ...] = next(i.expansions for i in lexicon.intents() if i.name == "who")
# a question naming one utility is about that one only; 报装 alone may be any of them
UTILITIES: tuple[str, ...] = tuple(a for m in lexicon.measures().measures for a in m.aliases if a.endswith("报装"))
STOP_TERMS: frozenset = lexicon.question_words()


DENSE_CHARS = 96  # people's questions are shorter; a 500-character one is embedded as its first 64 and last 32
MAX_DENSE_TERMS = 12  # more added terms than any real question gets (报装多久: 3 utilities + 5 time words)


@dataclass
class QueryPlan:
    original: str
    normalized: str
    expansions: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    foreign_regions: list[str] = field(default_factory=list)
    intents: set[str] = field(default_factory=set)
    variants: list[str] = field(default_factory=list)  # 同义词词林 words for words the corpus never uses (keyword search only)
    corrections: list[tuple[str, str]] = field(default_factory=list)  # (as typed, as the corpus writes it)
    intent_terms: set[str] = field(default_factory=set)  # expansions that only say what is asked (时限, 负责), not about what

    @property
    def dense_text(self) -> str:
        """What the embedding model reads: the question (its start and end when it is long: the
        model's cost grows faster than the text, ~1 ms a character) and the topic's policy terms.
        An intent's words (时限 工作日 压缩 …) are left to keyword search: they are the same for every
        how-long question, so they say nothing of its topic, and each costs the model ~1 ms a token."""
        q = self.normalized
        if len(q) > DENSE_CHARS:
            q = q[: DENSE_CHARS * 2 // 3] + " " + q[-(DENSE_CHARS // 3):]
        extra = [e for e in self.expansions if e not in self.normalized and e not in self.intent_terms][:MAX_DENSE_TERMS]
        return q + (" " + " ".join(extra) if extra else "")

    @property
    def keyword_text(self) -> str:
        return self.dense_text


@lru_cache(maxsize=1)
def _fillers() -> tuple[re.Pattern, re.Pattern]:
    data = tomllib.loads((lexicon.HERE / "fillers.toml").read_text(encoding="utf-8"))
    return re.compile(data["prefix"], re.I), re.compile(data["suffix"], re.I)


@lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def normalize_query(q: str) -> str:
    """Full-width -> half-width (NFKC), traditional -> simplified, no control characters, no
    greeting or label around the question (测试：, 请问, 谢谢), English glossary words in the
    documents' Chinese (license -> 营业执照), no closing punctuation.

    >>> normalize_query("测试：企业开办要几天？谢谢！") == normalize_query("企业开办要几天") == "企业开办要几天"
    True
    """
    q = unicodedata.normalize("NFKC", q)
    q = "".join(ch for ch in q if ch.isprintable() or ch in " \t")
    q = _t2s().convert(re.sub(r"\s+", " ", q).strip())
    prefix, suffix = _fillers()
    core = suffix.sub("", prefix.sub("", q)).strip() or q
    # closing punctuation says nothing the words do not: 「…咋说的？」 is 「…咋说的」 to the model
    core = core.rstrip("？?。！!～~ ") or core
    return lexicon.translate_english(core)


def analyze(question: str) -> QueryPlan:
    q = normalize_query(question)
    plan = QueryPlan(original=question, normalized=q)
    for s in lexicon.synonyms():
        if s.pattern.search(q):
            plan.expansions += [t for t in s.terms if t not in plan.expansions]
    for i in lexicon.intents():
        if i.pattern.search(q):
            plan.intents.add(i.name)
            new = [t for t in i.expansions if t not in plan.expansions]
            plan.expansions += new
            plan.intent_terms.update(new)
    if "报装" in q and not set(UTILITIES) & set(plan.expansions):
        plan.expansions += list(UTILITIES)  # 报装 alone: any of the three, none preferred
    plan.variants = cilin_variants(q)
    places = lexicon.places()
    plan.regions = places.regions_in(q)
    plan.foreign_regions = places.foreign_in(q)
    return plan


def cilin_variants(text: str, longest: int = 4) -> list[str]:
    """Corpus words for the words of ``text`` the corpus never uses (工钱 -> 工资), via 同义词词林.

    >>> cilin_variants("拖欠工钱怎么办")
    ['工资']
    """
    table = lexicon.cilin_map()
    out: list[str] = []
    for run in re.findall(r"[\u4e00-\u9fff]{2,}", text):
        i = 0
        while i < len(run) - 1:
            for n in range(min(longest, len(run) - i), 1, -1):
                terms = table.get(run[i : i + n])
                if terms:
                    out += [t for t in terms if t not in out and t not in text]
                    i += n - 1
                    break
            i += 1
    return out
