"""Each wrong pair (label vs extracted row): figures-train (all lines), figures-sample (dev half ONLY — the held half is skipped before anything is printed).

Run: PYTHONPATH=. python scripts/figures_wrong_pairs.py [train|dev|both]"""
import json
import sys
from pathlib import Path
from qa_service.evaluation.figures import half, pair_sentence
from qa_service.corpus.loader import load_corpus
from qa_service.config import Settings

corpus = load_corpus(Settings().corpus_dir)

def rowstr(r):
    return f"{r.text}|v={r.value}{'-'+str(r.value_max) if r.value_max else ''}|{r.unit_class}|m={r.measure}|s={r.subcase}|c={r.comparator}|q={r.qualifier}|{r.kind}|key={r.measure_key}"

def labstr(l):
    return f"{l.get('text')}|v={l['value']}{'-'+str(l['value_max']) if l.get('value_max') is not None else ''}|{l['unit_class']}|m={l.get('measure')}|s={l.get('subcase')}|c={l.get('comparator')}|q={l.get('qualifier')}|{l['kind']}"

def run(path, only_dev):
    n = 0
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        x = json.loads(line)
        if only_dev and half(x["item_id"]) != "dev":
            continue  # never look at the held half
        it = corpus.item(x["item_id"])
        ctx = "|".join([it.title or "", *it.heading_path]) if it else ""
        bad = []
        for p in pair_sentence(x["sentence"], x.get("figures", []), ctx):
            lab, r = p.label, p.row
            if lab is not None and lab.get("kind") == "other":
                if r is not None and r.kind in ("commitment", "count"):
                    bad.append(("OTHER-ANSWERS", lab, r))
                continue
            if lab is None or r is None or not p.right():
                bad.append(("WRONG", lab, r))
        if bad:
            n += len(bad)
            print(f"\n## {x['item_id']} [{half(x['item_id'])}] {x['sentence']}")
            for tag, lab, r in bad:
                print(f"  {tag}\n    L: {labstr(lab) if lab else '-'}\n    R: {rowstr(r) if r else '-'}")
                if lab and lab.get('note'):
                    print(f"    note: {lab['note']}")
    print(f"\n{n} wrong in {path}")

which = sys.argv[1] if len(sys.argv) > 1 else "both"
if which in ("train", "both"):
    run("eval/figures-train.jsonl", False)
if which in ("dev", "both"):
    run("eval/figures-sample.jsonl", True)
