"""Guards around pdfminer for hostile PDFs (issue 18), installed once by :func:`install`.

- Reference resolution: pdfminer's ``resolve1``/``resolve_all`` follow ``n 0 R`` references in a
  ``while`` loop; an object that refers to itself (as /Length, /Resources, /MediaBox...) or a
  cycle of them loops forever. The guarded versions stop at a cycle and raise pdfminer's own
  ``PDFSyntaxError``, which the back-end reports as a damaged PDF.
- Stream inflation: a Flate (or LZW) stream of 1 MB may inflate to gigabytes; RunLength
  multiplies by up to 64, ASCII85 by 4 ("z"), and a chain of filters multiplies their factors
  (Flate then RunLength: 64 MiB times 64). Every filter's output stops at
  :data:`pipeline.limits.LIMITS.max_stream_bytes` and raises :class:`StreamTooLarge`; a chain
  longer than ``max_stream_filters`` raises :class:`TooManyFilters`. CCITTFax and predictor
  parameters that allocate a row of ``/Columns`` pixels up front (10^9 of them in a 100-byte
  stream) are refused past ``max_stream_row_pixels`` (:class:`StreamTooLarge` too). Within
  :func:`stream_budget` (one document's reading), all the streams decoded count against
  ``max_document_stream_bytes`` (:class:`StreamsTooLarge`): each stays in memory once decoded.
- Page objects: a content stream of a few MB of path operators makes pdfminer and pdfplumber
  build millions of layout objects (4 MB of "0 0 m 1 1 l S": 1.5 GB, 22 s). The layout device
  counts what a page draws (characters, path segments, images, figures) and raises
  :class:`PageTooComplex` past :data:`pipeline.limits.LIMITS.max_page_objects`.
- Warnings: pdfminer and pdfplumber log warnings ("Refusing to execute circular reference...")
  through :mod:`logging`; with no handler Python prints them on stderr. They go nowhere: a
  failure is reported once, by the CLI, in Italian.
"""

from __future__ import annotations

import logging
import sys
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace

from pipeline.limits import LIMITS

#: Loggers of the PDF libraries whose records must not reach stderr.
QUIET_LOGGERS = ("pdfminer", "pdfplumber", "pypdfium2", "PIL")

_installed = False
_lock = threading.Lock()


class StreamTooLarge(Exception):
    """A PDF stream inflates beyond the limit."""

    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(f"stream inflates beyond {limit} bytes")


class StreamsTooLarge(StreamTooLarge):
    """The streams of one document decode to more than the limit, in all."""

    def __init__(self, limit: int):
        super().__init__(limit)
        self.args = (f"streams decode to more than {limit} bytes in all",)


class TooManyFilters(Exception):
    """A PDF stream chains more filters than the limit."""

    def __init__(self, count: int, limit: int):
        self.count = count
        self.limit = limit
        super().__init__(f"stream chains {count} filters (limit {limit})")


class PageTooComplex(Exception):
    """A page draws more objects than the limit."""

    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(f"page draws more than {limit} objects")


#: What a guard raises: the file is refused, never read around.
REFUSALS = (StreamTooLarge, TooManyFilters, PageTooComplex)


def quiet_library_logs() -> None:
    for name in QUIET_LOGGERS:
        log = logging.getLogger(name)
        if not any(isinstance(h, logging.NullHandler) for h in log.handlers):
            log.addHandler(logging.NullHandler())
        log.propagate = False


def _bounded_inflate(data: bytes, limit: int | None = None) -> bytes:
    """zlib.decompress that refuses to produce more than ``limit`` bytes."""
    limit = LIMITS.max_stream_bytes if limit is None else limit
    d = zlib.decompressobj()
    out = d.decompress(data, limit + 1)
    if len(out) > limit:
        raise StreamTooLarge(limit)
    out += d.flush()
    if len(out) > limit:
        raise StreamTooLarge(limit)
    return out


def _bounded_inflate_corrupted(data: bytes) -> bytes:
    """pdfminer's ``decompress_corrupted`` (inflate, ignoring a bad checksum at the end), bounded."""
    limit = LIMITS.max_stream_bytes
    d = zlib.decompressobj()
    try:
        out = d.decompress(data, limit + 1)
    except zlib.error:
        # Retry byte by byte up to the damage, as pdfminer does, keeping what was inflated.
        d, out = zlib.decompressobj(), b""
        for i in range(len(data)):
            try:
                out += d.decompress(data[i:i + 1], limit + 1 - len(out))
            except zlib.error:
                if i < len(data) - 3:
                    raise
                break
            if len(out) > limit:
                break
    if len(out) > limit:
        raise StreamTooLarge(limit)
    return out


