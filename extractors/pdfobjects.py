"""pdfplumber's ``Page.process_object`` without its per-attribute overhead (issue 17).

pdfplumber turns every pdfminer layout object (each character of a page) into a dict of its
attributes, passing each attribute value through ``resolve_all`` (which follows PDF object
references, recursing into lists, tuples and dicts). A character's attributes are plain
numbers, strings and tuples of numbers: the recursion only rebuilds what it was given, and on a
49-page plan it was a quarter of the reading. :func:`process_object` is pdfplumber's own method
with one change: a value that is a plain scalar, or a tuple of plain scalars, is kept (a tuple
copied) without the call; anything else still goes through ``resolve_all``; and the colour
space name every character carries is decoded once per name, not per character. The dicts are equal
to pdfplumber's (``tests/test_pdf_objects.py`` compares every object of real PDFs).

The method is replaced only on the pdfplumber releases it was written against
(:data:`RELEASES`); on any other the library is left as it is.
"""

from __future__ import annotations

import re
import threading
from typing import Any
from unicodedata import normalize as normalize_unicode

from pdfminer.layout import LTChar, LTCurve, LTTextContainer
from pdfplumber import page as plpage
from pdfplumber.utils import resolve_all, resolve_and_decode

#: pdfplumber releases whose ``Page.process_object`` this mirrors: from 0.11.7 (compared with
#: 0.11.7 and 0.11.11; 0.11.4-0.11.6 normalise colours and add pattern keys, 0.11.0 has no
#: ``unicode_norm``) up to, not including, 0.12.
RELEASES = ((0, 11, 7), (0, 12, 0))

#: Types ``resolve_all`` returns unchanged (exact types: a subclass still goes through it).
_SCALARS = frozenset({float, int, str, bool, type(None)})

_kinds: dict[type, str] = {}
_names: dict[str, Any] = {}
#: Colour space names remembered per process (a plan names a handful).
_NAMES_KEPT = 256
_installed = False
_original = None  # pdfplumber's own method, once replaced
_lock = threading.Lock()


def _decoded_name(name):
    """``resolve_and_decode`` of a colour space's name: a str name (every character of a page
    names one of a few) is decoded once per process, anything else each time."""
    if type(name) is not str:
        return resolve_and_decode(name)
    decoded = _names.get(name)
    if decoded is None:
        decoded = resolve_and_decode(name)
        if len(_names) < _NAMES_KEPT:  # a hostile file naming a new space per character
            _names[name] = decoded
    return decoded


def process_object(self, obj) -> dict[str, Any]:
    """pdfplumber 0.11's ``Page.process_object``, with scalar attributes taken as they are."""
    cls = obj.__class__
    kind = _kinds.get(cls)
    if kind is None:
        kind = _kinds[cls] = re.sub(plpage.lt_pat, "", cls.__name__).lower()

    attr: dict[str, Any] = {}
    wanted = plpage.ALL_ATTRS
    for k, v in obj.__dict__.items():
        if k in wanted:
            t = type(v)
            if t in _SCALARS:
                attr[k] = v
            elif t is tuple and all(type(x) in _SCALARS for x in v):
                attr[k] = tuple(v)
            else:
                attr[k] = resolve_all(v)

    # From here on, pdfplumber's method as it is.
    attr["object_type"] = kind
    attr["page_number"] = self.page_number

    for cs in ["ncs", "scs"]:
        if hasattr(obj, cs):
            attr[cs] = _decoded_name(getattr(obj, cs).name)

    if isinstance(obj, (LTChar, LTTextContainer)):
        text = obj.get_text()
        attr["text"] = (normalize_unicode(self.pdf.unicode_norm, text)
                        if self.pdf.unicode_norm is not None else text)

    if isinstance(obj, LTChar):
        gs = obj.graphicstate
        attr["stroking_color"] = gs.scolor if isinstance(gs.scolor, tuple) else (gs.scolor,)
        attr["non_stroking_color"] = gs.ncolor if isinstance(gs.ncolor, tuple) else (gs.ncolor,)
        if isinstance(attr["fontname"], bytes):  # (rare) byte-encoded font names
            attr["fontname"] = plpage.fix_fontname_bytes(attr["fontname"])
    elif isinstance(obj, LTCurve):
        attr["pts"] = list(map(self.point2coord, attr["pts"]))
        attr["path"] = [(cmd, *map(self.point2coord, pts)) for cmd, *pts in obj.original_path]
        attr["dash"] = obj.dashing_style

    mb_x0, mb_top = self.mediabox[:2]
    if "y0" in attr:
        attr["top"] = (self.height - attr["y1"]) + mb_top
        attr["bottom"] = (self.height - attr["y0"]) + mb_top
        attr["doctop"] = self.initial_doctop + attr["top"]
    if "x0" in attr and mb_x0 != 0:
        attr["x0"] = attr["x0"] + mb_x0
        attr["x1"] = attr["x1"] + mb_x0
    return attr


def supported() -> bool:
    """Whether the installed pdfplumber is a release :func:`process_object` mirrors."""
    import pdfplumber

    try:
        version = tuple(int(x) for x in str(getattr(pdfplumber, "__version__", "")).split(".")[:3])
    except ValueError:  # "0.12.0rc1", a local build: not one we compared
        return False
    return (RELEASES[0] <= version < RELEASES[1]
            and all(hasattr(plpage, name) for name in ("ALL_ATTRS", "lt_pat", "fix_fontname_bytes")))


def install() -> bool:
    """Replace ``pdfplumber.page.Page.process_object`` (idempotent); False when the installed
    pdfplumber is not one of :data:`RELEASES` and was left alone."""
    global _installed, _original
    with _lock:
        if not _installed and supported():
            from pdfplumber.page import Page

            _original = Page.process_object
            Page.process_object = process_object
            _installed = True
    return _installed


def original():
    """pdfplumber's own ``Page.process_object`` (replaced or not)."""
    from pdfplumber.page import Page

    return _original if _installed else Page.process_object
