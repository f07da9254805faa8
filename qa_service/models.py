"""The one schema shared by the corpus parser, index, retriever, composer, API, UI and CLI.

Every answer cites :class:`Item` s of :class:`Document` s; what the API returns is
built from these classes, never from copies of them.

>>> doc = Document(id="d1", title="某实施方案", source_file="x.txt")
>>> it = Item(id="d1/1", doc_id="d1", kind="measure", number="1.", path=["一、", "1."],
...           text="企业开办时间压减到1个工作日内。", source_file="x.txt", line_start=3, line_end=3)
>>> it.citation_path()
'一、第1条'
"""
from __future__ import annotations

from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Level(str, Enum):
    province = "province"
    city = "city"
    district = "district"
    new_area = "new_area"


class Scope(str, Enum):
    """Whether an item states a rule of the issuing region or something else."""

    rule = "本地政策"          # a measure of the issuing (Shaanxi) authority
    other_province = "省外经验"  # other provinces' practice, quoted for reference only
    case_study = "典型案例"      # a case report, not a rule


ItemKind = Literal[
    "header",          # title, 文号, issuer, date as printed
    "notice",          # the covering notice's body paragraphs
    "preamble",        # unnumbered text before the first section
    "intro",           # unnumbered paragraph under a heading
    "goal",            # goals / targets (工作目标, 具体目标)
    "task",            # a numbered task that has sub-measures (（一）… with 具体措施)
    "measure",         # a numbered clause (the usual answer)
    "paragraph",       # other unnumbered paragraph
    "table_row",       # one row of a table (e.g. other provinces' practices)
    "case_study",      # a section of a case report
    "attachments",     # list of attachments
    "signature",       # issuer and date at the end
    "footer",          # 抄送 / 印发 lines
]


class Contact(BaseModel):
    unit: str
    person: str | None = None
    phone: str | None = None


class Responsibility(BaseModel):
    """Parsed from the note printed with an item, e.g. （市财政局牵头，…按职责分工负责）."""

    lead: list[str] = Field(default_factory=list, description="牵头/负责 units")
    partners: list[str] = Field(default_factory=list, description="配合/按职责分工负责 units")
    implementers: list[str] = Field(default_factory=list, description="落实 units")
    deadline: str | None = Field(None, description="完成时限 as printed")
    contacts: list[Contact] = Field(default_factory=list)
    raw: list[str] = Field(default_factory=list, description="the notes as printed")

    def is_empty(self) -> bool:
        return not (self.lead or self.partners or self.implementers or self.deadline or self.contacts)


class TableRow(BaseModel):
    serial: int
    subject: str = Field(description="改革事项")
    measure: str = Field(description="具体措施")
    source: str = Field(description="来源 (province / city)")