def _bounded_lzw(data: bytes) -> bytes:
    from io import BytesIO

    from pdfminer.lzw import LZWDecoder

    limit, size, parts = LIMITS.max_stream_bytes, 0, []
    for part in LZWDecoder(BytesIO(data)).run():
        size += len(part)
        if size > limit:
            raise StreamTooLarge(limit)
        parts.append(part)
    return b"".join(parts)


def _bounded_rldecode(data: bytes) -> bytes:
    """RunLengthDecode (PDF 1.7, 7.4.5) that stops at the stream limit (pdfminer's builds a list
    of ints as long as the output: 64 bytes of it per input byte pair)."""
    limit, out, i, n = LIMITS.max_stream_bytes, bytearray(), 0, len(data)
    while i < n:
        length = data[i]
        i += 1
        if length == 128:  # end of data
            break
        if length < 128:
            out += data[i:i + length + 1]
            i += length + 1
        else:
            out += data[i:i + 1] * (257 - length)
            i += 1
        if len(out) > limit:
            raise StreamTooLarge(limit)
    return bytes(out)


_A85_SPACE = b" \t\n\r\x0b\x0c\x00"


def _bounded_ascii85(data: bytes) -> bytes:
    """ASCII85Decode, refused before decoding when its output could pass the limit ("z" is four
    zero bytes; any other five characters are four bytes)."""
    from pdfminer.ascii85 import ascii85decode

    limit = LIMITS.max_stream_bytes
    body = data.translate(None, _A85_SPACE)
    zeros = body.count(b"z")
    if 4 * zeros + (len(body) - zeros) * 4 // 5 > limit:
        raise StreamTooLarge(limit)
    return ascii85decode(data)


def _bounded_asciihex(data: bytes) -> bytes:
    """ASCIIHexDecode (two characters a byte), refused when its output could pass the limit."""
    from pdfminer.ascii85 import asciihexdecode

    limit = LIMITS.max_stream_bytes
    if len(data) // 2 > limit:
        raise StreamTooLarge(limit)
    return asciihexdecode(data)


def _row_pixels(*factors: object) -> None:
    """Refuse image-row parameters (``/Columns``, ``/Colors``) that are not small positive integers."""
    pixels = 1
    for value in factors:
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"invalid image row parameter {value!r}")
        pixels *= value
    if pixels > LIMITS.max_stream_row_pixels:
        raise StreamTooLarge(LIMITS.max_stream_bytes)


def _bounded_ccittfax(data: bytes, params: dict) -> bytes:
    """CCITTFaxDecode with /Columns bounded and its output stopping at the stream limit (pdfminer's
    allocates a row of /Columns up front and appends rows to an immutable bytes object)."""
    from pdfminer.ccitt import CCITTFaxDecoder

    limit = LIMITS.max_stream_bytes
    if params.get("K") != -1:
        from pdfminer.pdfexceptions import PDFValueError

        raise PDFValueError(params.get("K"))
    columns = params.get("Columns")
    _row_pixels(columns)

    class Bounded(CCITTFaxDecoder):
        def output_line(self, y, bits):
            if len(self._buf) + (len(bits) + 7) // 8 > limit:
                raise StreamTooLarge(limit)
            super().output_line(y, bits)

    decoder = Bounded(columns, bytealign=bool(params.get("EncodedByteAlign")),
                      reversed=bool(params.get("BlackIs1")))
    decoder._buf = bytearray()  # appended in place, not copied per row
    decoder.feedbytes(data)
    return bytes(decoder._buf)


def _bounded_predictor(original):
    """A pdfminer predictor (PNG or TIFF) with /Columns x /Colors bounded: the PNG one allocates
    a list of /Columns entries before reading any data."""

    def predictor(*args):
        *head, data = args
        colors, columns = head[-3], head[-2]
        _row_pixels(colors, columns)
        return original(*args)

    predictor.__wrapped__ = original
    return predictor


_budget = threading.local()


@contextmanager
def stream_budget(limit: int | None = None) -> Iterator[None]:
    """Count every stream this thread decodes in the block against ``limit`` bytes
    (``max_document_stream_bytes``): one document's reading."""
    limit = LIMITS.max_document_stream_bytes if limit is None else limit
    previous = getattr(_budget, "state", None)
    _budget.state = [limit, limit]  # [bytes left, limit]
    try:
        yield
    finally:
        _budget.state = previous


