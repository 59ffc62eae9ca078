"""An argparse parser that speaks Italian: its own words ("usage", "options", the errors) too.

argparse builds its texts through ``gettext`` (``argparse._`` and ``argparse.ngettext``, looked up
when a text is needed). :class:`ItalianArgumentParser` swaps those two hooks for the translation
table :data:`ITALIAN` only while one of its own methods runs, so other argparse users in the same
process are untouched; a text missing from the table stays as argparse wrote it (the tests check
that ``piao --help``, ``piao run --help`` and the usage errors have no English left).

Subcommand parsers (``add_subparsers().add_parser``) are of the same class, so every ``piao``
subcommand added later is Italian without further work.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

#: argparse's own texts (Python 3.11-3.13), in Italian. Placeholders as argparse fills them.
ITALIAN: dict[str, str] = {
    "usage: ": "uso: ",
    "options": "opzioni",
    "optional arguments": "opzioni",
    "positional arguments": "argomenti",
    "subcommands": "comandi",
    "show this help message and exit": "mostra questo aiuto ed esce",
    "show program's version number and exit": "mostra la versione del programma ed esce",
    "%(prog)s: error: %(message)s\n": "%(prog)s: errore: %(message)s\n",
    "the following arguments are required: %s": "mancano argomenti obbligatori: %s",
    "argument %(argument_name)s: %(message)s": "argomento %(argument_name)s: %(message)s",
    "invalid choice: %(value)r (choose from %(choices)s)": "valore non ammesso: %(value)r (scegliere tra %(choices)s)",
    "invalid %(type)s value: %(value)r": "valore non valido: %(value)r",
    "unrecognized arguments: %s": "argomenti non riconosciuti: %s",
    "expected one argument": "richiede un valore",
    "expected at most one argument": "ammette al più un valore",
    "expected at least one argument": "richiede almeno un valore",
    "expected %s argument": "richiede %s valore",
    "expected %s arguments": "richiede %s valori",
    "ambiguous option: %(option)s could match %(matches)s": "opzione ambigua: %(option)s può indicare %(matches)s",
    "not allowed with argument %s": "non ammesso insieme all'argomento %s",
    "one of the arguments %s is required": "serve uno degli argomenti %s",
    "ignored explicit argument %r": "valore non previsto: %r",
    "unexpected option string: %s": "opzione inattesa: %s",
    "can't open '%(filename)s': %(error)s": "impossibile aprire '%(filename)s': %(error)s",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "comando sconosciuto %(parser_name)r (comandi: %(choices)s)",
    "argument \"-\" with mode %r": "argomento \"-\" con modalità %r",
}


def translate(text: str) -> str:
    return ITALIAN.get(text, text)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return translate(singular if n == 1 else plural)


@contextmanager
def italian() -> Iterator[None]:
    """argparse's gettext hooks answer from :data:`ITALIAN` inside the block."""
    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    argparse._, argparse.ngettext = translate, _ngettext  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]


class ItalianArgumentParser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` whose help, usage and errors are in Italian (exit 2 on error)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        with italian():
            super().__init__(*args, **kwargs)

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        if kwargs.get("action") == "version":  # Python 3.11 spells its help without gettext
            kwargs.setdefault("help", translate("show program's version number and exit"))
        with italian():
            return super().add_argument(*args, **kwargs)

    def add_subparsers(self, **kwargs: Any) -> Any:
        with italian():
            return super().add_subparsers(**kwargs)

    def parse_known_args(self, *args: Any, **kwargs: Any) -> Any:
        with italian():
            return super().parse_known_args(*args, **kwargs)

    def parse_args(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        with italian():
            return super().parse_args(*args, **kwargs)

    def format_usage(self) -> str:
        with italian():
            return super().format_usage()

    def format_help(self) -> str:
        with italian():
            return super().format_help()

    def error(self, message: str) -> Any:  # type: ignore[override]
        with italian():
            super().error(message)


def version_text(prog: str, distribution: str = "piao-pipeline") -> str:
    """``"piao 0.1.0"``: the installed distribution's version (``"sviluppo"`` when not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"{prog} {version(distribution)}"
    except PackageNotFoundError:
        return f"{prog} (versione di sviluppo)"
