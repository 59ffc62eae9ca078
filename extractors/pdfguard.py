"""Guards around pdfminer for hostile PDFs (issue 18), installed once by :func:`install`.

- Reference resolution: pdfminer's ``resolve1``/``resolve_all`` follow ``n 0 R`` references in a
  ``while`` loop; an object that refers to itself (as /Length, /Resources, /MediaBox...) or a
  cycle of them loops forever. The guarded versions stop at a cycle and raise pdfminer's own
  ``PDFSyntaxError``, which the back-end reports as a damaged PDF.
- Stream inflation: a Flate (or LZW) stream of 1 MB may inflate to gigabytes. Decoding stops at
  :data:`pipeline.limits.LIMITS.max_stream_bytes` and raises :class:`StreamTooLarge`.
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


class PageTooComplex(Exception):
    """A page draws more objects than the limit."""

    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(f"page draws more than {limit} objects")


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
        _count_page_objects()
        _installed = True
