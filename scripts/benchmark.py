#!/usr/bin/env python3
"""Print every benchmark figure of the project in one run.

Each section lives in ``bench/<name>.py`` and exposes ``run() -> list[tuple[str, str]]``
(label, figure). Sections: extract (piao run vs bare pdfplumber), ocr (OCR path vs plain
tesseract, character error rate), flows (piao batch vs xargs piao run, flow overhead), scans (the
whole piao run on a 49-page scan vs OCRmyPDF on the same file; skipped without ocrmypdf); on
request only: inputs (field accuracy and CER per input kind: digital, scan 200 and 150 dpi,
searchable scans, OCR text; long).

Usage: python scripts/benchmark.py [section ...]
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECTIONS = ["extract", "ocr", "flows", "scans"]


def main(argv: list[str]) -> int:
    wanted = argv or SECTIONS
    for name in wanted:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as err:
            print(f"[{name}] not available: {err}")
            continue
        print(f"== {name} ==", flush=True)
        for label, figure in module.run():
            print(f"  {label:<58} {figure}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
