"""Choose the back-end for a file (by its bytes, not its name) and read it into a layout Document."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

from extractors.layout import Document
from pipeline.errors import InputError, os_cause
from pipeline.gc_tuning import with_fewer_gc_passes

#: Italian causes for the CLI's one-line error.
MESSAGES = {
    "missing": "file non trovato",
    "not_file": "non è un file",
    "unreadable": "il file non si può leggere ({err})",
    "empty": "il file è vuoto",
    "unsupported": "formato non supportato: {what} (servono PDF, DOCX o testo OCR .txt)",
    "bad_ocr": "valore di --ocr non valido: {value} (auto, always o never)",
}

#: What common non-plan files look like, to name them in the error line.
KNOWN_MAGIC = [
    (b"\xd0\xcf\x11\xe0", "documento Office 97-2003 (.doc/.xls), da salvare come DOCX o PDF"),
    (b"{\\rtf", "documento RTF, da salvare come DOCX o PDF"),
    (b"\x89PNG", "immagine PNG"),
    (b"\xff\xd8\xff", "immagine JPEG"),
    (b"II*\x00", "immagine TIFF"),
    (b"MM\x00*", "immagine TIFF"),
    (b"GIF8", "immagine GIF"),
]
TEXT_SUFFIXES = {".txt", ".text"}
OCR_MODES = {"auto", "always", "never"}
#: ``progress(stage, done, total)``: pages read so far (see :func:`read_document`).
Progress = Callable[[str, int, int], None]


def sniff(path: str) -> str:
    """``"pdf"``, ``"docx"``, ``"text"`` or raise InputError naming what the file is."""
    p = Path(path)
    if not p.exists():
        raise InputError(path, MESSAGES["missing"])
    if not p.is_file():
        raise InputError(path, MESSAGES["not_file"])
    try:
        with open(p, "rb") as fh:
            head = fh.read(1024)
    except OSError as err:
        raise InputError(path, MESSAGES["unreadable"].format(err=os_cause(err))) from err
    if not head:
        raise InputError(path, MESSAGES["empty"])
    if b"%PDF-" in head:  # the header may follow some junk bytes
        return "pdf"
    suffix = p.suffix.lower()
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(p) as zf:
                names = set(zf.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            names = set()
            if suffix == ".docx":
                return "docx"  # the DOCX back-end explains what is wrong with it
        if "word/document.xml" in names or suffix == ".docx":
            return "docx"
        what = "archivio ZIP"
        if "content.xml" in names:
            what = "documento OpenDocument (.odt), da salvare come DOCX o PDF"
        elif any(n.startswith("xl/") for n in names):
            what = "foglio di calcolo Excel"
        raise InputError(path, MESSAGES["unsupported"].format(what=what))
    if suffix == ".docx":
        return "docx"  # not a zip: the DOCX back-end reports it as damaged
    for magic, what in KNOWN_MAGIC:
        if head.startswith(magic):
            raise InputError(path, MESSAGES["unsupported"].format(what=what))
    if suffix in TEXT_SUFFIXES and _looks_like_text(head):
        return "text"
    if suffix == ".pdf":
        return "pdf"  # no header: the PDF back-end reports it as damaged
    what = f"file {suffix}" if suffix else "file senza estensione"
    raise InputError(path, MESSAGES["unsupported"].format(what=what))


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < len(head) - 4:  # not just a character cut at the 1024-byte boundary
            try:
                head.decode("cp1252")
            except UnicodeDecodeError:
                return False
    return True


@with_fewer_gc_passes
def read_document(path: str, ocr: str = "auto", max_pages: int = 300, page_timeout: float = 120.0,
                  progress: Progress | None = None) -> Document:
    """Read a plan (PDF, DOCX or OCR text) into a layout :class:`Document`.

    ``progress``, if given, is called as ``progress(stage, done, total)`` while a PDF is read:
    stage ``"read"`` (text layer) or ``"ocr"``, ``done`` of ``total`` pages (possibly from
    another thread; it must be quick and must not raise).

    Raises :class:`InputError` (with an Italian cause) for anything that cannot be read.
    """
    path = str(path)
    if ocr not in OCR_MODES:
        raise InputError(path, MESSAGES["bad_ocr"].format(value=ocr))
    kind = sniff(path)
    from extractors.layout import sha256_of

    digest = sha256_of(path)
    if kind == "pdf":
        from extractors.pdf import read_pdf

        return read_pdf(path, ocr=ocr, max_pages=max_pages, page_timeout=page_timeout, sha256=digest,
                        progress=progress)
    if kind == "docx":
        from extractors.docx import read_docx

        doc = read_docx(path, sha256=digest)
    else:
        from extractors.text import read_text

        doc = read_text(path)
        doc.sha256 = digest
    if len(doc.pages) > max_pages:
        raise InputError(path, f"il documento ha {len(doc.pages)} pagine, più del massimo consentito ({max_pages})")
    return doc
