"""A simulated scanner: print a vector PDF and scan it back, as the fixture scan was made.

The fixture ``chiari-2025-scan-p1-10.pdf`` holds only the plan's first ten pages (cover,
introduction, summary, cards 1-3). To measure the OCR path on all 27 cards, the digital PDF is
"scanned" here the same way (fixtures README): grayscale pages at 200 dpi, rotated by a small
angle, light blur and noise, JPEG-compressed, no text layer. Deterministic (seeded), so a test
that reads it always sees the same pixels.

``python -m tests.scansim IN.pdf OUT.pdf [DPI]`` writes one by hand.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageFilter

#: As the fixture scan (fixtures README): 200 dpi grayscale JPEG, 0.4 degrees, noise and blur.
DPI = 200
ANGLE = 0.4
BLUR_RADIUS = 0.6
NOISE_SIGMA = 10.0
JPEG_QUALITY = 75


def scan_page(image: Image.Image, rng: np.random.Generator, angle: float = ANGLE) -> Image.Image:
    """One printed-and-scanned page: rotated, blurred, noisy grayscale."""
    gray = image.convert("L").rotate(angle, resample=Image.BICUBIC, expand=False, fillcolor=255)
    gray = gray.filter(ImageFilter.GaussianBlur(BLUR_RADIUS))
    pixels = np.asarray(gray, dtype=np.float32) + rng.normal(0.0, NOISE_SIGMA, (gray.height, gray.width))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="L")


def simulate_scan(src: str | Path, dst: str | Path, pages: list[int] | None = None,
                  seed: int = 2025, dpi: int = DPI, jpeg_quality: int = JPEG_QUALITY,
                  angle: float = ANGLE) -> Path:
    """Write ``dst``: pages of ``src`` (1-based, all by default) as a scan with no text layer,
    at ``dpi`` (150 and 200 are the usual office settings), ``jpeg_quality``, pages rotated by
    ``angle`` degrees alternately clockwise and counter-clockwise."""
    rng = np.random.default_rng(seed)
    pdf = pdfium.PdfDocument(str(src))
    try:
        numbers = pages or list(range(1, len(pdf) + 1))
        scanned = []
        for k, number in enumerate(numbers):
            bitmap = pdf[number - 1].render(scale=dpi / 72, grayscale=True)
            page = scan_page(bitmap.to_pil(), rng, angle if k % 2 == 0 else -angle)
            buffer = io.BytesIO()  # JPEG round trip: the compression artefacts of a real scanner
            page.save(buffer, format="JPEG", quality=jpeg_quality)
            scanned.append(Image.open(io.BytesIO(buffer.getvalue())))
    finally:
        pdf.close()
    dst = Path(dst)
    scanned[0].save(dst, format="PDF", save_all=True, append_images=scanned[1:], resolution=dpi)
    return dst


if __name__ == "__main__":  # pragma: no cover - manual use
    print(simulate_scan(sys.argv[1], sys.argv[2], dpi=int(sys.argv[3]) if len(sys.argv) > 3 else DPI))
