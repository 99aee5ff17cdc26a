"""The README and docs/ name files of the repository (tests, modules, examples, figures): each must exist, so the
documentation does not point at files that moved."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PATH = re.compile(r"(?<![\w/.-])((?:tests|netspace|examples|benchmarks|scripts)/[\w/.-]+\.(?:py|yaml|yml|sh)"
                  r"|docs/img/[\w.-]+\.(?:svg|png))")


def test_every_file_the_docs_name_exists():
    docs = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    missing = []
    for doc in docs:
        for path in set(PATH.findall(doc.read_text())):
            base = ROOT if not path.startswith("img/") else ROOT / "docs"
            if not (base / path).exists() and not (doc.parent / path).exists():
                missing.append(f"{doc.relative_to(ROOT)}: {path}")
    assert not missing, missing
