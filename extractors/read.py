"""Choose the back-end for a file (by its bytes, not its name) and read it into a layout Document."""

from __future__ import annotations

import zipfile
from pathlib import Path

from extractors.backends import Progress, ReadOptions, backend_for
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
def read_document(path: str, options: ReadOptions | None = None, progress: Progress | None = None,
                  **values) -> Document:
    """Read a plan (PDF, DOCX or OCR text) into a layout :class:`Document`.

    ``options`` (:class:`~extractors.backends.ReadOptions`, the defaults if omitted) says how;
    single options may be given as keywords on top of it (``read_document(p, ocr="never")``),
    an unknown name is a ``TypeError``. The file's format (by its bytes) and the options pick the
    back-end (:func:`~extractors.backends.backend_for`).

    ``progress``, if given, is called as ``progress(stage, done, total)`` while a PDF is read:
    stage ``"read"`` (text layer) or ``"ocr"``, ``done`` of ``total`` pages (possibly from
    another thread; it must be quick and must not raise).

    Raises :class:`InputError` (with an Italian cause) for anything that cannot be read.
    """
    path = str(path)
    options = ReadOptions.resolve(path, options, **values)
    return backend_for(sniff(path), options).read(path, options, progress)
