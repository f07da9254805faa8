"""Metamorphic checks: harmless rewordings of a question must not change its answer.

For every in-scope gold question, ``variants`` makes the rewordings people really type —
a polite prefix or suffix, a test label (测试：), other punctuation, one homophone typo in a
topic word, traditional characters, an English word for a glossary term — and the service
must give each the same found decision and the same first citation as the question itself.
The rules are general (no rewording is written for a question), and deterministic: the
typo's position and character come from a hash of the question.

>>> [name for name, _ in variants("企业开办要几天？")][:4]
['prefix', 'suffix', 'label', 'punctuation']
>>> dict(variants("企业开办要几天？"))["traditional"]
'企業開辦要幾天？'
"""
from __future__ import annotations

import hashlib
import re
import tomllib
from functools import lru_cache

from ..lexicon import HERE, domain_terms

PREFIXES = ("请问", "您好，", "麻烦问一下，")
SUFFIXES = ("谢谢", "？谢谢！", "，急")


def _pick(question: str, options: tuple | list, salt: str):
    h = int(hashlib.sha1((salt + question).encode()).hexdigest(), 16)
    return options[h % len(options)]


def variants(question: str) -> list[tuple[str, str]]:
    """(kind, reworded question) pairs; kinds that do not apply to the question are left out."""
    q = question.strip()
    out = [
        ("prefix", _pick(q, PREFIXES, "p") + q),
        ("suffix", q.rstrip("？?。") + _pick(q, SUFFIXES, "s")),
        ("label", "测试：" + q),
        ("punctuation", re.sub(r"[？?。！!，,、]", " ", q).strip()),
    ]
    if typo := homophone_typo(q):
        out.append(("typo", typo))
    out.append(("traditional", _s2t().convert(q)))
    if english := english_term(q):
        out.append(("english", english))
    return out


@lru_cache(maxsize=1)
def _s2t():
    import opencc

    return opencc.OpenCC("s2t")


@lru_cache(maxsize=1)
def _homophones() -> dict[str, list[str]]:
    """Toneless pinyin -> common characters with it (the characters of the domain terms and of
    the stop words give a set people type every day)."""
    from pypinyin import lazy_pinyin

    chars = sorted({c for w in domain_terms() for c in w if "\u4e00" <= c <= "\u9fff"})
    out: dict[str, list[str]] = {}
    for c in chars:
        out.setdefault(lazy_pinyin(c)[0], []).append(c)
    return out


def homophone_typo(question: str) -> str | None:
    """One character of a domain term in the question replaced by another with the same pinyin
    (准营 -> 准映 is what an IME gives when the wrong candidate is picked)."""
    from pypinyin import lazy_pinyin

    terms = [t for t in domain_terms() if len(t) >= 2 and t in question]
    if not terms:
        return None
    term = _pick(question, sorted(terms), "t")
    table = _homophones()
    for k in range(len(term)):
        i = (int(hashlib.sha1(question.encode()).hexdigest(), 16) + k) % len(term)
        others = [c for c in table.get(lazy_pinyin(term[i])[0], []) if c != term[i]]
        if others:
            wrong = term[:i] + _pick(question, others, "c") + term[i + 1 :]
            return question.replace(term, wrong, 1)
    return None


@lru_cache(maxsize=1)
def _glossary() -> list[tuple[str, str]]:
    data = tomllib.loads((HERE / "glossary.toml").read_text(encoding="utf-8"))
    return [(t, e["english"]) for e in data["term"] for t in e["terms"] if re.search(r"[\u4e00-\u9fff]", t)]


def english_term(question: str) -> str | None:
    """The first glossary term of the question written in English (营业执照 -> license)."""
    for term, english in _glossary():
        if term in question and term != "企业":  # 企业 is in nearly every question; a rarer term says more
            return question.replace(term, f" {english} ", 1).strip()
    return None


def invariance(qa, questions) -> dict:
    """Share of (question, variant) pairs with the same found decision and first citation."""
    rows, same = [], 0
    by_kind: dict[str, list[int]] = {}
    for q in questions:
        base = qa.ask(q.question, history=q.history or None, mode="extractive")
        key = (base.found, base.citations[0].item_id if base.found and base.citations else None)
        for kind, text in variants(q.question):
            a = qa.ask(text, history=q.history or None, mode="extractive")
            ok = (a.found, a.citations[0].item_id if a.found and a.citations else None) == key
            same += ok
            by_kind.setdefault(kind, []).append(ok)
            if not ok:
                rows.append({"id": q.id, "kind": kind, "variant": text, "found": a.found, "base_found": base.found})
    total = sum(len(v) for v in by_kind.values())
    return {
        "pairs": total,
        "invariance": round(same / total, 4) if total else None,
        "by_kind": {k: round(sum(v) / len(v), 4) for k, v in sorted(by_kind.items())},
        "changed": rows,
    }
