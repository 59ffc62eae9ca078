"""Errors a user can act on. The CLI prints them as one line and exits 2."""

from __future__ import annotations


class InputError(Exception):
    """The input cannot be processed (missing, not a PDF/DOCX, encrypted, damaged, not a plan...).

    ``str(err)`` is one Italian/English-neutral line naming the file and the cause in plain words.
    """

    def __init__(self, path: str, cause: str):
        self.path = str(path)
        self.cause = cause
        super().__init__(f"{self.path}: {cause}")
