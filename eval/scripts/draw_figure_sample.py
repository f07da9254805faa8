#!/usr/bin/env python3
"""Draw the sentence sample behind eval/figures-sample.jsonl (hand-labelled figures).

Reproduces the draw exactly (written 2026-12-02):

    cd /work/main
    .venv/bin/qa-service corpus export --format jsonl > /tmp/fig-items.jsonl
    python3 eval/scripts/draw_figure_sample.py /tmp/fig-items.jsonl

prints one line per sampled sentence, ``item_id<TAB>sentence``, in corpus order
(``--jsonl`` prints {"item_id", "doc", "sentence"} objects instead).  If the path
is omitted, /tmp/fig-items.jsonl is used, and created with the command above when
it does not exist.  Standard library only; the extractor under test is not used.

Procedure
1. Every exported item (all kinds: header, preamble, notice, goal, task, measure,
   table_row, case_study, signature, ...) in export order; its text is split into
   sentences at 。 ； ; and newlines; all whitespace is removed from each piece;
   empty pieces are dropped.  The delimiters are not part of the sentence.
2. A sentence is a candidate when, after removing item numbering at its start
   (e.g. "1." "1．" "（二）" "(三)" "一、" "①"), it contains an Arabic digit or a
   Chinese numeral (一二两三四五六七八九十百千万亿半) directly followed, optionally
   after one of 个/余/多, by a unit or counter from UNITS below.
3. rng = random.Random(1202).  Documents in order of first appearance in the
   export; for each document, if it has <= 4 candidates all are taken, else
   rng.sample(its candidates, 4).  Then rng.sample(remaining candidates in corpus
   order, 140 - taken) fills the sample up to 140.  Output is sorted in corpus order.
"""
from __future__ import annotations

import json
import os
import random
import re
import subprocess
import sys

SEED = 1202
PER_DOC = 4
TOTAL = 140
DEFAULT_PATH = "/tmp/fig-items.jsonl"

# Longer alternatives first so the regex prefers them (only membership matters).
UNITS = [
    "个工作日", "工作日", "自然日", "小时", "分钟", "个月", "季度", "周",
    "日", "天", "月", "年",
    "%", "％", "亿元", "万元", "元",
    "平方米", "平方公里", "立方米", "千瓦", "千伏安", "千伏", "公里", "千米", "米", "亩", "吨",
    "项", "个", "家", "次", "人", "名", "户", "件", "条", "张", "份", "套", "台", "所",
    "种", "类", "批", "环节", "倍",
]
NUMERAL = r"(?:\d|[一二两三四五六七八九十百千万亿半])"
CANDIDATE_RE = re.compile(NUMERAL + r"[个余多]?(?:" + "|".join(map(re.escape, UNITS)) + ")")
LEADING_NUMBERING_RE = re.compile(
    r"^(?:"
    r"\d{1,3}[.．、](?!\d)"                     # 1.  1．  1、   (not 0.5)
    r"|[（(][一二三四五六七八九十\d]{1,4}[）)]"   # （二） (三) （1）
    r"|[一二三四五六七八九十]{1,3}、"            # 一、
    r"|[①②③④⑤⑥⑦⑧⑨⑩]"
    r")+"
)
SPLIT_RE = re.compile(r"[。；;\n\r]")
WS_RE = re.compile(r"\s+")


def sentences(text: str) -> list[str]:
    out = []
    for piece in SPLIT_RE.split(text or ""):
        s = WS_RE.sub("", piece)
        if s:
            out.append(s)
    return out


def is_candidate(sentence: str) -> bool:
    return bool(CANDIDATE_RE.search(LEADING_NUMBERING_RE.sub("", sentence, count=1)))


def load_items(path: str) -> list[dict]:
    if not os.path.exists(path):
        with open(path, "w", encoding="utf-8") as fh:
            subprocess.run([".venv/bin/qa-service", "corpus", "export", "--format", "jsonl"],
                           check=True, stdout=fh, cwd=os.path.join(os.path.dirname(__file__), "..", ".."))
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def candidates(items: list[dict]) -> list[dict]:
    out = []
    for item in items:
        for k, s in enumerate(sentences(item.get("text", ""))):
            if is_candidate(s):
                out.append({"pos": len(out), "item_id": item["id"], "doc": item["doc_id"],
                            "sentence_index": k, "sentence": s})
    return out


def draw(cands: list[dict]) -> list[dict]:
    rng = random.Random(SEED)
    docs: list[str] = []
    for c in cands:
        if c["doc"] not in docs:
            docs.append(c["doc"])
    taken: list[dict] = []
    for d in docs:
        pool = [c for c in cands if c["doc"] == d]
        taken += pool if len(pool) <= PER_DOC else rng.sample(pool, PER_DOC)
    chosen = {c["pos"] for c in taken}
    rest = [c for c in cands if c["pos"] not in chosen]
    taken += rng.sample(rest, TOTAL - len(taken))
    return sorted(taken, key=lambda c: c["pos"])


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    path = args[0] if args else DEFAULT_PATH
    items = load_items(path)
    cands = candidates(items)
    sample = draw(cands)
    if "--stats" in argv:
        from collections import Counter
        per = Counter(c["doc"] for c in cands)
        print(f"# items {len(items)}  candidates {len(cands)}  sampled {len(sample)}", file=sys.stderr)
        for d, n in per.items():
            print(f"#   {d}: {n} candidates, {sum(1 for c in sample if c['doc'] == d)} sampled", file=sys.stderr)
    for c in sample:
        if "--jsonl" in argv:
            print(json.dumps({"item_id": c["item_id"], "doc": c["doc"], "sentence": c["sentence"]},
                             ensure_ascii=False))
        else:
            print(f"{c['item_id']}\t{c['sentence']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
