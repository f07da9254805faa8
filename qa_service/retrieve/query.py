"""What a question asks, in the documents' own words.

People write 开公司要几天 or 报装多久; the documents say 企业开办 … 个工作日 and
用水报装 … 时限. ``analyze`` adds the policy terms, recognizes regions (a
boost for 西安/西咸/渭滨…, and a flag for places outside Shaanxi) and the kind
of answer wanted (a time limit, a department, a document).

>>> p = analyze("在西咸开个公司要几天？")
>>> p.regions, sorted(p.intents), "企业开办" in p.expansions
(['西咸新区'], ['time'], True)
>>> analyze("北京落户需要什么条件").foreign_regions
['北京']
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

# colloquial phrase -> terms the documents use
SYNONYMS: list[tuple[str, tuple[str, ...]]] = [
    (r"开(个|一家|家)?(公司|企业|店|门店|分店)|办(个)?(公司|企业)|注册(公司|企业)|开办|新开(公司|企业)|办执照|办营业执照|领执照", ("企业开办", "开办企业")),
    (r"营业执照|执照", ("营业执照",)),
    (r"注销|关(掉)?公司|不干了|不想干|停业|歇业|休眠", ("注销", "企业注销")),
    (r"接水|通水|用水|自来水|供水", ("用水报装", "获得用水")),
    (r"接电|用电|办电|通电|电力", ("获得电力", "办电", "用电报装")),
    (r"用气|燃气|天然气|通气|接气", ("用气报装", "获得用气")),
    (r"报税|交税|缴税|纳税|税务", ("纳税",)),
    (r"贷款|借钱|融资", ("融资", "贷款")),
    (r"担保", ("融资担保",)),
    (r"刻章|公章|印章|刻公章", ("印章刻制", "印章")),
    (r"盖房|建房|施工许可|工程审批|项目审批|工程项目", ("工程建设项目审批", "施工许可")),
    (r"房产证|不动产|过户|抵押", ("不动产登记",)),
    (r"招投标|投标|招标", ("招标投标",)),
    (r"个体户|个体", ("个体工商户",)),
    (r"私企|民企|私营", ("民营企业",)),
    (r"小微|小企业", ("中小微企业",)),
    (r"官司|打官司|诉讼|判决|法院", ("商事案件", "审判")),
    (r"失信|黑名单|信用", ("信用修复", "信用")),
    (r"欠薪|工资|讨薪", ("农民工工资", "拖欠")),
    (r"热线|投诉|12345", ("12345", "投诉")),
    (r"秦务员|app|APP", ("秦务员",)),
    (r"专利|商标|知识产权", ("知识产权",)),
    (r"药店|药品", ("药品零售",)),
    (r"落户|户口", ("户籍", "落户")),
    (r"检查|查厂|来厂|入企", ("检查", "监管")),
    (r"补贴|补助|奖励|奖补|给补|补多少|奖金|奖多少|政府奖", ("奖励", "补助")),
    # everyday words -> the documents' words
    (r"花钱|收钱|交钱|掏钱|收费|费用", ("收费", "免费")),
    (r"分店|直营店|连锁店", ("分支机构", "直营门店")),
    (r"盖章|签字", ("签章",)),
    (r"厂里|厂区|工厂|车间", ("厂房", "企业")),
    (r"甲方|发包方|建设方", ("建设单位", "发包")),
    (r"股份公司", ("股份有限公司",)),
    (r"租地|租厂房", ("租赁",)),
    (r"邮费|快递|寄", ("寄递",)),
    (r"零食|饮料|包装食品", ("食品",)),
    (r"营收|营业额", ("营业收入",)),
    (r"大学生|毕业生|应届", ("高校毕业生",)),
    (r"办证|拿证|领证", ("发证", "证书")),
    (r"名字", ("名称",)),
    (r"餐馆|饭店|饭馆|小吃店", ("餐饮",)),
    (r"员工|职工|工人", ("职工", "劳动者")),
    (r"仓库", ("仓储", "厂房")),
    (r"网站|官网|栏目", ("网站", "专栏")),
]
INTENTS: list[tuple[str, str]] = [
    ("time", r"多久|多长时间|几天|多少天|几个工作日|多少个工作日|时限|时间|多快|啥时候|什么时候|多少小时|几个小时|多少个小时|多少年|几年|年限|期限|最长"),
    ("who", r"找谁|哪个部门|什么部门|哪个单位|哪个局|谁管|谁负责|谁牵头|牵头|负责单位|哪个处|联系人|电话"),
    ("doc", r"文号|什么文件|哪个文件|发文|谁发的|哪天发|印发|有效期|是什么文件|文件名"),
    ("amount", r"多少钱|多少万|费率|比例|多少|几个|几项|几家"),
    ("material", r"材料|资料|要带|带什么|带哪|提交什么|需要什么|交什么|交哪|哪几样|哪几份|哪两份|什么东西|哪些东西|证件"),
    ("goal", r"目标|要达到|达到什么|总体要求|指导思想"),
    ("when", r"啥时候|什么时候|何时|哪天|几月份?|截止|时间节点"),  # a deadline (6月底前), not a duration
]
UTILITIES = ("用水报装", "用气报装", "用电报装")  # a question naming one utility is about that one only
TIME_TERMS = ("时限", "工作日", "压缩", "压减", "办结")
WHO_TERMS = ("牵头", "负责")

# Shaanxi places -> the region names documents carry
REGIONS: list[tuple[str, str]] = [
    (r"西咸新区|西咸", "西咸新区"),
    (r"渭滨区|渭滨", "渭滨区"),
    (r"宝鸡", "渭滨区"),
    (r"咸阳", "咸阳市"),
    (r"延安", "延安市"),
    (r"铜川", "铜川市"),
    (r"西安(?!高新)|西安市", "西安市"),
    (r"陕西|全省|省里|省级|省上|我省|省政府|省委", "陕西省"),
]
FOREIGN = (
    "北京 上海 天津 重庆 河北 山西 内蒙古 辽宁 吉林 黑龙江 江苏 浙江 安徽 福建 江西 山东 河南 湖北 湖南 广东 广西 海南 四川 贵州 云南 西藏 甘肃 青海 宁夏 新疆 "
    "深圳 广州 杭州 南京 苏州 成都 武汉 青岛 厦门 宁波 长沙 郑州 济南 合肥 兰州 银川 香港 澳门 台湾"
).split()


@dataclass
class QueryPlan:
    original: str
    normalized: str
    expansions: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    foreign_regions: list[str] = field(default_factory=list)
    intents: set[str] = field(default_factory=set)

    @property
    def dense_text(self) -> str:
        extra = [e for e in self.expansions if e not in self.normalized]
        return self.normalized + (" " + " ".join(extra) if extra else "")

    @property
    def keyword_text(self) -> str:
        return self.dense_text


def normalize_query(q: str) -> str:
    q = unicodedata.normalize("NFKC", q)
    q = "".join(ch for ch in q if ch.isprintable() or ch in " \t")
    return re.sub(r"\s+", " ", q).strip()


def analyze(question: str) -> QueryPlan:
    q = normalize_query(question)
    plan = QueryPlan(original=question, normalized=q)
    for pattern, terms in SYNONYMS:
        if re.search(pattern, q, flags=re.I):
            plan.expansions += [t for t in terms if t not in plan.expansions]
    for name, pattern in INTENTS:
        if re.search(pattern, q):
            plan.intents.add(name)
    if "报装" in q and not set(UTILITIES) & set(plan.expansions):
        plan.expansions += list(UTILITIES)  # 报装 alone: any of the three, none preferred
    if "time" in plan.intents:
        plan.expansions += [t for t in TIME_TERMS if t not in plan.expansions]
    if "who" in plan.intents:
        plan.expansions += [t for t in WHO_TERMS if t not in plan.expansions]
    for pattern, region in REGIONS:
        if re.search(pattern, q) and region not in plan.regions:
            plan.regions.append(region)
    plan.foreign_regions = [f for f in FOREIGN if f in q]
    return plan

# words that say what kind of answer is wanted, not what it is about
STOP_TERMS = set(
    "多少 多久 几天 几个 什么 怎么 怎样 哪个 哪些 哪几 是否 可以 能不能 有没有 要求 规定 文件 部门 单位 政府 问题 情况 一下 现在 今年 "
    "到底 一般 还要 需要 时候 时间 多长 长时间 多长时间 办理 办法 说法 一样 不同 分别 我们 你们 他们 这个 那个 啥 咋".split()
)