class Document(BaseModel):
    id: str
    title: str
    doc_number: str | None = Field(None, description="文号, e.g. 陕政办发〔2023〕11号")
    issuer: str | None = None
    signer: str | None = Field(None, description="落款 where it differs from the issuer")
    date: str | None = Field(None, description="ISO date or year: 2023-06-03 / 2022")
    region: str | None = None
    level: Level | None = None
    attachment_title: str | None = None
    source_file: str
    seq: int = Field(1, description="position inside its source file")
    line_start: int = 0
    line_end: int = 0
    page_start: int | None = None
    page_end: int | None = None
    notes: list[str] = Field(default_factory=list, description="what the parser noticed")
    # validity (qa_service/corpus/validity.py): the period the document states, and its status
    valid_from: str | None = Field(None, description="ISO date the document takes effect, where it says")
    valid_until: str | None = Field(None, description="ISO date of its last day in force, where it says")
    validity_basis: str | None = Field(None, description="the words stating the period: （2020年—2022年）, 有效期三年 …")
    status: Literal["现行", "已到期", "已废止", "被替代"] = Field("现行", description="现行 / 已到期 / 已废止 / 被替代")
    retired_reason: str | None = Field(None, description="why the administrator retired it ('' if no reason was given)")
    replaced_by: str | None = Field(None, description="id of the document that replaces it")

    @property
    def answerable(self) -> bool:
        """Retired and replaced documents are no longer answered; an expired one still is."""
        return self.status in ("现行", "已到期")

    @property
    def year(self) -> int | None:
        return int(self.date[:4]) if self.date and self.date[:4].isdigit() else None

    def label(self) -> str:
        """《title》（文号） — how a document is named in an answer."""
        return f"《{self.title}》" + (f"（{self.doc_number}）" if self.doc_number else "")

    @property
    def short_title(self) -> str:
        """The policy's own name: the attachment a notice issues, or the title without 关于印发…的通知."""
        import re

        if self.attachment_title:
            return self.attachment_title
        m = re.search(r"印发《(.+?)》", self.title)
        if m:
            return m.group(1)
        return re.sub(r"^.*?关于", "", self.title).removesuffix("的通知") or self.title

    def cite(self, item: "Item") -> str:
        """《…》二、（一）第19条: a notice that issues one measure document is cited by
        that document's own title (《咸阳市2023年深化“放管服”改革工作要点》三、第17条)."""
        path = item.citation_path()
        in_attachment = (
            self.attachment_title
            and item.kind not in ("header", "signature", "footer", "attachments")
            and not (item.path and item.path[0].startswith(("附件", "通知正文")))
        )
        title = self.title
        if in_attachment:
            title = self.attachment_title
        elif "印发《" in self.title and not self.attachment_title and item.kind not in ("header", "signature"):
            title = self.short_title  # a published summary: cite the policy, not the news line
        return f"《{title}》{path}"

    def matches(self, key: str) -> bool:
        """Does ``key`` (a title fragment or 文号, as gold data cite documents) name this document?"""
        k = "".join(key.split())
        return bool(k) and (
            k in self.title
            or bool(self.attachment_title and k in self.attachment_title)
            or bool(self.doc_number and k in self.doc_number)
        )


class Item(BaseModel):
    id: str = Field(description="stable: '<doc id>/<path>'")
    doc_id: str
    kind: ItemKind
    number: str | None = Field(None, description="marker as printed: '19.', '（三）', '7．'")
    path: list[str] = Field(default_factory=list, description="unified markers from the top: ['二、','（一）','19.']")
    heading_path: list[str] = Field(default_factory=list, description="titles of the enclosing sections")
    title: str | None = Field(None, description="the item's own heading sentence, if any")
    text: str = Field(description="the clause exactly as printed (normalized), note included")
    responsibility: Responsibility = Field(default_factory=Responsibility)
    table_row: TableRow | None = None
    scope: Scope = Scope.rule
    page_start: int | None = None
    page_end: int | None = None
    source_file: str
    line_start: int
    line_end: int

    def citation_path(self) -> str:
        """二、（一）第19条 — the item's place in its document, as people cite it."""
        out = []
        for p in self.path:
            if p and p[0].isdigit():
                out.append(f"第{p.rstrip('.．、')}条")
            elif p.startswith("p"):
                out.append(f"第{p[1:]}段")
            elif p.startswith("t"):
                out.append(f"附表第{p[1:]}行")
            else:
                out.append(p)
        return "".join(out) or {"header": "文件头", "signature": "落款", "footer": "版记"}.get(self.kind, "正文")


class Citation(BaseModel):
    """What an answer shows for each [n] marker."""

    n: int = Field(description="the [n] marker in the answer text")
    item_id: str
    doc_id: str
    doc_title: str
    doc_number: str | None = None
    issuer: str | None = None
    date: str | None = None
    region: str | None = None
    level: Level | None = None
    path: str = Field(description="二、（一）第19条")
    page: int | None = None
    citation: str = Field(description="《title》二、（一）第19条")
    scope: Scope = Scope.rule
    quote: str = Field(description="the sentence(s) the answer relies on")
    text: str = Field(description="the full item text")
    score: float | None = None
    validity: str | None = Field(None, description="set when the document is no longer current: 2020—2022年方案，已到期")
    doc_status: str = Field("现行", description="the cited document's status: 现行 / 已到期 (retired ones are not cited)")
    valid_until: str | None = Field(None, description="the cited document's last day in force, where it states one")


