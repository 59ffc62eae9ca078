"""Word pieces shared by the documents (verifica, allegato, relazione, confronto): XML python-docx
has no API for, and charts as PNG bytes."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from docx.table import Table, _Cell, _Row
from docx.text.paragraph import Paragraph
from docx.text.run import Run

#: Characters XML 1.0 does not allow (a PDF's text layer may carry them): dropped from any text.
XML_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def shade(cell: _Cell, fill: str) -> None:
    """Background colour of a cell (hex "1F3A5F")."""
    cell._tc.get_or_add_tcPr().append(
        parse_xml(f'<w:shd {nsdecls("w")} w:val="clear" w:color="auto" w:fill="{fill}"/>'))


def repeat_header(table: Table) -> None:
    """The first row repeats at the top of every page the table runs over."""
    table.rows[0]._tr.get_or_add_trPr().append(parse_xml(f'<w:tblHeader {nsdecls("w")} w:val="true"/>'))


def cant_split(row: _Row) -> None:
    """The row is never broken across a page."""
    row._tr.get_or_add_trPr().append(parse_xml(f'<w:cantSplit {nsdecls("w")} w:val="true"/>'))


#: Characters python-docx's ``add_run`` turns into elements of their own (tab, line break).
_RUN_CONTROLS = re.compile(r"[\t\r\n]")


def add_text_run(p: Paragraph, text: str | None) -> Run:
    """``p.add_run(text)``, the same XML, without its cost for plain text: python-docx appends a
    run's text character by character (to turn tabs and line breaks into elements) after an
    XPath that clears the new, empty run. Text with a tab or a line break goes through it."""
    if not text or _RUN_CONTROLS.search(text):
        return p.add_run(text)
    run = p.add_run()
    run._r.add_t(text)
    return run


def add_field(p: Paragraph, instr: str, cached: str, style_run: Callable[[Run], object] = lambda r: r) -> None:
    """A Word field (PAGE, NUMPAGES, PAGEREF ...) showing ``cached`` until the viewer updates
    it; ``style_run`` formats each of its runs (font size)."""
    def run_with(xml: str) -> None:
        r = p.add_run()
        style_run(r)
        r._element.append(parse_xml(xml))

    run_with(f'<w:fldChar {nsdecls("w")} w:fldCharType="begin"/>')
    run_with(f'<w:instrText {nsdecls("w")} xml:space="preserve"> {instr} </w:instrText>')
    run_with(f'<w:fldChar {nsdecls("w")} w:fldCharType="separate"/>')
    style_run(p.add_run(cached))
    run_with(f'<w:fldChar {nsdecls("w")} w:fldCharType="end"/>')


def figure_png(fig: Any) -> bytes:
    """A matplotlib figure as PNG bytes (laid out tight), the figure closed.

    The tight layout is computed once, as ``fig.tight_layout()`` computes it, but without
    leaving a layout engine on the figure: ``tight_layout`` leaves a placeholder engine, and a
    figure with any engine is drawn twice by ``savefig`` (once more to lay it out, for nothing:
    the layout is done). Same pixels, one draw less."""
    import matplotlib.pyplot as plt
    from matplotlib.layout_engine import TightLayoutEngine

    TightLayoutEngine().execute(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()
