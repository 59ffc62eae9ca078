"""Errors a user can act on. The CLI prints them as one line and exits 2."""

from __future__ import annotations

import errno
import unicodedata

#: Italian words for the operating system's errors a user meets reading a plan or writing outputs
#: (``strerror`` is English: "Permission denied").
OS_CAUSES = {
    errno.ENOSPC: "spazio su disco esaurito",
    errno.EDQUOT: "quota del disco superata",
    errno.EACCES: "permesso negato",
    errno.EPERM: "permesso negato",
    errno.EROFS: "file system in sola lettura",
    errno.EIO: "errore di input/output del disco",
    errno.ENOENT: "file o cartella inesistente",
    errno.EEXIST: "esiste già un file con quel nome",
    errno.ENOTDIR: "una parte del percorso non è una cartella",
    errno.EISDIR: "è una cartella",
    errno.ENAMETOOLONG: "nome troppo lungo",
    errno.ELOOP: "troppi collegamenti simbolici",
}


def os_cause(err: OSError) -> str:
    """The Italian cause of an ``OSError`` (its English ``strerror`` when the table lacks it)."""
    return OS_CAUSES.get(err.errno or 0) or err.strerror or type(err).__name__

#: Escapes that read as what they stand for ("\n"), the rest as code points ("\x1b").
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def one_line(text: str) -> str:
    """``text`` with every control character (newline, carriage return, terminal escape, line
    separator) written as an escape: a file named "piano\\n2.pdf" must not make the one error
    line two, nor a name with ESC sequences recolour the user's terminal."""
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch == " " or unicodedata.category(ch) not in ("Cc", "Zl", "Zp"):
            out.append(ch)
        else:
            out.append(_ESCAPES.get(ch) or (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"))
    return "".join(out)



class InputError(Exception):
    """The input cannot be processed (missing, not a PDF/DOCX, encrypted, damaged, not a plan...).

    ``str(err)`` is one line naming the file and the cause in plain Italian words. It pickles
    (``__reduce__``) so that a bad file read on a Dask worker reaches the caller as bad input.
    """

    def __init__(self, path: str, cause: str):
        self.path = str(path)
        self.cause = cause
        super().__init__(one_line(f"{self.path}: {cause}"))

    def __reduce__(self):
        return (type(self), (self.path, self.cause))


class OutputWriteError(InputError):
    """Writing the outputs failed (disk full, permission lost): one line, earlier outputs intact.

    An ``InputError`` for the CLI (exit 2, one line); the batch's write task still retries it,
    as it retries any ``OSError`` (a file held open by an office suite may be free a second later).
    """
