"""Read the ``--classification`` file: strategicità per objective when the plan does not print it.

Accepted forms (contract: ``number,strategic_level``):

- CSV, ``,`` or ``;`` separated, header optional, UTF-8 or the Windows code page Excel writes;
  blank lines and lines starting with ``#`` are skipped; extra columns are ignored;
- YAML, a mapping ``{16: miglioramento}`` or a list of ``{number: 16, strategic_level: ...}``
  (or of ``[16, miglioramento]`` pairs).

Anything unreadable or malformed raises :class:`~pipeline.errors.InputError` with an Italian cause
that names the line.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import yaml

from pipeline.errors import InputError

_NUMBER_HEADERS = {"number", "numero", "n", "n.", "obiettivo", "objective", "num"}
_LEVEL_HEADERS = {"strategic_level", "strategicita", "strategicità", "level", "livello", "strategicity"}
_NUMBER = re.compile(r"^\s*(?:n\.?\s*)?(\d{1,4})\s*\.?\s*$", re.IGNORECASE)


def load_classification(path: str) -> dict[int, str]:
    """Objective number -> strategicità as written in the file (matched to the plan later)."""
    file = Path(path)
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise InputError(path, "file di classificazione non trovato") from None
    except IsADirectoryError:
        raise InputError(path, "il file di classificazione indicato è una cartella") from None
    except OSError as err:
        raise InputError(path, f"file di classificazione non leggibile ({err.strerror})") from None
    text = _decode(path, raw)
    if not text.strip():
        raise InputError(path, "il file di classificazione è vuoto")

    suffix = file.suffix.lower()
    if suffix in (".yaml", ".yml"):
        result = _from_yaml(path, text)
    elif suffix in (".csv", ".txt", ".tsv"):
        result = _from_csv(path, text)
    elif _looks_like_yaml(text):
        result = _from_yaml(path, text)
    else:
        result = _from_csv(path, text)
    if not result:
        raise InputError(path, "il file di classificazione non contiene alcun obiettivo")
    return result


def _decode(path: str, raw: bytes) -> str:
    if b"\x00" in raw[:4096]:
        raise InputError(path, "il file di classificazione non è un file di testo (CSV o YAML)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _looks_like_yaml(text: str) -> bool:
    first = next((ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")), "")
    return first.startswith(("-", "{", "[")) or bool(re.match(r"^[^,;]*:\s", first + " "))


def _add(path: str, result: dict[int, str], number: int, level: str, where: str) -> None:
    level = " ".join(level.split())
    if not level:
        raise InputError(path, f"{where}: manca la strategicità dell'obiettivo {number}")
    previous = result.get(number)
    if previous is not None and previous.casefold() != level.casefold():
        raise InputError(
            path, f"{where}: l'obiettivo {number} è già classificato «{previous}», qui «{level}»"
        )
    result[number] = level


def _parse_number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, float) and value.is_integer() and value > 0:
        return int(value)
    if isinstance(value, str):
        m = _NUMBER.match(value)
        if m and int(m.group(1)) > 0:
            return int(m.group(1))
    return None


# ------------------------------------------------------------------------------------- CSV


def _from_csv(path: str, text: str) -> dict[int, str]:
    lines = text.splitlines()
    content = [ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    sample = "\n".join(content[:20])
    delimiter = ";" if sample.count(";") > sample.count(",") else ("\t" if "\t" in sample and "," not in sample else ",")
    result: dict[int, str] = {}
    number_col, level_col = 0, 1
    seen_data = False
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        for row in reader:
            line_no = reader.line_num
            cells = [c.strip() for c in row]
            if not any(cells) or cells[0].startswith("#"):
                continue
            where = f"riga {line_no}"
            if not seen_data:
                header = [c.casefold().strip(" .") for c in cells]
                if _parse_number(cells[0]) is None and any(h in _NUMBER_HEADERS for h in header):
                    number_col = next(i for i, h in enumerate(header) if h in _NUMBER_HEADERS)
                    level_col = next(
                        (i for i, h in enumerate(header) if h in _LEVEL_HEADERS),
                        1 if number_col == 0 else 0,
                    )
                    seen_data = True
                    continue
            seen_data = True
            if len(cells) <= max(number_col, level_col):
                raise InputError(
                    path,
                    f"{where}: attese due colonne (numero obiettivo{delimiter}strategicità), "
                    f"trovato «{delimiter.join(row)}»",
                )
            number = _parse_number(cells[number_col])
            if number is None:
                raise InputError(
                    path, f"{where}: «{cells[number_col]}» non è un numero di obiettivo valido"
                )
            _add(path, result, number, cells[level_col], where)
    except csv.Error as err:
        raise InputError(path, f"riga {reader.line_num}: CSV non valido ({err})") from None
    return result


# ------------------------------------------------------------------------------------ YAML


def _from_yaml(path: str, text: str) -> dict[int, str]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"riga {mark.line + 1}: " if mark is not None else ""
        raise InputError(path, f"{where}sintassi YAML non valida") from None
    lines = _yaml_lines(text)
    result: dict[int, str] = {}
    if isinstance(data, dict):
        # {classification: {...}} or {objectives: [...]} wrappers are accepted too.
        if len(data) == 1 and isinstance(next(iter(data.values())), (dict, list)):
            data = next(iter(data.values()))
    if isinstance(data, dict):
        for key, value in data.items():
            where = f"riga {lines.get(str(key), '?')}"
            number = _parse_number(key)
            if number is None:
                raise InputError(path, f"{where}: «{key}» non è un numero di obiettivo valido")
            if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                raise InputError(path, f"{where}: la strategicità dell'obiettivo {number} deve essere un testo")
            _add(path, result, number, str(value), where)
        return result
    if isinstance(data, list):
        item_lines = _yaml_item_lines(text)
        for index, item in enumerate(data):
            where = f"riga {item_lines[index]}" if index < len(item_lines) else f"elemento {index + 1}"
            if isinstance(item, dict):
                keys = {str(k).casefold(): v for k, v in item.items()}
                raw_number = next((keys[k] for k in keys if k in _NUMBER_HEADERS), None)
                level = next((keys[k] for k in keys if k in _LEVEL_HEADERS), None)
            elif isinstance(item, (list, tuple)) and len(item) >= 2:
                raw_number, level = item[0], item[1]
            else:
                raise InputError(
                    path, f"{where}: atteso un elemento con number e strategic_level, trovato «{item}»"
                )
            number = _parse_number(raw_number)
            if number is None:
                raise InputError(path, f"{where}: «{raw_number}» non è un numero di obiettivo valido")
            if not isinstance(level, str):
                raise InputError(path, f"{where}: manca la strategicità dell'obiettivo {number}")
            _add(path, result, number, level, where)
        return result
    raise InputError(
        path, "riga 1: atteso un elenco di obiettivi (numero: strategicità), non un valore singolo"
    )


def _yaml_lines(text: str) -> dict[str, int]:
    """Top-level-ish mapping key -> its 1-based line (for error messages)."""
    found: dict[str, int] = {}
    for i, line in enumerate(text.splitlines(), start=1):
        m = re.match(r"^\s*['\"]?([^'\":#]+?)['\"]?\s*:", line)
        if m:
            found.setdefault(m.group(1).strip(), i)
    return found


def _yaml_item_lines(text: str) -> list[int]:
    """1-based line of each top-level list item ``- ...``."""
    indents = [len(ln) - len(ln.lstrip()) for ln in text.splitlines() if ln.lstrip().startswith("- ") or ln.strip() == "-"]
    top = min(indents) if indents else 0
    return [
        i
        for i, ln in enumerate(text.splitlines(), start=1)
        if (ln.lstrip().startswith("- ") or ln.strip() == "-") and len(ln) - len(ln.lstrip()) == top
    ]
