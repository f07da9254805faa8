"""The retriever: question (+ filters) -> ranked clauses with scores, for API, UI, CLI and eval.

>>> from qa_service.config import Settings
>>> r = Retriever.from_settings(Settings())                     # doctest: +SKIP
>>> res = r.search("企业开办要几天", SearchFilters(region="西安"))  # doctest: +SKIP
>>> res.found, res.hits[0].item.id                               # doctest: +SKIP
(True, 'xa-2022-tasks:s2.t1.19')
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..config import Settings
from ..index.embedders import Embedder, load_embedder
from ..index.keyword import BIGRAM
from ..index.store import LoadedIndex, ensure_index
from ..models import Hit, Scope, SearchFilters
from ..index.passages import passage_text
from .answerability import DEFAULT_FILE, Calibration, Features, coverage, evidence_rule, shipped_calibration
from .neighbours import Neighbours
from .topic import Topic
from .hybrid import DEFAULT_WEIGHTS, FusionWeights, hybrid_rank
from .. import lexicon
from ..lexicon import function_words, generic_nouns, question_words
from ..index.sentences import best_sentence_scores
from .typos import TypoCorrector
from .query import TIME_TERMS, WHO_TERMS, QueryPlan, analyze
from .vectors import QueryVectors

INTENT_EXPANSIONS = (TIME_TERMS, WHO_TERMS)
_PLACES = lexicon.places()

# how much each kind of item counts when the question is not about the document itself
KIND_WEIGHT = {"header": 0.75, "signature": 0.3, "footer": 0.2, "attachments": 0.3, "notice": 0.9}
REGION_BOOST = 1.2
DIVERSITY = 1.0  # <1 makes each further clause of one document count less in the top k (off: it did not help on gold)
FOREIGN_MATCH_BOOST = 1.2
FOREIGN_OTHER = 0.55  # a question about Beijing is not answered by a Xi'an rule


class FilterError(ValueError):
    """A filter value that names nothing in the corpus."""

    def __init__(self, field: str, zh: str, en: str):
        self.field = field
        self.zh, self.en = zh, en
        super().__init__(f"{zh} / {en}")


@dataclass
class SearchResult:
    question: str
    plan: QueryPlan
    hits: list[Hit]
    found: bool
    top_score: float
    confidence: float = 0.0  # probability that the clauses answer the question
    key_terms: list[str] = field(default_factory=list)  # the question's own topic words, rarest in the corpus first


@dataclass(frozen=True)
class Prepared:
    """A question checked against its filters, understood and embedded: the part of a search
    that waits for the model. The service prepares outside its CPU gate, so that questions
    waiting for the model together are embedded in one call (index/batching.py)."""

    question: str
    plan: QueryPlan
    mask: np.ndarray
    vector: np.ndarray


class Retriever:
    def __init__(self, index: LoadedIndex, embedder: Embedder, settings: Settings | None = None, weights: FusionWeights = DEFAULT_WEIGHTS,
                 vectors: QueryVectors | None = None):
        self.index = index
        self.embedder = embedder
        self.settings = settings or Settings()
        self.weights = weights
        self.diversity = DIVERSITY
        docs = index.docs_by_id
        items = index.items
        self.n = len(items)
        self.item_doc = [docs[i.doc_id] for i in items]
        self.region = [d.region or "" for d in self.item_doc]
        self.level = np.array([d.level.value if d.level else "" for d in self.item_doc])
        self.year = np.array([d.year or 0 for d in self.item_doc])
        self.other = np.array([i.scope == Scope.other_province for i in items])
        self.kind = [i.kind for i in items]
        self.source = [i.table_row.source if i.table_row else "" for i in items]
        self._kind_weight = np.array([KIND_WEIGHT.get(k, 1.0) for k in self.kind], dtype=np.float32)
        # a question's places are matched against the few distinct regions and row sources, not every item
        self._regions, self._region_of = np.unique(np.array(self.region, dtype=object), return_inverse=True)
        self._sources, self._source_of = np.unique(np.array(self.source, dtype=object), return_inverse=True)
        self._is_header = np.array([k == "header" for k in self.kind])
        self._is_goal = np.array([k == "goal" for k in self.kind])
        doc_index = {d.id: n for n, d in enumerate(index.documents)}
        self._doc_of = np.array([doc_index[i.doc_id] for i in items])
        # kept vectors and batched model calls; another build of the same service passes its own on
        self.query_vector = vectors or QueryVectors.from_settings(embedder, self.settings)
        self._tags = _word_tags()  # jieba's dictionary tags: a lookup, no tagging on the hot path
        self._topic_stop = question_words() | function_words() | generic_nouns() | set(TIME_TERMS) | set(WHO_TERMS)
        self.calibration = find_calibration(index.manifest, self.settings.embedding_model)
        self.neighbours = load_neighbours(self.calibration, calibration_folder(index.manifest, index.path))
        # a word the corpus never uses weighs as one that occurs in a single clause (the IDF
        # ceiling), not more: an everyday word (撑不住, 拿到) would otherwise outweigh the topic
        self._idf_ceiling = max(index.bm25.idf.values(), default=9.0)
        self._fulltext = "".join(i.text for i in items) + "".join(d.title + (d.attachment_title or "") for d in index.documents)
        freq = _general_counts()  # jieba's own counts: the domain dictionary gives its terms made-up ones
        self.typos = TypoCorrector((w for w in index.bm25.idf if not w.startswith(BIGRAM)), frequency=lambda w: freq.get(w, 0),
                                   segment=lambda run: index.tokenizer._jieba.lcut(run, HMM=False),
                                   function=frozenset(c for w in function_words() | question_words() if len(w) == 1 for c in w),
                                   tag=self._tags.get, keep=_lexicon_word)

    @classmethod
    def from_settings(cls, settings: Settings, progress: bool = False) -> "Retriever":
        index = ensure_index(settings, progress=progress)
        return cls(index, load_embedder(settings.embedding_model, settings.embed_threads, settings.query_threads, settings.fast_engine), settings)

    # -- filters ---------------------------------------------------------------
    def known_regions(self) -> list[str]:
        return sorted({r for r in self.region if r})

    def filter_mask(self, f: SearchFilters | None) -> np.ndarray:
        mask = np.ones(self.n, dtype=bool)
        if f is None:
            return mask
        if f.region:
            want = f.region.strip()
            hits = [r for r in self.known_regions() if r.startswith(want) or want.startswith(r.split("（")[0]) or r.split("（")[0].rstrip("市区") == want]
            if not hits:
                raise FilterError("region", f"未知地区：{want}（可选：{'、'.join(self.known_regions())}）",
                                  f"unknown region {want!r}; known: {', '.join(self.known_regions())}")
            mask &= np.array([r in hits for r in self.region])
        if f.level:
            mask &= self.level == f.level.value
        if f.doc:
            d = self.index.document(f.doc)
            if d is None:
                raise FilterError("doc", f"找不到文件：{f.doc}", f"no document matches {f.doc!r}")
            mask &= np.array([x.id == d.id for x in self.item_doc])
        if f.year_from:
            mask &= self.year >= f.year_from
        if f.year_to:
            mask &= self.year <= f.year_to
        if f.year_from and f.year_to and f.year_from > f.year_to:
            raise FilterError("year_from", "起始年份晚于截止年份", "year_from is after year_to")
        if not f.include_other_provinces:
            mask &= ~self.other
        return mask

    # -- scoring -----------------------------------------------------------------
    def dense_scores(self, plan: QueryPlan) -> np.ndarray:
        return self._dense(self.query_vector(plan.dense_text))

    def _dense(self, q: np.ndarray) -> np.ndarray:
        k = self.n if self.index.manifest.get("faiss_index", "flat") == "flat" else min(self.n, 512)
        sims, ids = self.index.faiss_index.search(q, k)
        out = np.zeros(self.n, dtype=np.float32)
        valid = ids[0] >= 0
        out[ids[0][valid]] = sims[0][valid]
        if self.index.sentence_vectors is not None and self.index.sentence_starts is not None:
            # a clause is as close as the mean of its whole text and its best sentence (index/sentences.py)
            out = (out + best_sentence_scores(self.index.sentence_vectors, self.index.sentence_starts, q)) / 2
        return out

    def keyword_scores(self, plan: QueryPlan) -> tuple[np.ndarray, float, list[str]]:
        tok = self.index.tokenizer
        words = tok.words(plan.normalized)  # segmented once: the tokens below and the words returned
        original = words + tok.bigrams_of(plan.normalized)
        extra = plan.expansions + plan.variants  # variants (同义词词林) count for keywords only: the dense text stays short
        seen = set(original)
        expanded = [t for t in tok(" ".join(extra)) if t not in seen] if extra else []
        weights = {t: 0.6 for t in expanded}
        scores = self.index.bm25.scores(original + expanded, weights)
        return scores, self.index.bm25.max_score(original), list(words)

    def boosts(self, plan: QueryPlan) -> np.ndarray:
        """Multipliers per item: kinds that rarely answer, the region named, a place outside Shaanxi."""
        b = self._kind_weight.copy()
        if "doc" in plan.intents:
            b[self._is_header] = 1.25
        if "goal" in plan.intents:
            b[self._is_goal] *= 1.3
        if plan.regions:
            named = np.array([any(r.startswith(x) for x in plan.regions) for r in self._regions])
            b[named[self._region_of]] *= REGION_BOOST
        if plan.foreign_regions and not plan.regions:
            match = self.other & np.array([any(f in s for f in plan.foreign_regions) for s in self._sources])[self._source_of]
            b = np.where(match, b * FOREIGN_MATCH_BOOST, b * FOREIGN_OTHER)
        return b

    def search(self, question: str, filters: SearchFilters | None = None, top_k: int | None = None, min_confidence: float | None = None) -> SearchResult:
        return self.rank(self.prepare(question, filters), top_k, min_confidence)

    def prepare(self, question: str, filters: SearchFilters | None = None) -> Prepared:
        """What :meth:`rank` needs; the question's vector comes from the cache, else from the model
        in one call with the other questions waiting for it (FilterError for a filter that names nothing)."""
        mask = self.filter_mask(filters)  # a filter that names nothing fails before the model runs
        plan = self.understand(question)
        return Prepared(question, plan, mask, self.query_vector(plan.dense_text))

    def rank(self, prepared: Prepared, top_k: int | None = None, min_confidence: float | None = None) -> SearchResult:
        """The clauses for a prepared question, ranked, with the found / not-found decision."""
        top_k = top_k or self.settings.top_k
        question, plan, mask = prepared.question, prepared.plan, prepared.mask
        dense = self._dense(prepared.vector)
        kw, ideal, words = self.keyword_scores(plan)
        ranked = hybrid_rank(dense, kw, keyword_ideal=ideal, mask=mask, boost=self.boosts(plan), weights=self.weights, top_k=top_k,
                              groups=self._doc_of, diversity=self.diversity)
        hits = []
        marks = highlight_candidates(words)  # sorted once for the whole pool, not once per clause
        for i, score, d, k in ranked:
            item = self.index.items[i]
            hits.append(Hit(item=item, document=self.item_doc[i], score=round(score, 4), dense=round(d, 4), keyword=round(k, 4),
                            highlights=highlight_terms(item.text, marks)))
        top = hits[0].score if hits else 0.0
        conf, found = self.decide(plan, dense, hits, words, min_confidence, prepared.vector) if hits else (0.0, False)
        return SearchResult(question, plan, hits, found, top, round(conf, 4), key_terms=self.key_terms(plan, words))

    def understand(self, question: str) -> QueryPlan:
        """The question analysed, after one-character typos are mended against the corpus's words."""
        plan = analyze(question)
        fixed, fixes = self.typos.correct(plan.normalized)
        if fixes:
            plan = analyze(fixed)
            plan.original, plan.corrections = question, fixes
        return plan

    def key_terms(self, plan: QueryPlan, words: list[str]) -> list[str]:
        """The question's topic words that the corpus uses, rarest first (上市 before 企业 and 奖励):
        a clause that lacks the first one is about something else."""
        idf = self.index.bm25.idf
        topic = [w for w in _topic_words(plan, words) if w in idf and w in plan.normalized]
        return sorted(topic, key=lambda w: -idf[w])

    @staticmethod
    def _foreign_row_answers(plan: QueryPlan, hits: list[Hit], words: list[str]) -> bool:
        """Only another province's practice (a 省外经验 row of that place) that shares a topic word can answer."""
        rows = [h.item for h in hits if h.item.scope == Scope.other_province and h.item.table_row
                and any(f in h.item.table_row.source for f in plan.foreign_regions)]
        topic = _topic_words(plan, words)
        return any(w in r.text for r in rows for w in topic)

    def decide(self, plan: QueryPlan, dense: np.ndarray, hits: list[Hit], words: list[str],
               min_confidence: float | None = None, vector: np.ndarray | None = None) -> tuple[float, bool]:
        """(confidence, found): the calibrated probability and its threshold, or without a
        calibration the evidence rule (confidence is then the best clause's topic coverage)."""
        foreign = bool(plan.foreign_regions and not plan.regions)
        if foreign and not self._foreign_row_answers(plan, hits[:3], words):
            return 0.0, False  # a question about Chengdu is not answered by Xi'an's rules, nor by an unrelated Chengdu row
        f = self.features(plan, dense, hits, vector)
        if self.calibration is None:
            return f.cover, evidence_rule(f)
        threshold = min_confidence if min_confidence is not None else (
            self.settings.min_confidence if self.settings.min_confidence is not None else self.calibration.threshold)
        p = self.calibration.probability(f)
        return p, p >= threshold

    def names_topic(self, question: str) -> bool:
        """Does the question say what it is about (a topic noun, or a phrase the lexicon maps to a
        policy term), or only what it wants to know (具体多少钱, 哪个部门负责)?"""
        plan = analyze(question)
        asked = {t for i in INTENT_EXPANSIONS for t in i}
        # a place says where, not what: 「西安的文件一样吗」 still asks about the earlier topic
        nouns = [n for n in self.topic(plan).nouns if not _PLACES.regions_in(n) and not _PLACES.foreign_in(n)]
        return bool(nouns) or any(e not in asked for e in plan.expansions)

    def topic(self, plan: QueryPlan) -> Topic:
        tok = self.index.tokenizer
        return Topic.of(plan.normalized, segment=lambda t: tok._jieba.lcut(t, HMM=False), tag=self._tags.get,
                        stop=self._topic_stop, foreign=tuple(plan.foreign_regions))

    def features(self, plan: QueryPlan, dense: np.ndarray, hits: list[Hit], vector: np.ndarray | None = None) -> Features:
        """What the not-found decision looks at (also what qa-service eval calibrate fits); ``vector``
        is the question's (its neighbours are looked up only with it)."""
        topic = self.topic(plan)
        idf = self.index.bm25.idf
        texts = [passage_text(h.document, h.item) for h in hits[:3]]
        per_clause = [coverage(topic.words, idf, t, topic.variants, self._idf_ceiling) for t in texts]
        return Features(
            cos=float(dense.max()),
            cover=max(per_clause, default=0.0),
            cover3=coverage(topic.words, idf, "".join(texts), topic.variants, self._idf_ceiling),
            keyword=hits[0].keyword if hits else 0.0,
            foreign=bool(plan.foreign_regions and not plan.regions),
            absent=topic.absent(self._fulltext),
            neighbours=self.neighbours.margin(vector, plan.normalized) if self.neighbours is not None and vector is not None else 0.0,
        )


