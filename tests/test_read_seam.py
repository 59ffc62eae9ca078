"""The reading seam (issue #13): one ReadOptions object, one Backend signature, one registry."""

from __future__ import annotations

import argparse
import inspect
import shutil
import typing
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from docx import Document as DocxDocument
from docx.enum.text import WD_BREAK
from pydantic import ValidationError

from extractors.backends import (BACKENDS, OCR_BACKENDS, Backend, DocxBackend, OcrBackend, PdfBackend,
                                 ReadOptions, TextBackend, backend_for)
from extractors.layout import Document
from extractors.read import read_document, sniff
from flows.run import RunOptions
from pipeline.errors import InputError

ROOT = Path(__file__).resolve().parent.parent
PDF = ROOT / "examples" / "chiari-2025.pdf"
SCAN = ROOT / "tests" / "data" / "chiari-2025-scan-p1-10.pdf"


def _docx(tmp_path: Path, pages: int) -> Path:
    """A DOCX of ``pages`` pages: one paragraph each, separated by explicit page breaks."""
    d = DocxDocument()
    for n in range(1, pages + 1):
        p = d.add_paragraph(f"Obiettivo di prova, pagina {n}")
        if n < pages:
            p.add_run().add_break(WD_BREAK.PAGE)
    path = tmp_path / "piano.docx"
    d.save(path)
    return path


