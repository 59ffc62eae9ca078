"""Make the bad inputs a plan reader meets in the wild, in a temporary folder."""

from __future__ import annotations

import random
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PLAN_PDF = EXAMPLES / "chiari-2025.pdf"


def text_pdf(path: Path, lines: list[str]) -> Path:
    """A minimal, valid one-page PDF with the given lines in Helvetica (no external tools)."""
    ops = ["BT", "/F1 11 Tf", "14 TL", "56 780 Td"]
    for line in lines:
        safe = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        ops.append(f"({safe}) Tj T*")
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    return pdf_from_objects(path, objects)


def encrypted_pdf(path: Path, algorithm: str = "AES-128") -> Path:
    """The example plan behind a user password ("segreta"); ``algorithm`` as pypdf names it
    (AES-128, AES-256, RC4-40 for the oldest standard security handler, RC4-128)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(PLAN_PDF))
    writer.encrypt(user_password="segreta", owner_password="ufficio", algorithm=algorithm)
    with path.open("wb") as fh:
        writer.write(fh)
    return path


def pages_of_plan(path: Path, first: int, last: int) -> Path:
    """Pages first..last (1-based) of the example plan, e.g. the introduction without cards."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(PLAN_PDF)
    writer = PdfWriter()
    for i in range(first - 1, last):
        writer.add_page(reader.pages[i])
    with path.open("wb") as fh:
        writer.write(fh)
    return path


def blank_image_pdf(path: Path) -> Path:
    """An image-only PDF whose one page is a white scan."""
    from PIL import Image

    Image.new("L", (1654, 2339), 255).save(path, "PDF", resolution=200.0)
    return path


def random_bytes(path: Path, size: int = 8192, seed: int = 7) -> Path:
    path.write_bytes(random.Random(seed).randbytes(size))
    return path


def truncated_pdf(path: Path, fraction: float = 0.4) -> Path:
    data = PLAN_PDF.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


# -- hostile files (issue 18): each small to write, each built to hang, bomb or confuse a reader --


def pdf_from_objects(path: Path, objects: list[bytes], root: int = 1) -> Path:
    """A PDF whose numbered objects (1, 2, ...) are the given bodies, with a correct xref table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, root, xref)
    path.write_bytes(bytes(out))
    return path


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(data), extra) + data + b"\nendstream"


_TEXT = b"BT /F1 11 Tf 56 780 Td (Piano della performance) Tj ET"
_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def _page_pdf(path: Path, page: bytes, extra: list[bytes]) -> Path:
    """Catalog (1), Pages (2), the given page dictionary (3), then ``extra`` objects from 4 on."""
    return pdf_from_objects(path, [b"<< /Type /Catalog /Pages 2 0 R >>",
                                   b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", page, *extra])


def self_length_pdf(path: Path) -> Path:
    """The content stream's /Length is object 5, and object 5 is a reference to itself."""
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>"
    stream = b"<< /Length 5 0 R >>\nstream\n" + _TEXT + b"\nendstream"
    return _page_pdf(path, page, [stream, b"5 0 R"])


def self_resources_pdf(path: Path) -> Path:
    """The page's /Resources is object 5, a reference to itself."""
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources 5 0 R >>"
    return _page_pdf(path, page, [_stream(_TEXT), b"5 0 R"])


def self_mediabox_pdf(path: Path) -> Path:
    """The page's /MediaBox is object 5, a reference to itself."""
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox 5 0 R /Contents 4 0 R >>"
    return _page_pdf(path, page, [_stream(_TEXT), b"5 0 R"])


def reference_cycle_pdf(path: Path) -> Path:
    """/Resources is object 5, which is object 6, which is object 5 again."""
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources 5 0 R >>"
    return _page_pdf(path, page, [_stream(_TEXT), b"6 0 R", b"5 0 R"])