def _bounded_decode(original):
    """``PDFStream.decode`` refusing a chain of more than ``max_stream_filters`` filters, and
    counting what it decodes against the document's :func:`stream_budget`."""

    def decode(self) -> None:
        filters = self.get_filters()
        if len(filters) > LIMITS.max_stream_filters:
            raise TooManyFilters(len(filters), LIMITS.max_stream_filters)
        original(self)
        state = getattr(_budget, "state", None)
        if state is not None:
            state[0] -= len(self.data or b"")
            if state[0] < 0:
                raise StreamsTooLarge(state[1])

    decode.__wrapped__ = original
    return decode


def _guarded_resolvers():
    from pdfminer.pdfparser import PDFSyntaxError
    from pdfminer.pdftypes import PDFObjRef

    def resolve1(x: object, default: object = None):
        seen: set[int] = set()
        while isinstance(x, PDFObjRef):
            if x.objid in seen:
                raise PDFSyntaxError(f"reference cycle at object {x.objid}")
            seen.add(x.objid)
            x = x.resolve(default=default)
        return x

    def resolve_all(x: object, default: object = None):
        x = resolve1(x, default)
        if isinstance(x, list):
            x = [resolve_all(v, default=default) for v in x]
        elif isinstance(x, dict):
            for k, v in x.items():
                x[k] = resolve_all(v, default=default)
        return x

    return resolve1, resolve_all


def _count_page_objects() -> None:
    """Wrap the layout device's drawing methods with a per-page object count."""
    from pdfminer.converter import PDFLayoutAnalyzer

    def counted(method, weight):
        def wrapper(self, *args, **kwargs):
            n = getattr(self, "_piao_objects", 0) + weight(args, kwargs)
            self._piao_objects = n
            if n > LIMITS.max_page_objects:
                raise PageTooComplex(LIMITS.max_page_objects)
            return method(self, *args, **kwargs)

        wrapper.__wrapped__ = method
        return wrapper

    begin_page = PDFLayoutAnalyzer.begin_page

    def begin(self, *args, **kwargs):
        self._piao_objects = 0
        return begin_page(self, *args, **kwargs)

    def one(args, kwargs):
        return 1

    def segments(args, kwargs):
        path = kwargs.get("path", args[4] if len(args) > 4 else ())
        return max(1, len(path))

    PDFLayoutAnalyzer.begin_page = begin
    PDFLayoutAnalyzer.render_char = counted(PDFLayoutAnalyzer.render_char, one)
    PDFLayoutAnalyzer.render_image = counted(PDFLayoutAnalyzer.render_image, one)
    PDFLayoutAnalyzer.begin_figure = counted(PDFLayoutAnalyzer.begin_figure, one)
    PDFLayoutAnalyzer.paint_path = counted(PDFLayoutAnalyzer.paint_path, segments)


def install() -> None:
    """Patch pdfminer (in this process) with the guards above; idempotent and thread-safe."""
    global _installed
    if _installed:
        return
    with _lock:
        if _installed:
            return
        quiet_library_logs()
        import pdfplumber  # noqa: F401 - imports the pdfminer modules that hold resolve1
        from pdfminer import pdftypes

        original = {"resolve1": pdftypes.resolve1, "resolve_all": pdftypes.resolve_all}
        resolve1, resolve_all = _guarded_resolvers()
        guarded = {"resolve1": resolve1, "resolve_all": resolve_all}
        for name, module in list(sys.modules.items()):
            if not name.startswith(("pdfminer", "pdfplumber")) or module is None:
                continue
            for attr, fn in original.items():
                if getattr(module, attr, None) is fn:
                    setattr(module, attr, guarded[attr])
        pdftypes.zlib = SimpleNamespace(decompress=_bounded_inflate, decompressobj=zlib.decompressobj,
                                        error=zlib.error)
        pdftypes.decompress_corrupted = _bounded_inflate_corrupted
        pdftypes.lzwdecode = _bounded_lzw
        pdftypes.rldecode = _bounded_rldecode
        pdftypes.ascii85decode = _bounded_ascii85
        pdftypes.asciihexdecode = _bounded_asciihex
        pdftypes.ccittfaxdecode = _bounded_ccittfax
        pdftypes.apply_png_predictor = _bounded_predictor(pdftypes.apply_png_predictor)
        pdftypes.apply_tiff_predictor = _bounded_predictor(pdftypes.apply_tiff_predictor)
        pdftypes.PDFStream.decode = _bounded_decode(pdftypes.PDFStream.decode)
        _count_page_objects()
        _installed = True
