"""The figure table: rows from small fixture clauses (fast) and from the real corpus."""
from __future__ import annotations

import re
from datetime import date

import pytest

from qa_service.figures.extract import extract_sentence
from qa_service.figures.table import FigureTable, build_rows, period_of, validity_note
from qa_service.lexicon import measures
from qa_service.models import Document, Item


def rows(sentence: str, context: str = ""):
    return [(r.value, r.value_max, r.unit_class, r.measure_key, r.subcase, r.kind) for r in extract_sentence(sentence, context)]


@pytest.mark.parametrize("sentence, want", [
    ("企业开办时间压缩到1个工作日以内。", [(1.0, None, "工作日", "企业开办", "", "commitment")]),
    ("全过程办电时间压减至10—12个工作日。", [(10.0, 12.0, "工作日", "获得电力", "", "commitment")]),
    ("满足100万个以上用户同时在线使用。", [(1e6, None, "个", None, "", "commitment")]),
    ("2022年发放创业担保贷款总额5亿元。", [(5e8, None, "元", None, "", "commitment")]),
    ("推动落实11个“一件事”打包办。", [(11.0, None, "个", None, "", "count")]),
    ("将报装材料由5项减少到2项。", [(5.0, None, "项", None, "", "statistic"), (2.0, None, "项", None, "", "commitment")]),
])
def test_fixture_clauses_give_their_rows(sentence, want):
    assert rows(sentence) == want


def test_sub_cases_are_read_and_kept_apart():
    got = rows("无外线施工用气报装时限压减至3个工作日以内，小型外线（含施工）用气报装时限压减至10个工作日以内。")
    assert [(v, sub) for v, _, _, key, sub, _ in got] == [(3.0, "无外线工程"), (10.0, "有外线工程")]
    assert {key for *_, key, _, _ in [(g[0], g[1], g[2], g[3], g[4], g[5]) for g in got]} == {"获得用气"}


def test_respective_lists_pair_each_figure_with_its_case():
    got = rows("将一般社会性投资、政府投资工程项目审批时间分表压减至50、85个工作日。")
    assert [(v, key, sub) for v, _, _, key, sub, _ in got] == [
        (50.0, "工程建设项目审批", "一般社会投资项目"), (85.0, "工程建设项目审批", "政府投资项目")]


def test_a_completion_rate_is_a_qualifier_not_the_promise():
    r = extract_sentence("开办企业全流程“0.5个工作日”办结率达到80%以上。")
    assert (r[0].value, r[0].qualifier) == (0.5, "办结率达到80%以上")
    assert r[1].unit_class == "%" and r[1].measure_key is None  # the 80% is a rate, not 企业开办's time


def test_names_years_and_breakdowns_are_not_the_measures_figures():
    # 最多跑一次 unquoted promises one visit (the sample's convention); the names around it are not figures
    assert rows("实施三年行动方案，推行“一网通办”，最多跑一次。") == [(1.0, None, "次", None, "", "commitment")]
    assert rows("推动更多事项“最多跑一次”，落实“三项改革”。")[0][-1] == "other"
    assert rows("企业在市场主体中占比较上一年度有明显提升。") == []
    steps = extract_sentence("有外线用气报装时限压减至9个工作日以内（其中行政审批3个工作日，燃气企业办理6个工作日）。")
    assert [(r.value, r.measure_key) for r in steps] == [(9.0, "获得用气"), (3.0, None), (6.0, None)]


def test_dates_and_header_dates_never_answer():
    doc = Document(id="d", title="某市2024年工作要点", source_file="x", date="2024-03-01")
    header = Item(id="d:h", doc_id="d", kind="header", text="某市人民政府 2024年3月1日", source_file="x", line_start=1, line_end=1)
    task = Item(id="d:s1", doc_id="d", kind="measure", path=["1."], text="2024年6月底前完成平台改造。", source_file="x",
                line_start=2, line_end=2)
    kinds = {r.item_id: r.kind for r in build_rows([doc], [header, task])}
    assert kinds == {"d:h": "other", "d:s1": "date"}


def test_periods_and_validity(corpus):
    by_id = {d.id: d for d in corpus.documents}
    assert period_of(by_id["xixian-2020"]) == ("2020—2022", "2022-12-31")
    assert period_of(by_id["sx-2023-11"]) is None  # states no period
    d = Document(id="c", title="某市2025年重点任务清单", source_file="x", valid_from="2025-01-01", valid_until="2025-12-31")
    assert validity_note(d, today=date(2025, 6, 1)) is None
    assert validity_note(d, today=date(2026, 1, 1)) == "2025年方案，已到期"
    assert validity_note(d.model_copy(update={"status": "被替代"}), today=date(2025, 6, 1)) == "2025年方案，被替代"


# -- the real corpus ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def table(corpus):
    return FigureTable(build_rows(corpus.documents, corpus.items))


def test_every_row_quotes_its_clause(table, corpus):
    assert len(table.rows) > 300
    for r in table.rows:
        item = corpus.item(r.item_id)
        number = re.match(r"[\d.零〇一二两三四五六七八九十百千半]+", r.text)
        assert r.sentence in item.text and r.excerpt in r.sentence, r
        assert number and number.group(0) in r.sentence, r  # the value as printed (50 of 50、85个工作日)
        assert r.citation.startswith("《") and r.doc_title


