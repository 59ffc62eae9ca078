"""Read the ``--classification`` file: the Segretario's decisions on what a plan leaves open.

Per objective: the strategicità (``strategic_level``), the head-count the allocation uses
(``staff_count``) and the objective's weight (``objective_weight``), any of them may be absent
(contract: ``number,strategic_level`` and, since 2026-12-07, ``staff_count,objective_weight``).
A value given here wins over the plan's (the allocation records it as an info finding).

Accepted forms:

- CSV, ``,`` or ``;`` separated, header optional (without one the columns are number, level,
  head-count, weight, and a column that is not a number where one is expected is ignored),
  UTF-8 or the Windows code page Excel writes; blank lines and lines starting with ``#`` are
  skipped; extra columns are ignored;
- YAML or JSON, a mapping ``{16: miglioramento}`` or ``{9: {staff_count: 3, objective_weight:
  25, note: ...}}`` (the keys also in Italian or as the fixtures spell them: ``strategicita``,
  ``staff_count_used``, ``peso``...), or a list of ``{number: 16, strategic_level: ...}`` (or of
  ``[16, miglioramento]`` pairs).

Anything unreadable or malformed raises :class:`~pipeline.errors.InputError` with an Italian cause
that names the line.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from pipeline.errors import InputError

Number = int | float

_NUMBER_HEADERS = {"number", "numero", "n", "n.", "obiettivo", "objective", "num"}
_LEVEL_HEADERS = {"strategic_level", "strategicita", "strategicità", "level", "livello", "strategicity"}
_STAFF_HEADERS = {"staff_count", "staff_count_used", "staff", "dipendenti", "n_dipendenti", "n. dipendenti",
                  "personale", "personale_coinvolto", "numero_dipendenti", "head_count", "headcount"}
_WEIGHT_HEADERS = {"objective_weight", "weight", "peso", "peso_obiettivo", "peso dell'obiettivo", "punti",
                   "points", "peso_dell_obiettivo"}
_NOTE_HEADERS = {"note", "nota", "notes", "motivazione", "comment", "commento"}
_NUMBER = re.compile(r"^\s*(?:n\.?\s*)?(\d{1,4})\s*\.?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Decision:
    """What the classification file says about one objective (None: it says nothing)."""

    strategic_level: str | None = None
    staff_count: int | None = None
    objective_weight: Number | None = None
    note: str | None = None

    def is_empty(self) -> bool:
        return self.strategic_level is None and self.staff_count is None and self.objective_weight is None


def load_decisions(path: str) -> dict[int, Decision]:
    """Objective number -> the file's decisions (strategicità as written: matched to the plan later)."""
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
    if suffix == ".json":
        result = _from_json(path, text)
    elif suffix in (".yaml", ".yml"):
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


def load_classification(path: str) -> dict[int, str | Decision]:
    """Objective number -> strategicità as written in the file where that is all the file says
    about it (the contract's original form), else the whole :class:`Decision`. Either form is
    what :func:`pipeline.allocation.allocate` takes."""
    return {n: d.strategic_level if d == Decision(strategic_level=d.strategic_level) and d.strategic_level else d
            for n, d in load_decisions(path).items()}


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


def _add(path: str, result: dict[int, Decision], number: int, decision: Decision, where: str) -> None:
    if decision.strategic_level is not None:
        level = " ".join(decision.strategic_level.split())
        decision = replace(decision, strategic_level=level or None)
    if decision.is_empty():
        raise InputError(path, f"{where}: manca la strategicità dell'obiettivo {number}")
    previous = result.get(number)
    if previous is not None:
        for field in ("strategic_level", "staff_count", "objective_weight"):
            old, new = getattr(previous, field), getattr(decision, field)
            if old is not None and new is not None and str(old).casefold() != str(new).casefold():
                raise InputError(path, f"{where}: l'obiettivo {number} è già classificato «{old}», qui «{new}»")
        decision = Decision(*(getattr(decision, f) if getattr(decision, f) is not None else getattr(previous, f)
                              for f in ("strategic_level", "staff_count", "objective_weight", "note")))
    result[number] = decision


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _parse_count(path: str, value: Any, number: int, where: str) -> int | None:
    if _is_blank(value):
        return None
    parsed = _parse_amount(value)
    if parsed is None or parsed < 0 or not float(parsed).is_integer():
        raise InputError(path, f"{where}: «{value}» non è un numero di dipendenti valido per l'obiettivo {number}")
    return int(parsed)


def _parse_weight(path: str, value: Any, number: int, where: str) -> Number | None:
    if _is_blank(value):
        return None
    parsed = _parse_amount(value)
    if parsed is None or parsed < 0:
        raise InputError(path, f"{where}: «{value}» non è un peso valido per l'obiettivo {number}")
    return int(parsed) if float(parsed).is_integer() else parsed


