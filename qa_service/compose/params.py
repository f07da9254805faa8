"""Every floor, limit and bonus of the composers, in one place, each with why it has its value.

``ComposeParams`` bounds the extractive answer (which clauses are cited, which of their
sentences are quoted, how the answer is laid out); ``FigureParams`` bounds the answer
from the figure table. Scores compared against a floor are the retriever's clause scores
(``Hit.score``) or ``sentence_score`` of a quoted sentence, always relative to the best one.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..lexicon import cues

# the question's cues are lexicon data (qa_service/lexicon/cues.toml, each with its source)
CUES = cues()
# 多少钱 asks for money; 多少 alone may be a count or a share. Shared by both composers.
AMOUNT_WORDS = CUES["amount"]


@dataclass(frozen=True)
class FigureParams:
    """Every bound of the figure answer, with why."""

    max_rows: int = 6  # the 企业开办 answer needs 4 documents; more rows stop being read on a phone
    max_groups: int = 3  # sub-cases shown side by side (无外线 / 有外线 / 小型外线)
    rank_floor: float = 0.3  # a row's clause must score at least this share of the best clause: the pool is 30 deep
    # a measure found through the best clause, not named by the question (disputed_measures): other
    # documents' clauses are swept like other_documents_figures (ComposeParams.figure_floor)
    disputed_floor: float = 0.45
    amount_words: str = AMOUNT_WORDS  # 多少钱 wants money (元, %), not a count or a duration


@dataclass(frozen=True)
class ComposeParams:
    """Every bound of the extractive answer, with why."""

    # --- which clauses are cited --------------------------------------------------------
    candidate_depth: int = 8  # the best 8 of the 30 retrieved may be cited; deeper ones only lend other documents' figures
    several_limit: int = 4  # compare/list questions (分别, 各地): one clause per place, four still read on a phone
    single_limit: int = 3  # one thing asked: the best clause and at most two near-ties; more repeat the same rule
    max_figure_sources: int = 6  # a time/amount question may cite more documents, one per distinct figure
    several_floor: float = 0.6  # several places asked about: a clause under 60% of the best one is not cited
    local_rule_floor: float = 0.6  # 省外经验 answered first: a Shaanxi rule this close (as for several places) is cited too
    near_tie: float = 0.85  # one thing asked about: only clauses nearly as good as the best one are cited too
    several_sentence_floor: float = 0.5  # several places: another place's sentence shares fewer words (not the place name)
    near_tie_sentence_floor: float = 0.8  # one thing asked: a second clause's sentence must say nearly as much as the first's
    figure_floor: float = 0.45  # other documents' differing figures are swept lower than near-ties: they answer the same measure
    rescue_floor: float = 0.6  # a 多久/多少 question whose best clauses give no figure may cite a clause this close that does
    lead_clauses: int = 2  # 哪个部门牵头: the two best clauses naming units; further ones repeat the same units
    goal_items: int = 3  # a document's goals: its header and goal items make up at most three citations
    goal_quote_chars: int = 600  # a goal paragraph this short is one statement of targets (2020年…2022年…): quoted whole
    same_doc_depth: int = 12  # a question about one document looks this deep for that document's goal or answering clause
    required_depth: int = 3  # the topic words a rescued figure must name are those the best 3 clauses use

    # --- which sentences of a clause are quoted ----------------------------------------
    quote_whole_chars: int = 90  # a clause this short is quoted whole: cut, it loses its subject
    quote_sentences: int = 2  # at most two sentences of a long clause: the answer quotes, it does not reprint
    quote_chars: int = 220  # two sentences fit in 220 characters; a longer pair is cut to the best one
    second_sentence_share: float = 0.6  # a second sentence is quoted only when it says 60% as much as the best one
    max_gram: int = 6  # question words are its runs of 2-6 characters; longer runs are phrases no clause repeats
    term_power: float = 1.5  # a shared word counts more than its length: 企业开办 says more than 企业 + 开办 apart
    time_bonus: float = 6  # 多久: a duration outweighs one more 3-character topic word (5.2), not a 4-character one (8)
    amount_bonus: float = 4  # 多少: an amount outweighs one more 2-character word (2.8), not a 3-character one (5.2)
    when_bonus: float = 15  # 啥时候 is answered by the deadline, however many topic words another sentence repeats
    material_bonus: float = 6  # 要交哪几样材料 is answered by the sentence that lists them, not the clause's heading
    max_topic_terms: int = 8  # the topic is a few words (企业开办, 办电): synonyms first, then words the clause repeats
    shared_phrase_chars: int = 4  # verbatim runs of 4+ characters (政府投资); shorter ones are common words
    topic_word_chars: int = 3  # jieba's words of 3+ characters the best clause repeats (上市公司); 2-character ones are too common
    asked_word_chars: int = 3  # a document question's own words (有效期, 适用范围) that its title does not explain

    # --- how the answer is laid out ----------------------------------------------------
    lead_as_units: int = 3  # no lead unit noted: the first three partners are named as responsible
    partner_units: int = 6  # partners listed after the lead; the rest stay in the cited clause
    related: int = 3  # a refusal lists three possibly related clauses, for reference only
    related_chars: int = 120  # ... each cut to a line or two

    # --- what the question asks, in its words ------------------------------------------
    # 哪个部门牵头 wants the units the clause's notes name (not 报给谁 or a phone number)
    lead_asked: str = CUES["lead"]
    # the header's own facts are asked (文号, issuer, date): the header answers, not another clause
    header_asked: str = CUES["header"]
    # 依据哪个文件: the document's preamble names what it follows (为贯彻落实《…》（国办发〔2022〕35号）)
    basis_asked: str = CUES["basis"]
    # a sentence naming materials or a form (《用气申请表》) answers 要交什么
    material_words: str = CUES["material"]
    # compare / list questions: several places' or documents' rules, one clause each
    several_asked: str = CUES["several"]
    amount_words: str = AMOUNT_WORDS  # 多少钱 wants money (元, %), not a count (新增12家)


PARAMS = ComposeParams()
FIGURE_PARAMS = FigureParams()
