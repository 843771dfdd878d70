"""training/README.md stays short and the links of the training notes resolve.

The README is the entry point (setup, the steps of scripts/train.sh, tests);
the long notes live in training/docs/. Every relative markdown link in the
README and in docs/*.md must point to an existing file, and where it names an
anchor of a markdown file, to a heading of that file (GitHub-style slug).
"""

import re
from pathlib import Path

import pytest

TRAINING = Path(__file__).resolve().parents[1]
README = TRAINING / "README.md"
DOCS = sorted((TRAINING / "docs").glob("*.md"))
MAX_README_BYTES = 10 * 1024
LINK = re.compile(r"\]\(([^)\s]+)\)")


def github_slug(heading: str) -> str:
    s = heading.strip().lower()
    s = re.sub(r"[^\w\- ]", "", s)
    return s.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """The anchors GitHub gives the headings of a markdown file (not those inside code fences)."""
    seen: dict[str, int] = {}
    out: set[str] = set()
    fence = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fence = not fence
            continue
        m = re.match(r"#{1,6} (.*)", line)
        if fence or not m:
            continue
        slug = github_slug(m.group(1))
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    return out


def links(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    return LINK.findall(text)


def test_readme_is_at_most_10_kb():
    size = README.stat().st_size
    assert size <= MAX_README_BYTES, f"training/README.md is {size} bytes; move long sections into training/docs/"


def test_docs_folder_exists():
    assert DOCS, "training/docs/*.md is missing"


def test_readme_links_every_docs_file():
    targets = {Path(t.split("#")[0]).name for t in links(README) if t.startswith("docs/")}
    missing = [d.name for d in DOCS if d.name not in targets]
    assert not missing, f"training/README.md does not link {missing}"


@pytest.mark.parametrize("path", [README, *DOCS], ids=lambda p: str(p.relative_to(TRAINING)))
def test_relative_links_resolve(path: Path):
    broken = []
    for target in links(path):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        dest = (path.parent / file_part).resolve() if file_part else path
        if not dest.exists():
            broken.append(f"{target} (no file {dest})")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            broken.append(f"{target} (no heading #{anchor} in {dest.name})")
    assert not broken, f"{path.name}: broken links: {broken}"


def test_github_slug():
    assert github_slug("Pipeline (`gmner/train_all.py`)") == "pipeline-gmnertrain_allpy"
    assert github_slug("Depth: 12 layers are too slow, 6 are not") == "depth-12-layers-are-too-slow-6-are-not"
