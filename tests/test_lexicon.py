"""The lexicon is data with provenance: every entry names its source, every term it maps to
occurs in the corpus, and it loads in one place, quickly."""
from __future__ import annotations

import re
import tomllib

import pytest

from qa_service import lexicon


@pytest.fixture(scope="module")
def corpus_text(corpus):
    return "".join(i.text for i in corpus.items) + "".join(d.title for d in corpus.documents)


def test_every_mapped_term_occurs_in_the_corpus(corpus_text):
    missing = [(s.source, t) for s in lexicon.synonyms() for t in s.terms if t not in corpus_text]
    missing += [("cilin.tsv", t) for ts in lexicon.cilin_map().values() for t in ts if t not in corpus_text]
    missing += [("intents.toml", t) for i in lexicon.intents() for t in i.expansions if t not in corpus_text]
    missing += [("domain_terms.txt", t) for t in lexicon.domain_terms() if t not in corpus_text]
    assert not missing, missing[:20]


def test_every_entry_names_its_source():
    for name, key in [("colloquial.toml", "synonym"), ("glossary.toml", "term"), ("intents.toml", "intent"),
                      ("regions.toml", "region"), ("measures.toml", "measure"), ("measures.toml", "subcase"),
                      ("cues.toml", "cue")]:
        entries = tomllib.loads((lexicon.HERE / name).read_text(encoding="utf-8"))[key]
        assert entries and all(e.get("source", "").strip() for e in entries), name
    for name in ("cilin.tsv", "places.tsv"):
        assert (lexicon.HERE / name).read_text(encoding="utf-8").startswith("# source:"), name


def test_cilin_rows_are_words_the_corpus_does_not_use(corpus_text):
    table = lexicon.cilin_map()
    assert len(table) > 500
    assert not [w for w in table if w in corpus_text][:5]


def test_regions_are_the_ones_documents_carry(corpus):
    carried = {d.region for d in corpus.documents if d.region}
    for _, region in lexicon.places().region_patterns:
        assert any(r.startswith(region) for r in carried), region
    p = lexicon.places()
    assert p.regions_in("在长安区开店") == ["西安市"] and p.regions_in("秦都区") == ["咸阳市"]
    assert p.foreign_in("杭州和广东省的做法") == ["杭州", "广东省"] and p.foreign_in("西安开公司") == []


def test_no_word_lists_left_in_the_python_modules():
    """Literal lists of words (three or more quoted CJK words in a row) belong in lexicon files."""
    import pathlib

    root = pathlib.Path(lexicon.__file__).parents[1]
    offenders = []
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r'"[\u4e00-\u9fff]{2,}(?: [\u4e00-\u9fff]{1,}){8,}', text):
            offenders.append(f"{path.relative_to(root)}: {m.group(0)[:30]}")
    assert not offenders, offenders


def test_question_cues_are_lexicon_data():
    """The modules that read questions (retrieve/, compose/) hold no alternation of words
    (牵头|负责|哪个部门|…): those are in lexicon files with their sources."""
    import pathlib

    root = pathlib.Path(lexicon.__file__).parents[1]
    rx = re.compile(r"(?:[\u4e00-\u9fff]{2,8}\|){4,}[\u4e00-\u9fff]{2,8}")
    offenders = [f"{p.relative_to(root)}: {m.group(0)[:30]}" for d in ("retrieve", "compose")
                 for p in (root / d).rglob("*.py") for m in rx.finditer(p.read_text(encoding="utf-8"))]
    assert not offenders, offenders
    assert re.search(lexicon.cues()["followup_lead"], "那社会投资项目呢") and re.search(lexicon.cues()["lead"], "谁牵头")


def test_typos_homophones_and_glossary_reach_the_documents_terms():
    from qa_service.retrieve.query import analyze

    assert "营业执照" in analyze("怎么办business license").normalized
    assert analyze("請問企業開辦要幾天").normalized == "企业开办要几天"
    assert "餐饮" in analyze("开个火锅店要办什么证").expansions
    assert "工资" in analyze("老板拖欠工钱怎么办").variants


def test_a_question_names_every_case_once_and_a_negated_presence_is_the_absence_case():
    lx = lexicon.measures()
    labels = [s.label for s in lx.cases_named("无外线和有外线的用气报装各要几天")]
    assert labels == ["无外线工程", "有外线工程"]
    # a narrower case hides the broader one printed inside it, an overlapping one too
    assert [s.label for s in lx.cases_named("社会投资小型低风险项目")] == ["社会投资小型低风险项目"]
    assert [s.label for s in lx.cases_named("低压小微企业")] == ["低压小微企业"]
    assert [s.label for s in lx.cases_named("一般社会投资项目和政府投资项目")] == ["一般社会投资项目", "政府投资项目"]
    # people negate the presence (不用挖外线, 没有外线): that is the 无外线 case, not 有外线
    assert [s.label for s in lx.cases_named("不用挖外线的话几天能通气")] == ["无外线工程"]
    assert [s.label for s in lx.cases_named("没有外线要几天")] == ["无外线工程"]


def test_a_lexicon_phrase_inside_a_longer_word_does_not_speak_for_it():
    """信用 maps to 信用修复 (colloquial.toml), but 信用卡 is another word: read inside it, the phrase
    gives it no variant, so a credit-card question is not covered by the credit-repair clauses.
    A phrase that is the word, or spans several words (开个公司), still does."""
    from qa_service.retrieve.topic import Topic

    def of(text: str, words: list[str]) -> Topic:
        return Topic.of(text, segment=lambda s: words, tag=lambda w: "n", stop=frozenset())

    assert of("信用卡逾期", ["信用卡", "逾期"]).variants["信用卡"] == ()
    assert "信用修复" in of("信用怎么修复", ["信用", "怎么", "修复"]).variants["信用"]
    assert "企业开办" in of("开个公司", ["开个", "公司"]).variants["开个"]
