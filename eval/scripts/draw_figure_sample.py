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

Further draws (--exclude, --seed, --total, --per-doc)
    python3 eval/scripts/draw_figure_sample.py /tmp/fig-items.jsonl \
        --exclude eval/figures-sample.jsonl --seed 20261202 --total 100 --per-doc 2 --jsonl

draws eval/figures-train.jsonl (written 2026-12-02), a training sample disjoint from
eval/figures-sample.jsonl.  ``--exclude FILE`` (JSON lines; only the "item_id" and
"sentence" fields are read) removes every candidate whose (item_id, sentence) pair
occurs in FILE; the option may be repeated.  The draw of step 3 then runs on the
remaining candidates with ``--seed`` (default 1202) instead of 1202, ``--per-doc``
(default 4) instead of 4 and ``--total`` (default 140) instead of 140: documents in
order of first appearance among the remaining candidates; per document all its
remaining candidates if it has <= per-doc, else rng.sample(them, per-doc) (per-doc 0
skips this stage); then rng.sample(the rest in corpus order, total - taken) fills up
to total (fewer if the rest runs out).  Output in corpus order, as above.  Without
these options the output is exactly the original draw.
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


def load_excluded(paths: list[str]) -> set[tuple[str, str]]:
    """(item_id, sentence) pairs of earlier samples; no other field is read."""
    out: set[tuple[str, str]] = set()
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    row = json.loads(line)
                    out.add((row["item_id"], row["sentence"]))
    return out


def draw(cands: list[dict], seed: int = SEED, per_doc: int = PER_DOC, total: int = TOTAL,
         exclude: set[tuple[str, str]] | None = None) -> list[dict]:
    if exclude:
        cands = [c for c in cands if (c["item_id"], c["sentence"]) not in exclude]
    rng = random.Random(seed)
    docs: list[str] = []
    for c in cands:
        if c["doc"] not in docs:
            docs.append(c["doc"])
    taken: list[dict] = []
    if per_doc > 0:
        for d in docs:
            pool = [c for c in cands if c["doc"] == d]
            taken += pool if len(pool) <= per_doc else rng.sample(pool, per_doc)
    chosen = {c["pos"] for c in taken}
    rest = [c for c in cands if c["pos"] not in chosen]
    taken += rng.sample(rest, max(0, min(len(rest), total - len(taken))))
    return sorted(taken, key=lambda c: c["pos"])


VALUE_OPTIONS = ("--exclude", "--seed", "--total", "--per-doc")


def parse_args(argv: list[str]) -> tuple[list[str], set[str], dict[str, list[str]]]:
    """Positional args, flags (--jsonl, --stats) and option values (--opt V or --opt=V)."""
    args: list[str] = []
    flags: set[str] = set()
    opts: dict[str, list[str]] = {}
    k = 0
    while k < len(argv):
        a = argv[k]
        name, eq, val = a.partition("=")
        if name in VALUE_OPTIONS:
            if not eq:
                if k + 1 >= len(argv):
                    raise SystemExit(f"{name} needs a value")
                k += 1
                val = argv[k]
            opts.setdefault(name, []).append(val)
        elif a.startswith("--"):
            flags.add(a)
        else:
            args.append(a)
        k += 1
    return args, flags, opts


def main(argv: list[str]) -> int:
    args, flags, opts = parse_args(argv)
    argv = sorted(flags)
    path = args[0] if args else DEFAULT_PATH
    items = load_items(path)
    cands = candidates(items)
    sample = draw(cands,
                  seed=int(opts.get("--seed", [SEED])[-1]),
                  per_doc=int(opts.get("--per-doc", [PER_DOC])[-1]),
                  total=int(opts.get("--total", [TOTAL])[-1]),
                  exclude=load_excluded(opts.get("--exclude", [])))
    if "--stats" in argv:
        from collections import Counter
        per = Counter(c["doc"] for c in cands)
        print(f"# items {len(items)}  candidates {len(cands)}  sampled {len(sample)}", file=sys.stderr)
        if opts.get("--exclude"):
            excl = load_excluded(opts["--exclude"])
            print(f"# excluded {sum(1 for c in cands if (c['item_id'], c['sentence']) in excl)}"
                  f" candidates ({len(excl)} pairs in {', '.join(opts['--exclude'])})", file=sys.stderr)
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