def test_no_conflict_pairs_rows_of_different_sub_cases(table):
    from qa_service.figures.keys import comparison_class
    from qa_service.models import Scope

    groups = table.conflicts()
    assert groups, "the corpus has documents that disagree (企业开办 0.5 / 1 / 1.5)"
    for g in groups:
        # one measure (the lexicon's key or the normalized words), one sub-case, one unit class, one kind
        assert len({(r.measure_norm, r.subcase, comparison_class(r.unit_class), r.kind) for r in g.rows}) == 1, g
        assert len({r.measure_key for r in g.rows}) == 1, g  # a keyed row never meets a keyless one
        assert all(r.subcase == g.subcase and r.measure_norm == g.measure_key for r in g.rows), g
        assert any(a.doc_id != b.doc_id and (a.value, a.value_max) != (b.value, b.value_max) for a in g.rows for b in g.rows)
        assert all(r.kind in ("commitment", "count") and r.scope == Scope.rule and r.measure_norm for r in g.rows)
    keys = {g.measure_key for g in groups}
    # measures the lexicon has no key for are compared by their normalized words (网上办税 95% / 98%)
    assert "涉税事项网办率" in keys and "企业开办" in keys


def test_business_start_up_figures_of_three_places(table):
    got = {(r.region, r.value) for r in table.query("企业开办", unit_classes={"工作日"})}
    assert {("西安市", 0.5), ("西咸新区", 1.5)} <= got and any(v == 1.0 for _, v in got)


def test_every_lexicon_alias_occurs_in_the_corpus(corpus):
    text = "".join(i.text for i in corpus.items)
    lx = measures()
    missing = [a for m in lx.measures for a in m.aliases if a not in text]
    assert not missing, f"lexicon terms the corpus never uses: {missing}"
    for s in lx.subcases:
        assert s.pattern.search(text), f"sub-case {s.label} matches nothing in the corpus"
        assert s.source


# -- answers from the table, on the real index --------------------------------------------------
def test_business_start_up_answer_shows_every_place(qa):
    a = qa.ask("企业开办要几天")
    first = a.answer.splitlines()[0]
    assert a.direct and first == a.direct.splitlines()[0]
    for value, region in (("0.5个工作日", "西安市"), ("1个工作日", "陕西省"), ("1.5个工作日", "西咸新区")):
        assert value in first and region in first, first
    assert "办结率达到80%以上" in first  # Xi'an's figure is a completion-rate target, and says so
    by_n = {c.n: c for c in a.citations}
    for v in a.conflicts[0].values:
        c = by_n[v.citation_n]
        assert v.value in c.text and v.region == c.region and v.date == c.date and v.doc_title


def test_every_figure_line_of_an_example_says_it_is_no_shaanxi_rule(qa):
    """Every figure of the real table from another province's practice or a case report, shown
    as an answer line, carries its label; and so does the front page's own question when it
    reaches the 高新区 case (开办企业全流程2小时办结, a result, not a time limit)."""
    from qa_service.compose.figure_answer import _group_line
    from qa_service.figures.table import ANSWERING_KINDS
    from qa_service.models import Scope

    examples = [r for r in qa.index.figures.rows if r.scope != Scope.rule and r.kind in ANSWERING_KINDS]
    assert len({r.scope for r in examples}) == 2, "the 782号 notice holds other provinces' practices and case reports"
    for r in examples:
        line = _group_line([r], {r.item_id: 1}, False)
        label = "【省外经验，非陕西规定】" if r.scope == Scope.other_province else "【典型案例，不是规定】"
        assert label in line, line
    a = qa.ask("西安办营业执照要几天")
    line = next(x for x in a.direct.splitlines() if "2小时" in x)
    assert "【典型案例" in line, a.direct


def test_the_askers_region_comes_first_and_ended_plans_are_marked(qa):
    from qa_service.models import SearchFilters

    a = qa.ask("企业开办要几天", filters=SearchFilters(region="西咸新区"))
    first = a.answer.splitlines()[0]
    assert "1.5个工作日" in first and "已到期" in first and "2020—2022" in first
    assert a.citations[0].region == "西咸新区" and a.citations[0].validity


def test_sub_cases_are_separate_lines_never_one_disagreement(qa):
    a = qa.ask("天然气报装要多久")
    for c in a.conflicts:
        assert len({v.subcase for v in c.values}) == 1, c
    lines = a.direct.splitlines()
    assert any("无外线工程" in line for line in lines) and any("有外线工程" in line for line in lines)
    assert not any("无外线工程" in line and "有外线工程" in line for line in lines)


