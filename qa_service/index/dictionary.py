"""The domain dictionary for jieba: policy terms (lexicon/domain_terms.txt) plus terms mined from
the corpus (quoted coinages such as “一网通办”, “秦务员”, “证照分离”).

A coinage joins its parts with 、, + or 即 (“双随机、一公开”, “标准地+承诺制”, “拿地即开工”: when
you get the land you may start building); each part of two or more characters is a term too, so
that a question saying only 拿地 or 交房 finds the words the clause is tokenized into.

>>> "一网通办" in mine_terms(["推进“一网通办”和“好差评”"])
True
>>> [t for t in mine_terms(["推行“拿地即开工”“免申即享”“互联网+监管”"]) if len(t) <= 3]
['互联网', '免申', '开工', '拿地', '监管']
"""
from __future__ import annotations

import re
from collections import Counter
from typing import Iterable

from ..lexicon import domain_terms

# Terms people ask about that jieba would cut apart (data: lexicon/domain_terms.txt); mined
# terms add the corpus's own coinages.
BASE_TERMS = list(domain_terms())

_QUOTED = re.compile(r"[“\"]([\u4e00-\u9fffA-Za-z0-9+、]{2,10})[”\"]")
_JOINS = re.compile(r"[、+＋]|(?<=[\u4e00-\u9fff]{2})即(?=[\u4e00-\u9fff])")  # 即 only between words: not 即时办结


def mine_terms(texts: Iterable[str], min_count: int = 1) -> list[str]:
    """Quoted coinages (“一网通办”, “双随机、一公开” and its parts) found in the texts."""
    c: Counter[str] = Counter()
    for t in texts:
        for m in _QUOTED.findall(t):
            for part in [m, *_JOINS.split(m)]:
                if 2 <= len(part) <= 10 and not part.isdigit():
                    c[part] += 1
    return sorted(w for w, n in c.items() if n >= min_count)


def domain_dictionary(texts: Iterable[str]) -> list[str]:
    return sorted(set(BASE_TERMS) | set(mine_terms(texts)))
