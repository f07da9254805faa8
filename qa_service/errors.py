"""One error type for everything a user can get wrong, with a stable code and a
message in Chinese and English; the API maps it to a 4xx, the CLI to exit code 2.

>>> validate_question("  企业开办要几天 ", max_chars=500)
'企业开办要几天'
>>> validate_question("", max_chars=500)
Traceback (most recent call last):
...
qa_service.errors.QAError: question_empty: 问题不能为空 / the question is empty
>>> validate_question(chr(0xD800) + "企业开办要几天", max_chars=500)
Traceback (most recent call last):
...
qa_service.errors.QAError: question_invalid: 问题包含无法识别的字符（无效的 Unicode 编码），请用文字描述您的问题 / the question contains text that is not valid Unicode (a lone surrogate)
"""
from __future__ import annotations

import unicodedata


class QAError(ValueError):
    def __init__(self, code: str, zh: str, en: str, status: int = 400, field: str | None = None):
        self.code, self.zh, self.en, self.status, self.field = code, zh, en, status, field
        super().__init__(f"{code}: {zh} / {en}")

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.zh, "message_en": self.en, **({"field": self.field} if self.field else {})}


def validate_question(q: object, *, max_chars: int, field: str = "question") -> str:
    """The question, stripped; refuses empty, over-long and binary-junk input."""
    if not isinstance(q, str):
        raise QAError("question_invalid", "问题必须是文字", "the question must be a string", field=field)
    q = q.strip()
    if not q:
        raise QAError("question_empty", "问题不能为空", "the question is empty", field=field)
    if len(q) > max_chars:
        raise QAError("question_too_long", f"问题太长（{len(q)}字），请控制在{max_chars}字以内",
                      f"the question has {len(q)} characters; the limit is {max_chars}", field=field)
    if any("\ud800" <= c <= "\udfff" for c in q):
        # a lone surrogate (JSON allows "\ud800") is no character at all: it cannot be encoded as
        # UTF-8, so it would break the answer that quotes the question back
        raise QAError("question_invalid", "问题包含无法识别的字符（无效的 Unicode 编码），请用文字描述您的问题",
                      "the question contains text that is not valid Unicode (a lone surrogate)", field=field)
    bad = sum(1 for c in q if unicodedata.category(c) in ("Cc", "Co", "Cn") and c not in "\t\n\r")
    meaningful = sum(1 for c in q if c.isalnum())
    if "\x00" in q or bad > max(2, len(q) // 10) or meaningful == 0:
        raise QAError("question_invalid", "问题包含无法识别的字符，请用文字描述您的问题",
                      "the question contains unreadable characters (binary data?)", field=field)
    return q
