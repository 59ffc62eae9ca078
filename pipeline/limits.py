"""The limits that keep a hostile or broken file from hanging a run or exhausting the machine.

Each is checked before the expensive work it guards (a declared size, a page box, a pixel count),
so a file is refused with one Italian line instead of being read until memory runs out. The
defaults leave a wide margin over real plans (a 49-page plan: 0.6 MB of Word XML, content
streams of tens of KB, A4 pages) and keep the peak memory of one run under 2 GiB. The document
time limit and the page limits are also command-line options (``--timeout``, ``--page-timeout``,
``--max-pages``); the README's "File ostili e limiti" lists them all.
"""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1 << 20


@dataclass(frozen=True)
class Limits:
    #: Seconds to read and parse one document (``--timeout``).
    timeout_s: float = 600.0
    #: Bytes one PDF stream may decode to, after each filter of its chain (Flate, LZW,
    #: RunLength, ASCII85, ASCIIHex, CCITTFax, predictors).
    max_stream_bytes: int = 64 * MIB
    #: Bytes all the PDF streams of one document may decode to, in all (pdfminer keeps each
    #: decoded stream for the document's life: 40 content streams of 60 MB each on one page took
    #: 2.6 GB). Real plans decode under 1 MB.
    max_document_stream_bytes: int = 512 * MIB
    #: Filters one PDF stream may chain (real files use one or two: ASCII85 over Flate).
    max_stream_filters: int = 8
    #: Pixels in one row of a PDF stream's image data (CCITTFax and predictor /Columns x
    #: /Colors): a 200-inch page side at 1,200 dpi is 240,000.
    max_stream_row_pixels: int = 1 << 18
    #: Objects one PDF page may draw: characters, path segments, images, figures (a dense A4
    #: page of text draws about 6,000; each object costs a few KB once laid out).
    max_page_objects: int = 100_000
    #: Largest page side in points (the PDF specification's own limit: 200 inches).
    max_page_side_pt: float = 14_400.0
    #: Pixels of one page rendered for OCR (A3 at 300 dpi is 17.4 million); above it the page
    #: is rendered at a lower resolution, down to ``min_ocr_dpi``, else refused.
    max_render_pixels: int = 40_000_000
    min_ocr_dpi: int = 100
    #: Pixels rendered for OCR in one document (300 A4 pages at 300 dpi are 2.6 billion).
    max_ocr_pixels: int = 3_000_000_000
    #: DOCX: bytes one XML part may inflate to, bytes of all parts, entries in the archive,
    #: and the inflation ratio of any part larger than ``ratio_min_bytes``.
    max_docx_xml_bytes: int = 16 * MIB
    max_docx_total_bytes: int = 256 * MIB
    max_docx_entries: int = 5_000
    max_docx_ratio: float = 100.0
    ratio_min_bytes: int = 1 * MIB


LIMITS = Limits()