def find_calibration(manifest: dict, model: str) -> Calibration | None:
    """The index's own calibration for its model, else the one shipped for it, else None (with a warning)."""
    import logging

    if own := _own_calibration(manifest):
        return Calibration.from_json(own)
    shipped = shipped_calibration(manifest.get("model", model))
    if shipped is None:
        logging.getLogger(__name__).warning(
            "没有为嵌入模型 %s 校准“未找到”判定，改用证据规则（最相关条款须覆盖问题一半以上的主题词）；请运行 qa-service eval calibrate / "
            "no not-found calibration for model %s: using the evidence rule; run `qa-service eval calibrate`",
            manifest.get("model"), manifest.get("model"))
    return shipped


def _own_calibration(manifest: dict) -> dict | None:
    """The calibration stored in the index's manifest, if it is for the index's model."""
    cal = manifest.get("calibration")
    return cal if cal and cal.get("model") == manifest.get("model") else None


def calibration_folder(manifest: dict, index_path: Path | None) -> Path:
    """Where the files of the calibration in use lie: the index's build when it is the index's own
    (``eval calibrate`` stores them there), else beside the shipped calibrations."""
    return Path(index_path) if _own_calibration(manifest) and index_path is not None else DEFAULT_FILE.parent


def load_neighbours(cal: Calibration | None, folder: Path) -> Neighbours | None:
    """The reference questions a calibration was fitted with, from the folder of that calibration."""
    import logging

    if cal is None or not cal.neighbours_file:
        return None
    path = Path(folder) / cal.neighbours_file
    if not path.is_file():
        logging.getLogger(__name__).warning(
            "找不到校准所用的参照问题 %s，“未找到”判定少一项证据；请运行 qa-service eval calibrate / "
            "reference questions %s of the calibration are missing: the not-found decision lacks one feature; "
            "run `qa-service eval calibrate`", cal.neighbours_file, cal.neighbours_file)
        return None
    try:
        return Neighbours.load(path)
    except (OSError, ValueError, KeyError) as e:
        logging.getLogger(__name__).warning("参照问题文件损坏 / reference questions unreadable: %s", e)
        return None


