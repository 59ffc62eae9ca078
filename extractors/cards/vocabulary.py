"""The card vocabulary: headings, field labels and column synonyms, as data.

``vocabulary.yaml`` beside this module ships with the package. A user facing a layout it does not
know adds a small YAML *profile* (``piao run --profile FILE``) with the same keys: a list extends
the shipped list (its patterns are tried first), a single pattern replaces the shipped one, a
mapping is merged key by key. Unknown keys are refused, so a typo does not pass silently.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any, Iterator

import yaml

from pipeline.errors import InputError


VOCABULARY_FILE = Path(__file__).with_name("vocabulary.yaml")

#: Entries that are word lists, not regular expressions.
PLAIN_KEYS = {"not_short_words", "units", "qualitative", "glued_after_unit"}

_PROFILE: ContextVar[str | None] = ContextVar("piao_card_profile", default=None)

MESSAGES = {
    "unreadable": "profilo non leggibile ({err})",
    "not_mapping": "il profilo deve essere un elenco di chiavi YAML (es. labels:, card_headings:)",
    "unknown_key": "chiave sconosciuta nel profilo: {key} (ammesse: {allowed})",
    "bad_pattern": "espressione non valida nel profilo ({where}): {err}",
}


def _shipped() -> dict[str, Any]:
    return yaml.safe_load(VOCABULARY_FILE.read_text(encoding="utf-8"))


def _merge(base: Any, extra: Any, path: str, profile: str) -> Any:
    if isinstance(base, dict):
        if not isinstance(extra, dict):
            raise InputError(profile, MESSAGES["not_mapping"])
        out = dict(base)
        for key, value in extra.items():
            if key not in base:
                raise InputError(profile, MESSAGES["unknown_key"].format(
                    key=f"{path}{key}", allowed=", ".join(sorted(map(str, base)))))
            out[key] = _merge(base[key], value, f"{path}{key}.", profile)
        return out
    if isinstance(base, list):
        extra = extra if isinstance(extra, list) else [extra]
        return [*extra, *base]
    if isinstance(base, str) and isinstance(extra, list):
        return extra[0] if extra else base
    return extra


def load_profile(path: str) -> dict[str, Any]:
    """The shipped vocabulary merged with a user's profile (InputError naming the file if bad)."""
    try:
        extra = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise InputError(path, MESSAGES["unreadable"].format(err=getattr(err, "strerror", None) or err)) from err
    if extra is None:
        extra = {}
    merged = _merge(_shipped(), extra, "", path)
    _compile(merged, path)  # a bad pattern fails now, with the file's name
    return merged


def _compile(raw: dict[str, Any], origin: str = "vocabulary.yaml") -> dict[str, Any]:
    flags = re.IGNORECASE
    prefix = raw.get("label_prefix", "")

    def comp(value: Any, where: str) -> Any:
        if isinstance(value, str):
            try:
                return re.compile(value, flags)
            except re.error as err:
                raise InputError(origin, MESSAGES["bad_pattern"].format(where=where, err=err)) from err
        if isinstance(value, dict):
            return {k: (v if k in PLAIN_KEYS else comp(v, f"{where}.{k}")) for k, v in value.items()}
        if isinstance(value, list):
            return [comp(v, where) for v in value]
        return value

    out = {k: (v if k in PLAIN_KEYS else comp(v, k)) for k, v in raw.items() if k != "labels"}
    # every label variant is tried after the shared enumerator prefix ("a)", "1.")
    out["labels"] = {
        field: [comp(prefix + (body[1:] if body.startswith("^") else body), f"labels.{field}")
                for body in (variants if isinstance(variants, list) else [variants])]
        for field, variants in raw["labels"].items()
    }
    return out


@cache
def _compiled(profile: str | None) -> dict[str, Any]:
    return _compile(load_profile(profile) if profile else _shipped(), profile or "vocabulary.yaml")


def patterns() -> dict[str, Any]:
    """The vocabulary in force (shipped, or shipped + the active profile), compiled."""
    return _compiled(_PROFILE.get())


@contextmanager
def using_profile(path: str | None) -> Iterator[None]:
    """Read cards with a user's profile while the block runs (None: the shipped vocabulary)."""
    token = _PROFILE.set(str(path) if path else None)
    try:
        patterns()  # load and validate now: a bad profile is an input error before any work
        yield
    finally:
        _PROFILE.reset(token)
