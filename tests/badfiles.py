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
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))
    return path


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
