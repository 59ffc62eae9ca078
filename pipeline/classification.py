"""Read the --classification file (CSV or YAML: number,strategic_level) (stub)."""

from __future__ import annotations


def load_classification(path: str) -> dict[int, str]:
    raise NotImplementedError
