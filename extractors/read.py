"""Choose the back-end for a file and read it into a layout Document (stub)."""

from __future__ import annotations

from extractors.layout import Document


def read_document(path: str, ocr: str = "auto", max_pages: int = 300, page_timeout: float = 120.0) -> Document:
    raise NotImplementedError
