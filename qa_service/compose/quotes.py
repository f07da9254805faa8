"""Which words answer a question and which sentences of a clause say them.

The extractive composer quotes, it does not write: these functions choose the sentences
it quotes (the ones sharing the most, and the longest, words with the question, with a
bonus for the kind of figure asked for) and the words that say what the question is about.
"""
from __future__ import annotations

import re

from ..retrieve.retriever import SearchResult
from .params import PARAMS
from .sentences import INTENT_UNITS, figures, split_sentences

TIME_UNITS = INTENT_UNITS["time"]
AMOUNT_UNITS = INTENT_UNITS["amount"]


def query_terms(result: SearchResult) -> list[str]:
    """Words that should occur in an answering sentence: the question's and its policy synonyms."""
    from ..retrieve.query import STOP_TERMS

    plan = result.plan
    raw = re.findall(r"[\u4e00-\u9fffA-Za-z0-9]{2,}", plan.normalized)
    words = set()
    for chunk in raw:
        for n in range(min(len(chunk), PARAMS.max_gram), 1, -1):
            for i in range(len(chunk) - n + 1):
                words.add(chunk[i : i + n])
    words |= set(plan.expansions)
    return sorted((w for w in words if w not in STOP_TERMS), key=len, reverse=True)


def sentence_score(sentence: str, terms: list[str], intents: set[str]) -> float:
    score = 0.0
    covered: list[str] = []
    for t in terms:
        if t in sentence and not any(t in c for c in covered):
            covered.append(t)
            score += len(t) ** PARAMS.term_power
    units = {f.unit_class for f in figures(sentence)}
    if "time" in intents and units & TIME_UNITS:
        score += PARAMS.time_bonus
    if "amount" in intents and units & AMOUNT_UNITS:
        score += PARAMS.amount_bonus
    if "when" in intents and "date" in units:
        score += PARAMS.when_bonus
    if "material" in intents and re.search(PARAMS.material_words, sentence):
        score += PARAMS.material_bonus
    return score


def best_sentences(text: str, terms: list[str], intents: set[str], limit: int = PARAMS.quote_sentences,
                   max_chars: int = PARAMS.quote_chars, title: str | None = None) -> tuple[str, float]:
    """The clause's best one or two sentences, in the clause's order, and the best one's score.
    A clause's heading names what it is about, the sentence after it what is done: the heading
    (``title``) is never quoted alone.

    >>> best_sentences("全面推广一码管地。" + "对全市所有宗地统一赋码，" * 8 + "实现全业务一码管地。", ["一码管地"], set(), title="全面推广一码管地")[0][:14]
    '全面推广一码管地。对全市所有'
    """
    sents = split_sentences(text)
    if len(text) <= PARAMS.quote_whole_chars or len(sents) == 1:
        return text, sentence_score(text, terms, intents)
    scored = sorted(((sentence_score(s, terms, intents), k, s) for k, s in enumerate(sents)), reverse=True)
    best = scored[0][0]
    chosen = [scored[0]]
    for sc, k, s in scored[1:limit]:
        if sc >= PARAMS.second_sentence_share * best and sc > 0 and sum(len(c[2]) for c in chosen) + len(s) <= max_chars:
            chosen.append((sc, k, s))
    if title and len(chosen) == 1 and chosen[0][1] == 0 and sents[0].rstrip("。；;：:") == title.rstrip("。；;：:"):
        chosen.append(next(c for c in scored if c[1] == 1))  # the heading alone says nothing done
    chosen.sort(key=lambda c: c[1])  # keep the clause's own order
    return "".join(c[2] for c in chosen), best


def topic_terms(plan, head: str) -> list[str]:
    """What the question is about, in the words of the best clause: 企业开办, 办电, 政府投资 …"""
    import jieba

    from ..retrieve.answerability import GENERIC_NOUNS
    from ..retrieve.query import STOP_TERMS, TIME_TERMS, WHO_TERMS

    skip = set(TIME_TERMS) | set(WHO_TERMS) | STOP_TERMS | GENERIC_NOUNS
    # a synonym names the topic (企业开办 = 开办企业) when the clause or the question uses it:
    # 报装 expands to 用水报装 and 用电报装 alike, and only one of them is asked about
    words = [w for w in plan.expansions if w not in skip and (w in head or w in plan.normalized)]
    words += [w for w in jieba.lcut_for_search(plan.normalized) if len(w) >= PARAMS.topic_word_chars and w in head and w not in skip]
    asks = TIME_TERMS + WHO_TERMS + ("多少", "几个", "多久", "多长")
    words += [w for w in shared_phrases(plan.normalized, head, skip) if not any(a in w for a in asks)]
    return list(dict.fromkeys(words))[: PARAMS.max_topic_terms]


def shared_phrases(question: str, head: str, skip: set[str], min_len: int = PARAMS.shared_phrase_chars) -> list[str]:
    """The longest runs of the question's words that the clause repeats verbatim
    (政府投资 in 政府投资的工程项目 and 政府投资项目审批), which jieba splits apart.

    >>> shared_phrases("政府投资的工程项目审批要多久", "政府投资项目审批时间压减至90个工作日", set())
    ['政府投资', '项目审批']
    """
    out: list[str] = []
    for chunk in re.findall(r"[\u4e00-\u9fff]+", question):
        i = 0
        while i <= len(chunk) - min_len:
            n = min_len
            if chunk[i : i + n] not in head:
                i += 1
                continue
            while i + n < len(chunk) and chunk[i : i + n + 1] in head:
                n += 1
            w = chunk[i : i + n]
            if w not in skip:
                out.append(w)
            i += n
    return out


def required_terms(result: SearchResult) -> list[str]:
    """The question's topic words that the best clauses use (上市 and 奖励; not 打算, which no
    clause says, nor a place name): a clause that answers names all of them."""
    from ..retrieve.query import REGIONS

    near = "".join(h.item.text for h in result.hits[: PARAMS.required_depth])
    return [w for w in result.key_terms if w in near and not any(re.fullmatch(p, w) for p, _ in REGIONS)]


def has_figure(text: str, units: set[str]) -> bool:
    """Does the text state a figure in one of these units?"""
    return any(f.unit_class in units for f in figures(text))