class SearchFilters(BaseModel):
    """Narrowing a search; unknown keys are refused rather than ignored, and so are numbers
    and booleans in disguise ("2023", 0): a client that sends them has a bug worth hearing of."""

    model_config = ConfigDict(extra="forbid")

    region: str | None = Field(None, max_length=20, description="西安 / 西安市 / 西咸新区 / 陕西省 …")
    level: Level | None = None
    doc: str | None = Field(None, max_length=100, description="document id, 文号 or part of its title")
    year_from: int | None = Field(None, ge=1990, le=2100, strict=True)
    year_to: int | None = Field(None, ge=1990, le=2100, strict=True)
    include_other_provinces: bool = Field(True, strict=True, description="include 省外经验 (other provinces' practice)")


class Hit(BaseModel):
    """One retrieved item with its score."""

    item: Item
    document: Document
    score: float
    dense: float = 0.0
    keyword: float = 0.0
    highlights: list[str] = Field(default_factory=list, description="matched terms")


class ConflictValue(BaseModel):
    value: str = Field(description="the figure as printed, e.g. 0.5个工作日")
    citation_n: int
    region: str | None = None
    doc_title: str
    date: str | None = None
    scope_note: str | None = None
    subcase: str | None = Field(None, description="the case the figure applies to (无外线工程); values of one conflict share it")
    validity: str | None = Field(None, description="2020—2022年方案，已到期 when the document is no longer current")
    qualifier: str | None = Field(None, description="what limits the promise: 办结率达到80%以上, 原则上, 平均")


class Conflict(BaseModel):
    topic: str
    values: list[ConflictValue]
    explanation: str


FigureKind = Literal["commitment", "statistic", "date", "count", "other"]


class FigureRow(BaseModel):
    """One figure of the corpus with what it measures: a row of the figure table.

    Built with the index (``figures.jsonl`` beside the items); answers to 多久/多少
    questions and the 指标对照 view are read from these rows."""

    id: str = Field(description="<item id>#<n>")
    item_id: str
    doc_id: str
    sentence: str = Field(description="the sentence as printed that states the figure")
    excerpt: str = Field("", description="the comma-clause of the sentence that states it")
    text: str = Field(description="the figure as printed: 0.5个工作日, 10—12个工作日")
    value: float
    value_max: float | None = Field(None, description="upper end of a range")
    unit: str = Field(description="as printed: 个工作日, 万元")
    unit_class: str = Field(description="工作日, 自然日, 小时, 分钟, 月, 年, %, 元, 项, 个, 家 …, 日期")
    comparator: str = ""
    qualifier: str = ""
    measure: str = Field(description="what the figure is said of, in the document's words")
    measure_key: str | None = Field(None, description="the lexicon's name for the measure (企业开办), shared across documents")
    measure_norm: str = Field("", description="the key the measure shares across documents: the lexicon's, else its own words "
                                              "normalized (涉税事项网办率); conflicts are grouped by it")
    subcase: str = Field("", description="the case it applies to (无外线工程, 政府投资项目); '' for the general case")
    kind: FigureKind
    region: str | None = None
    level: Level | None = None
    doc_title: str
    doc_number: str | None = None
    date: str | None = None
    period: str | None = Field(None, description="the document's period as stated: 2020—2022")
    valid_until: str | None = Field(None, description="the document's last day in force (ISO), where it states one")
    scope: Scope = Scope.rule
    citation: str = Field(description="《title》二、（一）第19条")


class Answer(BaseModel):
    question: str
    answer: str
    direct: str | None = Field(None, description="a one-line answer (figures with their places), when one can be given")
    found: bool
    citations: list[Citation] = Field(default_factory=list)
    conflicts: list[Conflict] = Field(default_factory=list)
    related: list[Citation] = Field(default_factory=list, description="possibly related items when not found")
    mode: Literal["extractive", "llm"] = "extractive"
    fallback_reason: str | None = None
    rewritten_query: str | None = None
    latency_ms: float | None = None
