"""CPU cost of one question through QAService.ask, index loaded, query cache off:
a normal new question, a 500-character random one, and a short follow-up after 5 turns
of 500 random characters. Prints one JSON line (median CPU ms over rounds).

    PYTHONPATH=. python scripts/measure_cost.py [--rounds 5]
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import time

from qa_service.config import Settings
from qa_service.service import QAService

NORMAL = ["企业开办要几天", "信用修复要多久", "西咸新区用水报装是哪个局牵头的", "简易注销的税务反馈时限", "工程建设项目审批要多久"]


def random_text(rng: random.Random, n: int) -> str:
    return "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(n))  # random CJK: unknown to every cache


def cpu_ms(fn) -> float:
    t = time.process_time()
    fn()
    return (time.process_time() - t) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    qa = QAService.from_settings(Settings(query_cache=0), progress=False)
    rng = random.Random(13)
    qa.ask("预热")  # model and jieba loaded before the clock
    normal, long_q, history = [], [], []
    for r in range(args.rounds):
        q = NORMAL[r % len(NORMAL)] + rng.choice("，。") + random_text(rng, 2)  # new to the service each round
        normal.append(cpu_ms(lambda q=q: qa.ask(q)))
        long_q.append(cpu_ms(lambda: qa.ask(random_text(rng, 500))))
        turns = [random_text(rng, 500) for _ in range(5)]
        history.append(cpu_ms(lambda turns=turns: qa.ask("那注销呢？", history=turns)))
    med = {k: round(statistics.median(v), 1) for k, v in (("normal_new_ms", normal), ("random_500_ms", long_q),
                                                           ("followup_5x500_history_ms", history))}
    med["random_500_ratio"] = round(med["random_500_ms"] / med["normal_new_ms"], 1)
    med["history_ratio"] = round(med["followup_5x500_history_ms"] / med["normal_new_ms"], 1)
    print(json.dumps(med))


if __name__ == "__main__":
    main()
