"""What the log keeps of what people typed.

People paste their phone number or ID number into a question ("我的手机13912345678，营业执照
办好了吗"). The log is for finding what the documents do not answer, not who asked, so
such numbers are masked before anything is stored; the service never sees names it
could tell apart from policy words, so names are not attempted.

>>> redact("我手机13912345678，身份证61010419900101123X，邮箱a.b@qq.com")
'我手机[手机号]，身份证[身份证号]，邮箱[邮箱]'
>>> redact("电话029-86781234 或 12345")
'电话[电话] 或 12345'
>>> normalize(" 企业开办，要几天？ ")
'企业开办要几天'
>>> normalize("ＡＢＣ 要几天吗")
'abc要几天'
"""
from __future__ import annotations

import re
import unicodedata

# order matters: an 18-character ID number contains what would look like a phone number
_PATTERNS = [
    (re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])"), "[身份证号]"),
    (re.compile(r"(?<!\d)\d{16,19}(?!\d)"), "[卡号]"),  # bank cards
    (re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d{9}(?!\d)"), "[手机号]"),
    (re.compile(r"(?<!\d)0\d{2,3}[- ]?\d{7,8}(?!\d)"), "[电话]"),  # landlines with an area code
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"), "[邮箱]"),
]
MAX_NORM = 500
_TRAILING = "吗呢啊呀吧"


def redact(text: str) -> str:
    """The text with personal numbers and e-mail addresses replaced by what they were."""
    for pattern, label in _PATTERNS:
        text = pattern.sub(label, text)
    return text


def normalize(question: str) -> str:
    """The grouping key of "most frequent unanswered questions": the same question typed with
    other punctuation, spaces, full-width letters or a final 吗/呢 counts once."""
    s = unicodedata.normalize("NFKC", question).lower()
    s = "".join(ch for ch in s if not (ch.isspace() or unicodedata.category(ch)[0] in "PS"))
    return s.rstrip(_TRAILING)[:MAX_NORM] or s[:MAX_NORM]
