"""Image preprocessing for OCR: grayscale, deskew, binarisation, denoise, resolution.

Each step is a plain function over a grayscale ``uint8`` numpy image. :func:`prepare_page` applies the
steps named in a :class:`Steps` value; which steps are on by default was decided by measuring the
character error rate and the time on the scanned fixture (see ``bench/ocr.py`` and the
``DEFAULT_STEPS`` comment), not by habit: Tesseract already binarises (Otsu) internally, so extra
steps only earn their place when they lower the error rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# Skew search: coarse sweep, then a fine one around the best coarse angle (degrees).
SKEW_MAX_DEG = 3.0
SKEW_COARSE_STEP = 0.5
SKEW_FINE_STEP = 0.05
SKEW_WORK_WIDTH = 600  # px: the skew estimate runs on a downscaled copy (speed)
SKEW_MIN_DEG = 0.05  # below this, rotating costs more than it brings


@dataclass(frozen=True, slots=True)
class Steps:
    """Which preprocessing steps to run, in this order: scale, denoise, deskew, flatten, unrule, whiten, binarise."""

    scale: float = 1.0  # resize factor applied to the rendered image (1.0 = untouched)
    denoise: bool = False  # 3x3 median filter: removes salt-and-pepper specks
    deskew: bool = False  # estimate and undo the page rotation
    binarize: bool = False  # adaptive (Sauvola-like Gaussian) threshold
    flatten: bool = False  # divide by the estimated background: removes cell shading and uneven light
    whiten: bool = False  # paint everything clearly lighter than ink white (shading, paper grain)
    unrule: bool = False  # erase long horizontal/vertical table rules (they confuse layout analysis)


# Measured on tests/data/chiari-2025-scan-p1-10.pdf (200 dpi, rotated 0.4 degrees), psm 6, CER
# against the digital PDF's text layer laid out in visual rows (bench/ocr.py, leaders collapsed),
# total CPU seconds for the 10 pages:
#   nothing 24.7% (9.3 s) | unrule 22.2% | deskew 9.4% | deskew+unrule 5.9% (9.9 s)
#   deskew+unrule+whiten 3.6% (9.3 s) | + tables read cell by cell (ocr.py) 0.26% (9.7 s)
#   + denoise 14.9% | + adaptive binarisation 1.2% (dot leaders turn to garbage) | + flatten 0.25%
#   (a tie: left off) | the default rendered at 300 instead of 200 dpi 0.26% but 12.9 s.
# Deskew matters beyond recognition: word boxes of a skewed page drift across a line, and
# readers group words into lines by their vertical position.
DEFAULT_STEPS = Steps(deskew=True, unrule=True, whiten=True)


def to_gray(img: np.ndarray) -> np.ndarray:
    """Return a single-channel uint8 image (BGR/RGB/BGRA input is converted)."""
    if img.ndim == 2:
        return img
    if img.shape[2] == 4:
        return cv2.cvtColor(img, cv2.COLOR_BGRA2GRAY)
    return cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)


def _rotate(img: np.ndarray, angle_deg: float, border: int = 255) -> np.ndarray:
    h, w = img.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle_deg, 1.0)
    return cv2.warpAffine(
        img, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=border
    )


def _profile_score(ink: np.ndarray, angle_deg: float) -> float:
    """Sharpness of the horizontal projection profile once rotated by ``angle_deg``."""
    rotated = _rotate(ink, angle_deg, border=0)
    rows = rotated.sum(axis=1, dtype=np.int64).astype(np.float64)
    return float(np.square(np.diff(rows)).sum())


def estimate_skew(gray: np.ndarray) -> float:
    """Angle in degrees (counter-clockwise positive, cv2 convention) that makes text lines level.

    Projection-profile method on a downscaled, inverted Otsu image: the rotation that gives the
    sharpest row profile is the one aligning the text lines with the pixel rows.
    """
    h, w = gray.shape[:2]
    factor = min(1.0, SKEW_WORK_WIDTH / float(w))
    small = cv2.resize(gray, (max(1, int(w * factor)), max(1, int(h * factor))), interpolation=cv2.INTER_AREA)
    _, ink = cv2.threshold(small, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    if int(ink.sum()) == 0:
        return 0.0

    def best(angles: np.ndarray) -> float:
        scores = [_profile_score(ink, float(a)) for a in angles]
        return float(angles[int(np.argmax(scores))])

    coarse = best(np.arange(-SKEW_MAX_DEG, SKEW_MAX_DEG + 1e-9, SKEW_COARSE_STEP))
    half = SKEW_COARSE_STEP / 2
    fine = best(np.arange(coarse - half, coarse + half + 1e-9, SKEW_FINE_STEP))
    return round(fine, 3)


def deskew(gray: np.ndarray) -> np.ndarray:
    angle = estimate_skew(gray)
    if abs(angle) < SKEW_MIN_DEG:
        return gray
    return _rotate(gray, angle)


def binarize(gray: np.ndarray) -> np.ndarray:
    """Adaptive threshold: copes with uneven lighting that a global Otsu threshold misses."""
    return cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, 31, 15)


# A rule is a run of ink at least this long (fraction of the page side) and this thin.
RULE_MIN_FRACTION = 0.04
# A ruled table: a connected set of rules at least this wide/tall (fraction of the page side).
TABLE_MIN_WIDTH = 0.15
TABLE_MIN_HEIGHT = 0.02
CELL_MIN_PX = 12  # a white region enclosed by rules smaller than this (either side) is no cell


@dataclass(frozen=True, slots=True)
class Cell:
    """A table cell in image pixels, with the grid row/column of its top-left corner."""

    x0: int
    y0: int
    x1: int
    y1: int
    row: int
    col: int


@dataclass(frozen=True, slots=True)
class Grid:
    """A ruled table found in the image: bounding box (pixels), grid size and cells."""

    x0: int
    y0: int
    x1: int
    y1: int
    n_rows: int
    n_cols: int
    cells: tuple[Cell, ...]


def rule_mask(gray: np.ndarray) -> np.ndarray:
    """Mask (255 = rule) of long horizontal/vertical ink runs: a morphological opening with long
    thin kernels keeps them; text strokes are far shorter than ``RULE_MIN_FRACTION`` of the page."""
    h, w = gray.shape[:2]
    _, ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    horiz = cv2.morphologyEx(
        ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (max(8, int(w * RULE_MIN_FRACTION)), 1))
    )
    vert = cv2.morphologyEx(
        ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(8, int(h * RULE_MIN_FRACTION))))
    )
    return cv2.dilate(cv2.bitwise_or(horiz, vert), cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3)))


def remove_rules(gray: np.ndarray, rules: np.ndarray | None = None) -> np.ndarray:
    """Paint table rules white (they confuse Tesseract's layout analysis)."""
    if rules is None:
        rules = rule_mask(gray)
    out = gray.copy()
    out[rules > 0] = 255
    return out


def _cluster(values: list[int], tol: int) -> list[int]:
    """Representative positions of ``values``, merging those closer than ``tol``."""
    reps: list[int] = []
    for v in sorted(values):
        if not reps or v - reps[-1] > tol:
            reps.append(v)
    return reps


def find_grids(rules: np.ndarray) -> list[Grid]:
    """Ruled tables in a rule mask. Each large connected set of rules is a table, the white
    regions it encloses are its cells, and cells take a grid row/column from the clustered
    positions of their top and left edges (a merged cell sits at its top-left position)."""
    h, w = rules.shape[:2]
    tol = max(4, int(0.004 * max(w, h)))
    grids: list[Grid] = []
    outer, _ = cv2.findContours(rules, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    for contour in outer:
        x, y, bw, bh = cv2.boundingRect(contour)
        if bw < TABLE_MIN_WIDTH * w or bh < TABLE_MIN_HEIGHT * h:
            continue
        crop = np.ascontiguousarray(rules[y : y + bh, x : x + bw])
        contours, hierarchy = cv2.findContours(crop, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
        boxes = []
        for k, c in enumerate(contours):
            if hierarchy[0][k][3] < 0:
                continue  # an outer boundary of rules, not a hole between them
            cx, cy, cw, ch = cv2.boundingRect(c)
            if cw < CELL_MIN_PX or ch < CELL_MIN_PX:
                continue
            boxes.append((x + cx, y + cy, x + cx + cw, y + cy + ch))
        if len(boxes) < 2:
            continue
        rows = _cluster([b[1] for b in boxes], tol)
        cols = _cluster([b[0] for b in boxes], tol)

        def nearest(reps: list[int], v: int) -> int:
            return min(range(len(reps)), key=lambda k: abs(reps[k] - v))

        cells = sorted(
            (Cell(b[0], b[1], b[2], b[3], nearest(rows, b[1]), nearest(cols, b[0])) for b in boxes),
            key=lambda c: (c.row, c.col),
        )
        grids.append(Grid(x, y, x + bw, y + bh, len(rows), len(cols), tuple(cells)))
    grids.sort(key=lambda g: (g.y0, g.x0))
    return grids


FLATTEN_KERNEL_PT = 5.0  # wider than any text stroke, narrower than a shaded cell


def flatten(gray: np.ndarray, dpi: float = 200.0) -> np.ndarray:
    """Background normalisation: a grayscale closing (which erases the dark, thin text strokes)
    estimates the local paper colour, shading included; dividing by it turns shaded table
    headers and uneven lighting white while keeping the strokes' anti-aliasing."""
    k = max(3, int(round(FLATTEN_KERNEL_PT * dpi / 72.0)) | 1)
    background = cv2.morphologyEx(gray, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k, k)))
    return cv2.divide(gray, background, scale=255)


WHITEN_FRACTION = 0.3  # of the way from the Otsu ink/paper threshold to white


def whiten(gray: np.ndarray) -> np.ndarray:
    """Pixels lighter than the Otsu threshold plus ``WHITEN_FRACTION`` of the remaining range
    become white; darker pixels (ink and its anti-aliased edges) are kept as they are."""
    t, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    cut = t + WHITEN_FRACTION * (255 - t)
    out = gray.copy()
    out[gray > cut] = 255
    return out


def denoise(gray: np.ndarray) -> np.ndarray:
    return cv2.medianBlur(gray, 3)


def rescale(gray: np.ndarray, factor: float) -> np.ndarray:
    if abs(factor - 1.0) < 1e-6:
        return gray
    h, w = gray.shape[:2]
    interp = cv2.INTER_CUBIC if factor > 1 else cv2.INTER_AREA
    return cv2.resize(gray, (int(round(w * factor)), int(round(h * factor))), interpolation=interp)


def prepare_page(
    img: np.ndarray, steps: Steps = DEFAULT_STEPS, dpi: float = 200.0
) -> tuple[np.ndarray, list[Grid]]:
    """Apply ``steps`` to a page image rendered at ``dpi``: a grayscale uint8 image and the
    ruled tables found (when ``steps.unrule``)."""
    gray = to_gray(img)
    gray = rescale(gray, steps.scale)
    if steps.denoise:
        gray = denoise(gray)
    if steps.deskew:
        gray = deskew(gray)
    if steps.flatten:
        gray = flatten(gray, dpi * steps.scale)
    grids: list[Grid] = []
    if steps.unrule:
        rules = rule_mask(gray)
        grids = find_grids(rules)
        gray = remove_rules(gray, rules)
    if steps.whiten:
        gray = whiten(gray)
    if steps.binarize:
        gray = binarize(gray)
    return gray, grids
