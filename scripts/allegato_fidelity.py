"""How word for word is a regenerated allegato.docx? Compare it with the Word original.

    .venv/bin/python scripts/allegato_fidelity.py ORIGINAL.docx allegato.docx [--missing]

Body text of both documents in reading order (paragraphs, then table cells row by row, merged
cells once), whitespace collapsed. Prints:

- words in order: the words of the original that difflib matches, in order, in the regenerated
  text (``SequenceMatcher`` on the word sequences, no autojunk), over the original's words;
- paragraphs: the original's non-empty paragraphs found, identical, in the regenerated document.

``--missing`` lists the original's paragraphs that are not found.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from docx import Document
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph


def body_paragraphs(path: str | Path) -> list[str]:
    """Non-empty paragraph texts of the body, tables included, in reading order."""
    doc = Document(str(path))
    out: list[str] = []

    def walk(parent, element) -> None:
        for child in element.iterchildren():
            if child.tag == qn("w:p"):
                text = " ".join(Paragraph(child, parent).text.split())
                if text:
                    out.append(text)
            elif child.tag == qn("w:tbl"):
                for row in Table(child, parent).rows:
                    seen: set[int] = set()
                    for cell in row.cells:
                        if id(cell._tc) not in seen:
                            seen.add(id(cell._tc))
                            walk(cell, cell._tc)
            elif child.tag == qn("w:sdt"):
                content = child.find(qn("w:sdtContent"))
                if content is not None:
                    walk(parent, content)

    walk(doc, doc.element.body)
    return out


def fidelity(original: str | Path, regenerated: str | Path) -> tuple[float, float, list[str]]:
    """(share of words in order, share of paragraphs found, the paragraphs not found)."""
    a, b = body_paragraphs(original), body_paragraphs(regenerated)
    wa, wb = " ".join(a).split(), " ".join(b).split()
    matcher = difflib.SequenceMatcher(None, wa, wb, autojunk=False)
    words = sum(block.size for block in matcher.get_matching_blocks())
    found = set(b)
    missing = [p for p in a if p not in found]
    return words / max(len(wa), 1), (len(a) - len(missing)) / max(len(a), 1), missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("original")
    parser.add_argument("regenerated")
    parser.add_argument("--missing", action="store_true")
    args = parser.parse_args(argv)
    words, paragraphs, missing = fidelity(args.original, args.regenerated)
    print(f"words in order: {words:.2%}   paragraphs: {paragraphs:.2%} "
          f"({len(missing)} of the original's not found)")
    if args.missing:
        for p in missing:
            print("  -", p[:160])
    return 0


if __name__ == "__main__":
    sys.exit(main())