def _parse_amount(value: Any) -> float | None:
    """3, 3.0, "3", "1,4", "30/100" (a weight written as the plan prints it) -> a float."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        text = value.strip().replace(" ", "")
        text = re.sub(r"/100$", "", text)
        if re.fullmatch(r"\d+(?:[.,]\d+)?", text):
            return float(text.replace(",", "."))
    return None


def _level(value: Any) -> str | None:
    if _is_blank(value):
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    return str(value)


def _decision(path: str, number: int, fields: dict[str, Any], where: str) -> Decision:
    level = fields.get("level")
    if not _is_blank(level) and _level(level) is None:
        raise InputError(path, f"{where}: la strategicità dell'obiettivo {number} deve essere un testo")
    note = fields.get("note")
    return Decision(
        strategic_level=_level(level),
        staff_count=_parse_count(path, fields.get("staff"), number, where),
        objective_weight=_parse_weight(path, fields.get("weight"), number, where),
        note=None if _is_blank(note) else str(note).strip(),
    )


def _fields(mapping: dict[Any, Any]) -> dict[str, Any]:
    """A record's values by role, whatever the keys are called."""
    keys = {str(k).casefold().strip(): v for k, v in mapping.items()}
    out: dict[str, Any] = {}
    for role, names in (("number", _NUMBER_HEADERS), ("level", _LEVEL_HEADERS), ("staff", _STAFF_HEADERS),
                        ("weight", _WEIGHT_HEADERS), ("note", _NOTE_HEADERS)):
        found = next((keys[k] for k in keys if k in names), None)
        if found is not None:
            out[role] = found
    return out


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

_CSV_ROLES = (("level", _LEVEL_HEADERS), ("staff", _STAFF_HEADERS), ("weight", _WEIGHT_HEADERS),
              ("note", _NOTE_HEADERS))


def _from_csv(path: str, text: str) -> dict[int, Decision]:
    lines = text.splitlines()
    content = [ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    sample = "\n".join(content[:20])
    delimiter = ";" if sample.count(";") > sample.count(",") else ("\t" if "\t" in sample and "," not in sample else ",")
    result: dict[int, Decision] = {}
    number_col = 0
    #: role -> column; without a header the contract's order, and the numeric columns only if numeric
    columns: dict[str, int] = {"level": 1, "staff": 2, "weight": 3}
    headed = False
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
                    columns = {role: i for role, names in _CSV_ROLES
                               for i, h in enumerate(header) if h in names and i != number_col}
                    if not columns:  # number and one unnamed column: the strategicità
                        columns = {"level": 1 if number_col == 0 else 0}
                    headed = True
                    seen_data = True
                    continue
            seen_data = True
            if len(cells) <= max(number_col, columns.get("level", 0)) and not headed:
                raise InputError(
                    path,
                    f"{where}: attese due colonne (numero obiettivo{delimiter}strategicità), "
                    f"trovato «{delimiter.join(row)}»",
                )
            number = _parse_number(cells[number_col]) if len(cells) > number_col else None
            if number is None:
                raise InputError(
                    path, f"{where}: «{cells[number_col] if len(cells) > number_col else ''}» "
                          "non è un numero di obiettivo valido"
                )
            fields = {role: cells[i] for role, i in columns.items() if i < len(cells)}
            if not headed:  # a free column after the level: kept only where it is a number
                for role in ("staff", "weight"):
                    if role in fields and _parse_amount(fields[role]) is None:
                        del fields[role]
            _add(path, result, number, _decision(path, number, fields, where), where)
    except csv.Error as err:
        raise InputError(path, f"riga {reader.line_num}: CSV non valido ({err})") from None
    return result


# ------------------------------------------------------------------------------- YAML/JSON


def _from_json(path: str, text: str) -> dict[int, Decision]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise InputError(path, f"riga {err.lineno}: JSON non valido ({err.msg})") from None
    return _from_data(path, data, {}, [])


def _from_yaml(path: str, text: str) -> dict[int, Decision]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"riga {mark.line + 1}: " if mark is not None else ""
        raise InputError(path, f"{where}sintassi YAML non valida") from None
    return _from_data(path, data, _yaml_lines(text), _yaml_item_lines(text))


def _from_data(path: str, data: Any, lines: dict[str, int], item_lines: list[int]) -> dict[int, Decision]:
    result: dict[int, Decision] = {}
    if isinstance(data, dict):
        # {classification: {...}} or {objectives: [...]} wrappers are accepted too.
        if len(data) == 1:
            key, value = next(iter(data.items()))
            if isinstance(value, (dict, list)) and _parse_number(key) is None:
                data = value
    if isinstance(data, dict):
        for key, value in data.items():
            where = f"riga {lines.get(str(key), '?')}"
            number = _parse_number(key)
            if number is None:
                raise InputError(path, f"{where}: «{key}» non è un numero di obiettivo valido")
            if isinstance(value, dict):
                fields = _fields(value)
            elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
                fields = {"level": value}
            else:
                raise InputError(path, f"{where}: la strategicità dell'obiettivo {number} deve essere un testo")
            _add(path, result, number, _decision(path, number, fields, where), where)
        return result
    if isinstance(data, list):
        for index, item in enumerate(data):
            where = f"riga {item_lines[index]}" if index < len(item_lines) else f"elemento {index + 1}"
            if isinstance(item, dict):
                fields = _fields(item)
                raw_number = fields.pop("number", None)
            elif isinstance(item, (list, tuple)) and len(item) >= 2:
                raw_number, fields = item[0], {"level": item[1]}
            else:
                raise InputError(
                    path, f"{where}: atteso un elemento con number e strategic_level, trovato «{item}»"
                )
            number = _parse_number(raw_number)
            if number is None:
                raise InputError(path, f"{where}: «{raw_number}» non è un numero di obiettivo valido")
            _add(path, result, number, _decision(path, number, fields, where), where)
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
