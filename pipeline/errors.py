"""Errors a user can act on. The CLI prints them as one line and exits 2."""

from __future__ import annotations


class InputError(Exception):
    """The input cannot be processed (missing, not a PDF/DOCX, encrypted, damaged, not a plan...).

    ``str(err)`` is one line naming the file and the cause in plain Italian words. It pickles
    (``__reduce__``) so that a bad file read on a Dask worker reaches the caller as bad input.
    """

    def __init__(self, path: str, cause: str):
        self.path = str(path)
        self.cause = cause
        super().__init__(f"{self.path}: {cause}")

    def __reduce__(self):
        return (type(self), (self.path, self.cause))


class OutputWriteError(InputError):
    """Writing the outputs failed (disk full, permission lost): one line, earlier outputs intact.

    An ``InputError`` for the CLI (exit 2, one line); the batch's write task still retries it,
    as it retries any ``OSError`` (a file held open by an office suite may be free a second later).
    """