def page_tree_cycle_pdf(path: Path) -> Path:
    """The page tree's /Kids holds the page tree itself (and the page)."""
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>"
    return pdf_from_objects(path, [b"<< /Type /Catalog /Pages 2 0 R >>",
                                   b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>", page, _stream(_TEXT)])


def self_drawing_form_pdf(path: Path) -> Path:
    """A form XObject that draws itself (``/X1 Do`` inside /X1)."""
    page = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /XObject << /X1 5 0 R >> /Font << /F1 6 0 R >> >> >>")
    form = _stream(_TEXT + b" /X1 Do", b"/Type /XObject /Subtype /Form /BBox [0 0 595 842] "
                   b"/Resources << /XObject << /X1 5 0 R >> /Font << /F1 6 0 R >> >> ")
    return _page_pdf(path, page, [_stream(b"/X1 Do"), form, _FONT])


def flate_bomb_pdf(path: Path, inflated_mb: int = 1024) -> Path:
    """A page whose content stream is ~1 MB of Flate data inflating to ``inflated_mb`` MB of spaces."""
    import zlib

    comp = zlib.compressobj(9)
    chunk = b" " * (1 << 20)
    data = b"".join(comp.compress(chunk) for _ in range(inflated_mb)) + comp.flush()
    page = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>")
    return _page_pdf(path, page, [_stream(data, b"/Filter /FlateDecode "), _FONT])


def huge_page_pdf(path: Path, side_pt: int = 20000) -> Path:
    """One blank page of ``side_pt`` x ``side_pt`` points (the PDF limit is 14,400)."""
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Contents 4 0 R >>" % (side_pt, side_pt)
    return _page_pdf(path, page, [_stream(b"")])


def many_pages_pdf(path: Path, pages: int = 5000) -> Path:
    """``pages`` blank pages sharing one content stream."""
    kids = b" ".join(b"%d 0 R" % (4 + i) for i in range(pages))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages), _stream(_TEXT)]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R >>"] * pages
    return pdf_from_objects(path, objects)


def deep_array_pdf(path: Path, depth: int = 100_000) -> Path:
    """/Resources nested ``depth`` arrays deep."""
    page = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources 5 0 R >>")
    return _page_pdf(path, page, [_stream(_TEXT), b"[" * depth + b"]" * depth])


_DOCX_TYPES = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
               b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
               b'<Default Extension="xml" ContentType="application/xml"/>'
               b'<Override PartName="/word/document.xml" ContentType="application/'
               b'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
_DOCX_RELS = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
              b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
              b'relationships/officeDocument" Target="word/document.xml"/></Relationships>')
_W = b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def docx_from_document_xml(path: Path, chunks, prolog: bytes = b"") -> Path:
    """A minimal DOCX whose word/document.xml is ``prolog`` + the body built from ``chunks``
    (an iterable of bytes written in turn, so a huge part never sits in this process's memory)."""
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", _DOCX_TYPES)
        zf.writestr("_rels/.rels", _DOCX_RELS)
        with zf.open("word/document.xml", "w", force_zip64=True) as fh:
            fh.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + prolog)
            fh.write(b"<w:document %s><w:body>" % _W)
            for chunk in chunks:
                fh.write(chunk)
            fh.write(b"</w:body></w:document>")
    return path


def _para(text: str) -> bytes:
    return b"<w:p><w:r><w:t>%s</w:t></w:r></w:p>" % text.encode()


def zip_bomb_docx(path: Path, inflated_mb: int = 1024) -> Path:
    """A DOCX whose document.xml inflates to ``inflated_mb`` MB (one long run of spaces)."""
    def chunks():
        yield b"<w:p><w:r><w:t>"
        block = b" " * (1 << 20)
        for _ in range(inflated_mb):
            yield block
        yield b"</w:t></w:r></w:p>"
    return docx_from_document_xml(path, chunks())