def _text(tmp_path: Path, pages: int) -> Path:
    """An OCR text file of ``pages`` pages separated by form feeds."""
    path = tmp_path / "piano.txt"
    path.write_text("\f".join(f"Pagina {n}\nObiettivo di prova" for n in range(1, pages + 1)), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- ReadOptions


def test_unknown_option_is_refused_with_its_name():
    with pytest.raises(ValidationError, match="max_page"):
        ReadOptions(max_page=5)
    with pytest.raises(TypeError, match=r"unknown read option\(s\): max_page; known: ocr, max_pages"):
        read_document(str(PDF), max_page=5)
    with pytest.raises(TypeError, match="timeout"):
        ReadOptions.resolve("x.pdf", None, timeout=5)  # the whole-run limit is not a reader's option


def test_options_are_frozen_and_overrides_make_a_new_object():
    base = ReadOptions(max_pages=7)
    with pytest.raises(ValidationError):
        base.max_pages = 8
    laid = ReadOptions.resolve("x.pdf", base, ocr="never")
    assert (laid.ocr, laid.max_pages) == ("never", 7)
    assert base.ocr == "auto"
    assert ReadOptions.resolve("x.pdf", base) is base


def test_bad_value_is_an_italian_input_error_naming_the_file():
    with pytest.raises(InputError, match="valore di --ocr non valido: sempre") as info:
        read_document(str(PDF), ocr="sempre")
    assert str(PDF) in str(info.value)
    with pytest.raises(InputError, match="opzione di lettura max_pages"):
        read_document(str(PDF), max_pages="tante")
    # A flow parameter reaches the reader through RunOptions: the same line, naming the plan.
    with pytest.raises(InputError, match="valore di --ocr non valido: bogus"):
        RunOptions(ocr="bogus").read("piano.pdf")


@pytest.mark.parametrize("name, value", [("max_pages", 0), ("max_pages", -1), ("page_timeout", 0),
                                         ("page_timeout", float("nan")), ("workers", -3)])
def test_out_of_range_values_are_refused_not_read_as_no_limit(name, value):
    # A Prefect flow parameter skips the CLI's checks: a zero or NaN page_timeout would mean no
    # page limit at all, a negative max_pages no page read; the reader refuses them in Italian.
    with pytest.raises(InputError, match=f"opzione di lettura {name}"):
        ReadOptions.resolve("piano.pdf", **{name: value})


@pytest.mark.parametrize("name, value", [("max_pages", 0), ("page_timeout", float("nan"))])
def test_out_of_range_flow_parameters_are_refused_when_read(name, value):
    with pytest.raises(InputError, match=f"opzione di lettura {name}"):
        RunOptions(**{name: value}).read("piano.pdf")


def test_run_options_hand_their_reading_part_over_once():
    read = RunOptions(ocr="never", max_pages=12, page_timeout=3.5, classification="c.csv").read("p.pdf")
    assert read == ReadOptions(ocr="never", max_pages=12, page_timeout=3.5)


def test_the_defaults_are_the_readers_defaults_everywhere():
    """CLI arguments, RunOptions and the Prefect flows' parameters all start from ReadOptions."""
    from flows.cli import build_parser
    from flows.plan_flow import folder_flow, plan_flow

    defaults = ReadOptions()
    assert RunOptions().read("p.pdf") == defaults
    args = build_parser().parse_args(["run", str(PDF), "--out", "o"])
    assert RunOptions.from_args(args).read("p.pdf") == defaults
    for flow in (plan_flow, folder_flow):
        params = inspect.signature(flow.fn).parameters
        assert (params["max_pages"].default, params["page_timeout"].default) == (300, 120.0)
    assert (defaults.ocr, defaults.max_pages, defaults.page_timeout) == ("auto", 300, 120.0)  # the documented ones


def test_run_options_from_args_keeps_every_reading_argument():
    args = argparse.Namespace(ocr="always", classification=None, max_pages=4, page_timeout=9.0)
    options = RunOptions.from_args(args)  # no --timeout/--profile: their defaults
    assert (options.ocr, options.max_pages, options.page_timeout) == ("always", 4, 9.0)
    assert (options.timeout, options.profile) == (RunOptions().timeout, None)


# --------------------------------------------------------------------------- Backend and registry


def test_registry_maps_every_sniffed_format(tmp_path):
    formats = set(typing.get_args(typing.get_type_hints(Document)["format"]))
    assert set(BACKENDS) == formats
    files = {"pdf": PDF, "docx": _docx(tmp_path, 1), "text": _text(tmp_path, 1)}
    for kind, path in files.items():
        assert sniff(str(path)) == kind
        doc = read_document(str(path))
        assert doc.format == kind and doc.pages
    assert isinstance(backend_for("pdf", ReadOptions(ocr="always")), OcrBackend)
    assert isinstance(backend_for("pdf", ReadOptions(ocr="auto")), PdfBackend)
    assert isinstance(backend_for("docx", ReadOptions(ocr="always")), DocxBackend)  # no OCR for Word


def test_every_backend_has_the_one_signature():
    backends = [*BACKENDS.values(), *OCR_BACKENDS.values()]
    assert {type(b) for b in backends} == {PdfBackend, OcrBackend, DocxBackend, TextBackend}
    wanted = list(inspect.signature(Backend.read).parameters)
    for backend in backends:
        assert isinstance(backend, Backend)
        assert ["self", *inspect.signature(backend.read).parameters] == wanted


@pytest.mark.parametrize("backend, make", [
    (PdfBackend(), lambda tmp: (PDF, len(pdfium.PdfDocument(str(PDF))))),
    (OcrBackend(), lambda tmp: (SCAN, len(pdfium.PdfDocument(str(SCAN))))),
    (DocxBackend(), lambda tmp: (_docx(tmp, 3), 3)),
    (TextBackend(), lambda tmp: (_text(tmp, 3), 3)),
], ids=["pdf", "ocr", "docx", "text"])
def test_each_backend_refuses_more_pages_than_max_pages(tmp_path, backend, make):
    path, pages = make(tmp_path)
    with pytest.raises(InputError, match=rf"{pages} pagine, più del massimo consentito \({pages - 1}\)"):
        backend.read(str(path), ReadOptions(max_pages=pages - 1))


@pytest.mark.parametrize("backend, make", [
    (PdfBackend(), lambda tmp: (PDF, len(pdfium.PdfDocument(str(PDF))))),
    (DocxBackend(), lambda tmp: (_docx(tmp, 3), 3)),
    (TextBackend(), lambda tmp: (_text(tmp, 3), 3)),
], ids=["pdf", "docx", "text"])
def test_each_backend_reads_exactly_max_pages(tmp_path, backend, make):
    path, pages = make(tmp_path)
    doc = backend.read(str(path), ReadOptions(max_pages=pages, ocr="never"))
    assert len(doc.pages) == pages
    assert len(doc.sha256) == 64


@pytest.mark.ocr
@pytest.mark.skipif(shutil.which("tesseract") is None, reason="Tesseract not installed")
def test_ocr_backend_reads_every_page_by_ocr_within_max_pages(tmp_path):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(str(SCAN)).pages[:2]:
        writer.add_page(page)
    two = tmp_path / "due.pdf"
    with open(two, "wb") as fh:
        writer.write(fh)
    doc = OcrBackend().read(str(two), ReadOptions(max_pages=2))
    assert doc.ocr_pages == [1, 2]
