"""Figure extraction rules, one class each, on small fixture clauses written for the test (fast)."""
from __future__ import annotations

from qa_service.figures.extract import extract_sentence


def described(sentence: str, context: str = ""):
    return [(r.value, r.unit_class, r.measure, r.subcase, r.qualifier) for r in extract_sentence(sentence, context)
            if r.kind != "date"]


def test_a_hedge_is_a_qualifier_not_part_of_the_measure():
    assert described("仲裁案件原则上不超过45天") == [(45.0, "自然日", "仲裁案件", "", "原则上")]
    assert described("新建5G基站力争达到800个") == [(800.0, "个", "新建5G基站", "", "力争")]
    # 一般 at the start is a name's adjective, not a hedge
    assert described("一般社会投资项目审批时间压减至30个工作日")[0][3] == "一般社会投资项目"


def test_a_clause_naming_only_a_case_repeats_the_measure_before_it():
    got = described("减免审批的事项力争达到60项以上，自由贸易试验区力争达到90项")
    assert got == [(60.0, "项", "减免审批的事项", "", "力争"), (90.0, "项", "减免审批的事项", "自由贸易试验区", "力争")]


def test_a_part_after_qizhong_counts_the_same_things():
    got = described("梳理出40项可推广的创新举措，其中省外12项")
    assert [(v, m, s) for v, _, m, s, _ in got] == [(40.0, "创新举措", ""), (12.0, "创新举措", "省外")]


def test_a_relative_clause_before_a_measured_noun_is_its_case():
    got = described("劳动争议案件审理周期缩短10天，事实清楚的劳动争议案件一般在30天内审结")
    assert got[1][2:] == ("劳动争议案件", "事实清楚的", "一般")
