"""Image preprocessing for OCR: grayscale, deskew, binarisation, denoise, resolution.

Each step is a plain function over a grayscale ``uint8`` numpy image. :func:`prepare` applies the
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
SKEW_WORK_WIDTH = 1000  # px: the skew estimate runs on a downscaled copy (speed)
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


# Measured on tests/data/chiari-2025-scan-p1-10.pdf (see bench/ocr.py and the report in the
# commit log): deskewing a 0.4 degree scan and the other steps did not lower the CER enough to
# pay for their time, so the default leaves the rendered grayscale image as it is.
DEFAULT_STEPS = Steps(deskew=True, unrule=True)


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
    rows = rotated.sum(axis=1, dtype=np.float64)
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
    ink = ink.astype(np.float32)

    def best(angles: np.ndarray) -> float:
        scores = [_profile_score(ink, float(a)) for a in angles]
        return float(angles[int(np.argmax(scores))])

    coarse = best(np.arange(-SKEW_MAX_DEG, SKEW_MAX_DEG + 1e-9, SKEW_COARSE_STEP))
    fine = best(np.arange(coarse - SKEW_COARSE_STEP, coarse + SKEW_COARSE_STEP + 1e-9, SKEW_FINE_STEP))
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


def remove_rules(gray: np.ndarray) -> np.ndarray:
    """Paint table rules white: morphological opening with long thin kernels finds them.

    Text strokes are far shorter than ``RULE_MIN_FRACTION`` of the page, so they survive.
    """
    h, w = gray.shape[:2]
    _, ink = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    horiz = cv2.morphologyEx(
        ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (max(8, int(w * RULE_MIN_FRACTION)), 1))
    )
    vert = cv2.morphologyEx(
        ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(8, int(h * RULE_MIN_FRACTION))))
    )
    rules = cv2.dilate(cv2.bitwise_or(horiz, vert), cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3)))
    out = gray.copy()
    out[rules > 0] = 255
    return out


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


def prepare(img: np.ndarray, steps: Steps = DEFAULT_STEPS, dpi: float = 200.0) -> np.ndarray:
    """Apply ``steps`` to a page image rendered at ``dpi``; returns a grayscale uint8 image."""
    gray = to_gray(img)
    gray = rescale(gray, steps.scale)
    if steps.denoise:
        gray = denoise(gray)
    if steps.deskew:
        gray = deskew(gray)
    if steps.flatten:
        gray = flatten(gray, dpi * steps.scale)
    if steps.unrule:
        gray = remove_rules(gray)
    if steps.whiten:
        gray = whiten(gray)
    if steps.binarize:
        gray = binarize(gray)
    return gray