def test_a_named_case_keeps_its_narrower_cases(qa):
    """低压 asked: the low-voltage cases the documents tell apart (低压非居民用户) answer, the
    general and high-voltage lines do not."""
    a = qa.ask("低压用户办电要多久")
    lines = a.direct.splitlines()
    assert lines and all("低压" in line for line in lines), a.direct
    # the case asked by name comes before its narrower cases, the nearest of them (fewest words
    # added to the asked one) first
    lines = qa.ask("社会投资项目审批要多久").direct.splitlines()
    assert lines[0].startswith("工程建设项目审批（社会投资项目）"), lines
    cases = [re.match(r"^[^（：]*（([^）]*)）", line).group(1) for line in lines[1:]]
    assert len(cases) >= 2 and all("社会" in c and "投资" in c for c in cases), lines
    assert [len(c) for c in cases] == sorted(len(c) for c in cases), cases


def test_a_kind_of_a_measure_answers_under_its_own_name(qa):
    """Every measure the lexicon declares a kind of another (抵押登记 of 不动产登记): asked about the
    broader one, the answer says the documents give none of its own and names the kind on its
    line, never the kind's figure as the broader measure's."""
    lx = measures()
    kinds = [m for m in lx.measures if m.part_of]
    assert kinds
    for m in kinds:
        assert m.part_of in {x.key for x in lx.measures}, m
        a = qa.ask(f"{m.part_of}要多久")
        lines = a.direct.splitlines()
        assert lines[0].startswith(f"文件没有写明{m.part_of}本身"), a.direct
        assert any(line.startswith(f"{m.key}：") for line in lines[1:]), a.direct
        assert not any(line.startswith(f"{m.part_of}：") for line in lines), a.direct
        # the kind asked by name: no such preface
        assert not qa.ask(f"{m.key}要多久").direct.startswith("文件没有写明"), m.key


def test_a_clause_without_the_amount_says_so(qa):
    """Asked for an amount that the answering clause does not give, the answer says so and
    quotes no other programme's amount."""
    a = qa.ask("企业上市奖励多少钱")
    assert a.found and "没有写明具体金额" in a.answer
    assert not any(re.search(r"\d+(?:\.\d+)?万?元", c.quote) for c in a.citations), a.answer


# -- the 指标对照 table over HTTP, on a live server -------------------------------------------------
def test_figures_api_compares_places_for_one_measure(live_server):
    import httpx

    r = httpx.get(live_server.url + "/api/v1/figures", params={"measure": "企业开办"}, timeout=60)
    assert r.status_code == 200, r.text
    body = r.json()
    assert "企业开办" in body["measures"] and body["conflicts"] >= 1
    rows = body["rows"]
    assert {row["measure_key"] for row in rows} == {"企业开办"}
    assert {"西安市", "西咸新区"} <= {row["region"] for row in rows}
    for row in rows:
        assert row["citation"].startswith("《") and row["doc_title"]
        assert re.match(r"[\d.零〇一二两三四五六七八九十百千半]+", row["text"]).group(0) in row["sentence"]  # the figure as printed
    ended = [row for row in rows if row["region"] == "西咸新区"]
    assert ended and all("已到期" in (row["validity"] or "") for row in ended)

    only_xixian = httpx.get(live_server.url + "/api/v1/figures", params={"measure": "企业开办", "region": "西咸"}, timeout=60).json()
    assert only_xixian["rows"] and {row["region"] for row in only_xixian["rows"]} == {"西咸新区"}


def test_figures_api_refuses_bad_parameters_in_our_format(live_server):
    import httpx

    r = httpx.get(live_server.url + "/api/v1/figures", params={"measure": "企" * 41}, timeout=60)
    assert r.status_code == 400 and r.json()["code"] and r.json()["message"]


def test_a_measure_the_lexicon_does_not_name_is_compared_by_its_words(qa):
    """Documents that word one target differently (95%的税费服务事项实现“网上办” / 主要办税事项全程网办率
    达到98%以上) are one disagreement in the answer, each figure with its place and citation."""
    a = qa.ask("网上办税比例是多少")
    assert a.conflicts and {v.value for v in a.conflicts[0].values} >= {"95%", "98%"}, a.answer
    first = a.answer.splitlines()[0]
    assert "渭滨区" in first and "西安市" in first and "已到期" in first


def test_a_question_naming_several_cases_of_one_distinction_gets_each(qa, table):
    """Every pair of cases the table gives figures for under one measure (政府投资 / 社会投资,
    无外线 / 有外线 …), asked together: each case (or a narrower case of it) has its own line.
    Until 2026-12 only the first case of a distinction was kept (14 of these 15 pairs lost one)."""
    from collections import defaultdict
    from itertools import combinations

    lx = measures()
    cases: dict[tuple, dict] = defaultdict(dict)
    for r in table.rows:
        if r.measure_key and r.kind == "commitment" and (s := lx.subcase_of(r.subcase)) and s.label == r.subcase:
            cases[(r.measure_key, s.dimension)][s.label] = s
    pairs = [(key, a, b) for (key, _), named in cases.items() for a, b in combinations(named.values(), 2)]
    assert len(pairs) >= 10
    for key, a, b in pairs:
        direct = qa.ask(f"{a.label}和{b.label}的{lx.aliases(key)[0]}各要多久").direct or ""
        shown = re.findall(r"（([^）]+)）[：，]", direct)
        for s in (a, b):
            assert any(s.pattern.search(c) for c in shown), (a.label, b.label, direct)