def empty_paragraphs_docx(path: Path, paragraphs: int = 20_000_000) -> Path:
    """A DOCX of ``paragraphs`` empty paragraphs (~120 MB of XML, a few hundred KB zipped)."""
    block = b"<w:p/>" * 100_000
    return docx_from_document_xml(path, (block for _ in range(paragraphs // 100_000)))


def xxe_docx(path: Path, secret: Path) -> Path:
    """document.xml declares an external entity pointing at ``secret`` and prints it."""
    prolog = b'<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file://%s">]>\n' % str(secret).encode()
    return docx_from_document_xml(path, [b"<w:p><w:r><w:t>Piano &xxe;</w:t></w:r></w:p>"], prolog)


def billion_laughs_docx(path: Path) -> Path:
    """The classic: ten nested entities of ten references each (10^9 "lol"s when expanded)."""
    ents = [b'<!ENTITY lol0 "lol">']
    ents += [b'<!ENTITY lol%d "%s">' % (i, b"".join(b"&lol%d;" % (i - 1) for _ in range(10))) for i in range(1, 10)]
    prolog = b"<!DOCTYPE w:document [" + b"".join(ents) + b"]>\n"
    return docx_from_document_xml(path, [b"<w:p><w:r><w:t>&lol9;</w:t></w:r></w:p>"], prolog)


def slow_pdf(path: Path, pages: int = 50, operators_millions: int = 16) -> Path:
    """``pages`` pages sharing one content stream of millions of ``q Q`` (save/restore): nothing
    is drawn and each operator is cheap, but interpreting them takes pdfminer about a minute a
    page -- a stand-in for any file that keeps a parser busy without end. 64 MB inflated, just
    under the stream limit; 60 KB on disk."""
    import zlib

    data = zlib.compress(b"q Q\n" * (operators_millions * 1_000_000), 9)
    kids = b" ".join(b"%d 0 R" % (4 + i) for i in range(pages))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
               _stream(data, b"/Filter /FlateDecode ")]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R >>"] * pages
    return pdf_from_objects(path, objects)


# -- stream bombs beyond Flate: other filters, chains of them, row parameters ----------------------


def filtered_stream_pdf(path: Path, data: bytes, filters: list[str], parms: bytes = b"") -> Path:
    """One page whose content stream is ``data`` under ``/Filter [filters]`` (first applied first
    when decoding) with optional ``/DecodeParms``."""
    names = b" ".join(b"/" + f.encode() for f in filters)
    extra = b"/Filter [%s] " % names + (b"/DecodeParms %s " % parms if parms else b"")
    page = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>")
    return _page_pdf(path, page, [_stream(data, extra), _FONT])


def runlength_spaces(megabytes: int) -> bytes:
    """RunLength data of ``megabytes`` MB of spaces: two bytes per 128 (length byte 129 repeats
    the next byte 257 - 129 = 128 times)."""
    return b"\x81 " * (megabytes * (1 << 20) // 128) + b"\x80"


def lzw_spaces(megabytes: int) -> bytes:
    """LZW data (PDF's, early change) of at least ``megabytes`` MB of spaces (7 MB at least): each new code is the
    previous string plus one space, up to a 3,800-byte string, then that code over and over
    (12 bits for 3,800 bytes)."""
    bits: list[str] = []

    def put(code: int, width: int) -> None:
        bits.append(format(code, f"0{width}b"))

    width, size = 9, 258
    put(256, width)
    put(32, width)
    total, last = 1, 1
    while size < 4096:
        put(size, width)
        size += 1
        last += 1
        total += last
        width = {511: 10, 1023: 11, 2047: 12}.get(size, width)
    while total < megabytes * (1 << 20):
        put(4095, width)
        total += 4095 - 257  # the string of code 4095 (one space per code since the first)
    put(257, width)
    stream = "".join(bits)
    stream += "0" * (-len(stream) % 8)
    return int(stream, 2).to_bytes(len(stream) // 8, "big")


def many_streams_pdf(path: Path, streams: int = 9, inflated_mb: int = 60) -> Path:
    """One page drawing ``streams`` content streams, each ~60 KB of Flate inflating to
    ``inflated_mb`` MB of spaces: each under the one-stream limit, together over the document's."""
    import zlib

    data = zlib.compress(b" " * (inflated_mb << 20), 9)
    refs = b" ".join(b"%d 0 R" % (5 + i) for i in range(streams))
    page = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents [%s] "
            b"/Resources << /Font << /F1 4 0 R >> >> >>" % refs)
    return _page_pdf(path, page, [_FONT] + [_stream(data, b"/Filter /FlateDecode ")] * streams)


# -- more hostile kinds: outlines, page trees, page counts, DOCX parts and external links -----------


def owner_password_pdf(path: Path, first: int = 1, last: int = 8) -> Path:
    """Pages first..last of the example plan, encrypted with an owner password only (no password
    to open it, as offices publish plans "protected" against editing)."""
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(PLAN_PDF)
    writer = PdfWriter()
    for i in range(first - 1, last):
        writer.add_page(reader.pages[i])
    writer.encrypt(user_password="", owner_password="ufficio", algorithm="AES-128")
    with path.open("wb") as fh:
        writer.write(fh)
    return path


def _one_page_with(catalog_extra: bytes, extra: list[bytes]) -> list[bytes]:
    return [b"<< /Type /Catalog /Pages 2 0 R %s>>" % catalog_extra,
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>", _stream(_TEXT), _FONT, *extra]


def deep_outline_pdf(path: Path, depth: int = 50_000) -> Path:
    """Bookmarks nested ``depth`` levels deep (each the only child of the one before)."""
    first = 6
    items = [b"<< /Title (Livello %d) /First %d 0 R /Last %d 0 R /Count 1 >>" % (i, first + i + 1, first + i + 1)
             for i in range(depth - 1)]
    items.append(b"<< /Title (Fondo) >>")
    return pdf_from_objects(path, _one_page_with(b"/Outlines %d 0 R " % first, items))


def outline_loop_pdf(path: Path) -> Path:
    """A bookmark that is its own next sibling and whose first child is the outline root."""
    return pdf_from_objects(path, _one_page_with(b"/Outlines 6 0 R ", [
        b"<< /Type /Outlines /First 7 0 R /Last 7 0 R /Count 1 >>",
        b"<< /Title (Ciclo) /Parent 6 0 R /Next 7 0 R /Prev 7 0 R /First 6 0 R /Last 6 0 R /Count 1 >>"]))


def deep_page_tree_pdf(path: Path, depth: int = 100_000) -> Path:
    """A page tree ``depth`` /Pages nodes deep above its one page."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    objects += [b"<< /Type /Pages /Kids [%d 0 R] /Count 1 >>" % (3 + i) for i in range(depth)]
    objects += [b"<< /Type /Page /MediaBox [0 0 595 842] /Contents %d 0 R >>" % (3 + depth + 1), _stream(_TEXT)]
    return pdf_from_objects(path, objects)


def claimed_pages_pdf(path: Path, claimed: int = 1_000_000) -> Path:
    """One page under a page tree whose /Count claims ``claimed`` pages."""
    return pdf_from_objects(path, [b"<< /Type /Catalog /Pages 2 0 R >>",
                                   b"<< /Type /Pages /Kids [3 0 R] /Count %d >>" % claimed,
                                   b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
                                   _stream(_TEXT)])


def many_parts_docx(path: Path, parts: int = 20_000) -> Path:
    """A DOCX with ``parts`` empty entries beside its document (each a few dozen bytes)."""
    import zipfile

    docx_from_document_xml(path, [_para("Piano della performance")])
    with zipfile.ZipFile(path, "a") as zf:
        for i in range(parts):
            zf.writestr(f"word/media/parte{i}.xml", b"")
    return path


def truncated_docx(path: Path, fraction: float = 0.9) -> Path:
    data = (EXAMPLES / "chiari-2025.docx").read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


def external_links_docx(path: Path, url: str) -> Path:
    """A DOCX whose relationships point outside the file at ``url``: a hyperlink, a linked
    (not embedded) picture, an attached template and a sub-document, as Word writes them."""
    import zipfile

    rid = 'Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/%s" ' \
          'Target="%s" TargetMode="External"'
    doc_rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.'
                'openxmlformats.org/package/2006/relationships">'
                + "".join(f"<Relationship {rid % (i, kind, url + '/' + kind)}/>"
                          for i, kind in enumerate(("hyperlink", "image", "subDocument", "oleObject"), start=1))
                + '<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                  'relationships/settings" Target="settings.xml"/></Relationships>')
    settings_rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://'
                     'schemas.openxmlformats.org/package/2006/relationships">'
                     f"<Relationship {rid % (1, 'attachedTemplate', url + '/modello.dotx')}/></Relationships>")
    settings = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:settings xmlns:w="http://schemas.'
                'openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
                'officeDocument/2006/relationships"><w:attachedTemplate r:id="rId1"/></w:settings>')
    a = (b'<w:p><w:hyperlink xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
         b'r:id="rId1"><w:r><w:t>Piano della performance</w:t></w:r></w:hyperlink></w:p>')
    docx_from_document_xml(path, [a, _para("Obiettivo n. 1")])
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("word/_rels/document.xml.rels", doc_rels)
        zf.writestr("word/settings.xml", settings)
        zf.writestr("word/_rels/settings.xml.rels", settings_rels)
    return path
