"""The domain dictionary for jieba: policy terms (lexicon/domain_terms.txt) plus terms mined from
the corpus (quoted coinages such as “一网通办”, “秦务员”, “证照分离”).

>>> "一网通办" in mine_terms(["推进“一网通办”和“好差评”"])
True
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


def mine_terms(texts: Iterable[str], min_count: int = 1) -> list[str]:
    """Quoted coinages (“一网通办”, “双随机、一公开” and its parts) found in the texts."""
    c: Counter[str] = Counter()
    for t in texts:
        for m in _QUOTED.findall(t):
            for part in [m, *m.split("、")]:
                if 2 <= len(part) <= 10 and not part.isdigit():
                    c[part] += 1
    return sorted(w for w, n in c.items() if n >= min_count)


def domain_dictionary(texts: Iterable[str]) -> list[str]:
    return sorted(set(BASE_TERMS) | set(mine_terms(texts)))
