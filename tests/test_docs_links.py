"""The README and docs/ point only at files that are in the repository.

Checked in README.md and docs/*.md, outside fenced code blocks: every relative link
(`[text](path)`, `[label]: path`) and every backticked Markdown file name (`` `name.md` ``).
A name resolves against the document's own folder or the project root.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
INLINE_LINK = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$", re.MULTILINE)
CODE_MD = re.compile(r"`([^`\s]+\.md)`")
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # http:, https:, mailto: ...


def targets(text: str) -> list[str]:
    """The local files a Markdown text points at (anchors dropped; pure anchors skipped)."""
    prose = FENCE.sub("", text)
    found = INLINE_LINK.findall(prose) + REFERENCE_LINK.findall(prose) + CODE_MD.findall(prose)
    local = (t.split("#", 1)[0] for t in found if not EXTERNAL.match(t))
    return [t for t in local if t]


def resolves(document: Path, target: str) -> bool:
    return any((base / target).exists() for base in (document.parent, ROOT))


def test_link_finding_sees_links_names_and_skips_code_blocks_and_urls():
    text = (
        "See [calls](docs/calls.md#top), [site](https://example.org/x.md), [top](#intro),\n"
        "`contract.md` and `make test`.\n"
        "[ref]: other.md\n"
        "```sh\ncat `fenced.md` [x](fenced-link.md)\n```\n"
    )
    assert targets(text) == ["docs/calls.md", "other.md", "contract.md"]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_local_link_and_named_document_exists(document: Path):
    missing = [t for t in targets(document.read_text()) if not resolves(document, t)]
    assert missing == [], f"{document.relative_to(ROOT)} points at files not in the repository"
