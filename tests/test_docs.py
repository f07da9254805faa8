"""The README is the operator's manual: its configuration table must list every
setting with the default the code really uses."""
from __future__ import annotations

import re
from pathlib import Path

from qa_service.config import ROOT, Settings

README = (ROOT / "README.md").read_text(encoding="utf-8")


def config_table() -> dict[str, str]:
    """`QA_X` (or `QA_A` / `QA_B`) -> the default column, as written."""
    rows = {}
    for line in README.splitlines():
        m = re.match(r"\|\s*(`QA_[A-Z_]+`(?:\s*/\s*`QA_[A-Z_]+`)?)\s*\|\s*([^|]*)\|", line)
        if m:
            names = re.findall(r"QA_[A-Z_]+", m.group(1))
            defaults = [d.strip().strip("`") for d in m.group(2).split(" / ")]
            for i, n in enumerate(names):
                rows[n] = defaults[i] if len(defaults) == len(names) else m.group(2).strip()
    return rows


def shown(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, Path):
        return value.relative_to(ROOT).as_posix() + "/"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "–" if value in (None, "") else str(value)


def test_every_setting_is_documented_with_its_real_default():
    table = config_table()
    defaults = Settings.model_construct()  # class defaults, not this machine's environment
    missing, wrong = [], []
    for name in Settings.model_fields:
        var = "QA_" + name.upper()
        if var not in table:
            missing.append(var)
            continue
        expected = shown(getattr(defaults, name))
        if not table[var].startswith(expected) and not (expected == "–" and table[var].startswith("–")):
            wrong.append(f"{var}: README says {table[var]!r}, code says {expected!r}")
    assert not missing, f"settings missing from the README's configuration table: {missing}"
    assert not wrong, wrong


def test_the_readme_names_no_setting_that_does_not_exist():
    fields = {"QA_" + n.upper() for n in Settings.model_fields}
    # the test and install scripts' own switches, read by scripts/*.sh and tests/, not by Settings
    scripts = {"QA_REQUIRE_BROWSER", "QA_VENV", "QA_IMAGE", "QA_TEST_DATABASE_URL", "QA_REQUIRE_POSTGRES"}
    unknown = sorted(set(re.findall(r"QA_[A-Z_]+[A-Z]", README)) - fields - scripts)
    assert not unknown, f"the README mentions settings the code does not read: {unknown}"
    readers = [f for f in [*ROOT.glob("scripts/*.sh"), ROOT / ".ci" / "run", *ROOT.glob("tests/*.py")] if f.name != "test_docs.py"]
    unread = [v for v in scripts if not any(v in f.read_text(encoding="utf-8") for f in readers)]
    assert not unread, f"script switches that nothing reads any more: {unread}"
