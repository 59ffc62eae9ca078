"""The per-document paragraph style cache of the DOCX reader (``extractors.docx_blocks.
ParagraphStyles``) gives, for every paragraph, the style python-docx's own ``Paragraph.style``
gives, and the numbering python-docx's style chain gives: with Word's default style, with a
custom default, with a paragraph pointing at a linked character style, at an unknown id, and
with a list style inherited through ``basedOn``."""

from __future__ import annotations

import copy

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml.ns import qn

from extractors.docx_blocks import ParagraphStyles, num_pr_of


def _reference_num_pr(paragraph) -> tuple[str, int] | None:
    """The numbering of a paragraph, walking python-docx's public style objects each time."""
    num = paragraph._p.pPr.numPr if paragraph._p.pPr is not None else None
    style = paragraph.style
    while num is None and style is not None:
        ppr = style.element.pPr
        num = ppr.numPr if ppr is not None else None
        style = style.base_style
    if num is None or num.numId is None or not num.numId.val:
        return None
    return str(num.numId.val), (num.ilvl.val if num.ilvl is not None else 0)


def _document(custom_default: bool):
    d = docx.Document()
    styles = d.styles
    mine = styles.add_style("Elenco del piano", WD_STYLE_TYPE.PARAGRAPH)
    mine.base_style = styles["List Bullet"]  # numbering only through basedOn
    plain = styles.add_style("Corpo del piano", WD_STYLE_TYPE.PARAGRAPH)
    if custom_default:
        for style in styles:
            style.element.attrib.pop(qn("w:default"), None)
        plain.element.set(qn("w:default"), "1")
    d.add_paragraph("senza stile")
    d.add_paragraph("titolo", style="Heading 1")
    d.add_paragraph("elenco", style="List Bullet")
    d.add_paragraph("elenco ereditato", style="Elenco del piano")
    d.add_paragraph("corpo", style="Corpo del piano")
    linked = d.add_paragraph("stile di carattere collegato")
    linked._p.style = "Heading1Char"  # the character style linked to Heading 1
    assert styles["Heading 1 Char"].element.type == WD_STYLE_TYPE.CHARACTER
    unknown = d.add_paragraph("stile sconosciuto")
    unknown._p.style = "NonEsiste"
    twice = d.add_paragraph("numerato a mano", style="Heading 2")
    twice._p.get_or_add_pPr().append(copy.deepcopy(
        d.paragraphs[2].style.element.pPr.numPr))
    return d


def test_style_and_numbering_as_python_docx_gives_them():
    for custom_default in (False, True):
        d = _document(custom_default)
        cache = ParagraphStyles(d)
        expected_default = "Corpo del piano" if custom_default else "Normal"
        assert cache.default.name == expected_default
        names, lists = [], []
        for paragraph in d.paragraphs:
            got = cache.of(paragraph._p)
            assert got == paragraph.style, paragraph.text  # the same w:style element
            names.append(got.name)
            lists.append(num_pr_of(paragraph._p, cache))
            assert lists[-1] == _reference_num_pr(paragraph), paragraph.text
        # The linked character style and the unknown id fall back to the default.
        assert names[5] == names[6] == names[0] == expected_default
        assert lists[2] is not None and lists[3] == lists[2]  # inherited through basedOn
        assert lists[0] is None and lists[1] is None
        assert lists[7] is not None  # a paragraph's own numPr wins over its style