@functools.lru_cache(maxsize=4096)
def _lexicon_word(w: str) -> bool:
    """A word the lexicon maps (营收, 工钱, license) is meant as written, never a typo."""
    return w in lexicon.cilin_map() or any(s.pattern.fullmatch(w) for s in lexicon.synonyms())


@functools.lru_cache(maxsize=1)
def _general_counts() -> dict[str, int]:
    import jieba

    jieba.dt.initialize()
    return jieba.dt.FREQ


@functools.lru_cache(maxsize=1)
def _word_tags() -> dict[str, str]:
    import jieba.posseg

    jieba.posseg.dt.initialize()
    return jieba.posseg.dt.word_tag_tab


def _topic_words(plan: QueryPlan, words: list[str]) -> list[str]:
    from .answerability import GENERIC_NOUNS
    from .query import STOP_TERMS, TIME_TERMS, WHO_TERMS

    skip = STOP_TERMS | GENERIC_NOUNS | set(TIME_TERMS) | set(WHO_TERMS) | set(plan.foreign_regions)
    cand = [w for w in words if len(w) >= 2 and not any(f in w for f in plan.foreign_regions)] + list(plan.expansions)
    return [w for w in dict.fromkeys(cand) if w not in skip]


def highlight_candidates(words: list[str]) -> list[str]:
    """The query words that may be marked in a clause, longest first."""
    return [w for w in sorted(set(words), key=len, reverse=True) if len(w) >= 2 and not w.startswith(BIGRAM)]


def highlight_terms(text: str, candidates: list[str]) -> list[str]:
    """Query words (from :func:`highlight_candidates`) that occur in the clause, longest first (for <mark> in the UI)."""
    seen: list[str] = []
    for w in candidates:
        if w in text and not any(w in s for s in seen):
            seen.append(w)
    return seen


def mark(text: str, terms: list[str], open_: str = "<mark>", close: str = "</mark>") -> str:
    if not terms:
        return text
    rx = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)))
    return rx.sub(lambda m: f"{open_}{m.group(0)}{close}", text)
