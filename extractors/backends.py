"""The reading seam: one :class:`ReadOptions` object, one :class:`Backend` signature, one registry.

Every reader -- PDF text layer, OCR, DOCX, plain OCR text -- is called the same way,
``backend.read(path, options, progress) -> Document``, and :data:`BACKENDS` maps each format
that :func:`extractors.read.sniff` can return to its back-end, :data:`OCR_BACKENDS` those read
by OCR alone under ``ocr="always"`` (after Docling's
``AbstractDocumentBackend`` and format -> backend table). The reading options and their
defaults live here and nowhere else; like pdfplumber's table settings, an unknown option name
is refused rather than silently ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from extractors.layout import Document
from pipeline.errors import InputError

#: ``progress(stage, done, total)``: pages read so far (see :func:`extractors.read.read_document`).
Progress = Callable[[str, int, int], None]

#: Italian causes for the CLI's one-line error (a bad value reaching a reader).
MESSAGES = {
    "bad_ocr": "valore di --ocr non valido: {value} (auto, always o never)",
    "bad_option": "valore non valido per l'opzione di lettura {name}: {value!r}",
}


class ReadOptions(BaseModel):
    """How a file is read; the one place the readers' defaults are written."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: auto: OCR only the pages without a usable text layer; always: every page; never: none.
    ocr: Literal["auto", "always", "never"] = "auto"
    #: A document with more pages is refused.
    max_pages: int = Field(300, ge=1)
    #: Seconds allowed to read (or OCR) one page.
    page_timeout: float = Field(120.0, gt=0, allow_inf_nan=False)
    #: Processes reading a PDF's text layer (None: as many as there are idle cores).
    workers: int | None = Field(None, ge=1)

    @classmethod
    def resolve(cls, path: str, options: ReadOptions | None = None, /, **values) -> ReadOptions:
        """``options`` (or the defaults) with ``values`` laid over them.

        An unknown option name is a programming error: ``TypeError`` naming it and the known
        ones. A bad value is bad input: ``InputError`` naming ``path`` with an Italian cause.
        """
        unknown = sorted(set(values) - set(cls.model_fields))
        if unknown:
            raise TypeError(f"unknown read option(s): {', '.join(unknown)}; "
                            f"known: {', '.join(cls.model_fields)}")
        base = options if options is not None else cls()
        if not values:
            return base
        try:
            return cls(**{**base.model_dump(), **values})
        except ValidationError as err:
            name = str(err.errors()[0]["loc"][0])
            value = values.get(name)
            cause = (MESSAGES["bad_ocr"].format(value=value) if name == "ocr"
                     else MESSAGES["bad_option"].format(name=name, value=value))
            raise InputError(path, cause) from err


@runtime_checkable
class Backend(Protocol):
    """A reader of one kind of file into a layout :class:`Document`.

    ``read`` honours ``options.max_pages`` (an ``InputError`` beyond it) and calls ``progress``
    (if given) as pages are read; the document carries the file's sha256. It raises
    :class:`InputError` for anything it cannot read."""

    def read(self, path: str, options: ReadOptions, progress: Progress | None = None) -> Document: ...


def _check_pages(path: str, doc: Document, options: ReadOptions) -> Document:
    if len(doc.pages) > options.max_pages:
        raise InputError(path, f"il documento ha {len(doc.pages)} pagine, più del massimo consentito "
                               f"({options.max_pages})")
    return doc


class PdfBackend:
    """A PDF's text layer (pdfplumber); pages without a usable one go to OCR as ``options.ocr`` says."""

    def read(self, path: str, options: ReadOptions, progress: Progress | None = None) -> Document:
        from extractors.pdf import read_pdf

        return read_pdf(path, options, progress=progress)


class OcrBackend:
    """Every page of a PDF through OCR, whatever its text layer (``--ocr always``)."""

    def read(self, path: str, options: ReadOptions, progress: Progress | None = None) -> Document:
        from extractors.pdf import read_pdf

        return read_pdf(path, options.model_copy(update={"ocr": "always"}), progress=progress)


class DocxBackend:
    """A Word document (python-docx), paginated as Word would."""

    def read(self, path: str, options: ReadOptions, progress: Progress | None = None) -> Document:
        from extractors.docx import read_docx

        return _check_pages(path, read_docx(path), options)


class TextBackend:
    """A plain OCR text file (form feeds or page marks split the pages)."""

    def read(self, path: str, options: ReadOptions, progress: Progress | None = None) -> Document:
        from extractors.text import read_text

        return _check_pages(path, read_text(path), options)


#: Format (as :func:`extractors.read.sniff` names it) -> back-end.
BACKENDS: dict[str, Backend] = {
    "pdf": PdfBackend(),
    "docx": DocxBackend(),
    "text": TextBackend(),
}
#: Format -> back-end when every page is to be OCR'd (``ocr="always"``); others fall back to BACKENDS.
OCR_BACKENDS: dict[str, Backend] = {
    "pdf": OcrBackend(),
}


def backend_for(kind: str, options: ReadOptions) -> Backend:
    """The back-end reading a file of format ``kind`` (see :func:`extractors.read.sniff`) as
    ``options`` say."""
    if options.ocr == "always" and kind in OCR_BACKENDS:
        return OCR_BACKENDS[kind]
    return BACKENDS[kind]
