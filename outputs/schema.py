"""The published JSON Schema of ``plan.json`` and the validation of a record a user has edited.

The schema is :class:`~pipeline.record.PlanRecord`'s own (``model_json_schema()``), published in
``schema/plan.schema.json`` by ``scripts/export_schema.py`` (a test keeps the file equal to the
model). :func:`load_plan` reads a ``plan.json``, validates it against that schema and returns the
record, or raises :class:`~pipeline.errors.InputError` with one line naming the first bad field's
path, e.g. ``objectives/3/indicators/0/weight_pct: 'abc' non è di tipo numero``. The commonest schema
errors (type, required, extra field, allowed values, constant) are worded in Italian; any other
keeps jsonschema's own English message.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match
from pydantic import ValidationError as PydanticError

from pipeline.errors import InputError
from pipeline.record import PlanRecord

#: Where the schema is published (repository root / schema).
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schema" / "plan.schema.json"
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def plan_schema() -> dict[str, Any]:
    """The JSON Schema of plan.json: the record model's, with the dialect it is written in."""
    return {"$schema": DIALECT, **PlanRecord.model_json_schema()}


def schema_text(schema: dict[str, Any] | None = None) -> str:
    """The schema as published: stable key order, two-space indent, UTF-8 text, final newline."""
    return json.dumps(plan_schema() if schema is None else schema, indent=2, ensure_ascii=False) + "\n"


def export_schema(path: str | Path = SCHEMA_PATH) -> Path:
    """Write the schema file (the published copy by default); returns its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(schema_text(), encoding="utf-8")
    return path


@lru_cache(maxsize=1)
def published_schema() -> dict[str, Any]:
    """The published schema; the model's own where the file is not there (e.g. an installed wheel)."""
    try:
        return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return plan_schema()


def _path(error: ValidationError) -> str:
    return "/".join(str(p) for p in error.absolute_path) or "(radice)"


def _type_names(value: Any) -> list[str]:
    return list(value) if isinstance(value, list) else [value]


#: JSON types as a user of plan.json reads them (messages are Italian, like every user-facing line).
TYPE_NAMES = {"number": "numero", "integer": "numero intero", "string": "testo", "boolean": "vero/falso",
              "array": "lista", "object": "oggetto", "null": "null"}


def _type_text(types: list[str]) -> str:
    return " o ".join(TYPE_NAMES.get(t, t) for t in types)


def _message(error: ValidationError) -> str:
    """The error's message in Italian for the common validators; jsonschema's own otherwise."""
    kind, value, instance = error.validator, error.validator_value, error.instance
    if kind == "type":
        return f"{instance!r} non è di tipo {_type_text(_type_names(value))}"
    if kind == "required" and isinstance(instance, dict):
        missing = [p for p in value if p not in instance]
        if missing:
            return f"manca il campo obbligatorio {missing[0]!r}"
    if kind == "additionalProperties" and isinstance(instance, dict):
        known = set(error.schema.get("properties", {}))
        extra = [k for k in instance if k not in known]
        if extra:
            return "campi non previsti: " + ", ".join(repr(k) for k in extra)
    if kind == "enum":
        return f"{instance!r} non è tra i valori ammessi ({', '.join(repr(v) for v in value)})"
    if kind == "const":
        return f"valore atteso {value!r}, trovato {instance!r}"
    return error.message


def describe(error: ValidationError) -> str:
    """One line for one schema error: ``path: message``.

    Pydantic writes optional numbers as ``anyOf: [integer, number, null]``; the raw message for a
    string there ("is not valid under any of the given schemas") names no type, so alternatives
    that are plain type checks are folded into one: "'abc' non è di tipo numero".
    """
    if error.validator in ("anyOf", "oneOf") and error.context:
        here = [e for e in error.context if not e.relative_path]
        if error.instance is not None:  # "is not of type 'null'" says nothing useful
            here = [e for e in here if not (e.validator == "type" and e.validator_value == "null")]
        if here and all(e.validator == "type" for e in here):
            types: list[str] = []
            for e in here:
                types += [t for t in _type_names(e.validator_value) if t not in types]
            if "number" in types and "integer" in types:
                types.remove("integer")
            return f"{_path(error)}: {error.instance!r} non è di tipo {_type_text(types)}"
        if len(here) == 1:
            return f"{_path(error)}: {_message(here[0])}"
        deepest = best_match(error.context)
        if deepest is not None:
            return f"{_path(deepest)}: {_message(deepest)}"
    return f"{_path(error)}: {_message(error)}"


def _order(error: ValidationError) -> tuple:
    return tuple((0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in error.absolute_path)


def schema_errors(data: Any, schema: dict[str, Any] | None = None) -> list[str]:
    """Every way ``data`` breaks the schema, one line each, in document order (empty: valid)."""
    schema = published_schema() if schema is None else schema
    validator_cls = jsonschema.validators.validator_for(schema)
    errors = sorted(validator_cls(schema).iter_errors(data), key=_order)
    return [describe(e) for e in errors]


def load_plan(path: str | Path) -> PlanRecord:
    """Read and validate a ``plan.json``; a malformed one raises ``InputError`` (one line)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as err:
        raise InputError(str(path), "file non trovato") from err
    except IsADirectoryError as err:
        raise InputError(str(path), "è una cartella, non un file plan.json") from err
    except UnicodeDecodeError as err:
        raise InputError(str(path), "non è un file di testo UTF-8") from err
    except OSError as err:
        raise InputError(str(path), f"impossibile leggere il file ({err.strerror})") from err
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as err:
        raise InputError(str(path), f"JSON non valido (riga {err.lineno}, colonna {err.colno}): {err.msg}") from err
    except _NonFinite as err:
        raise InputError(str(path), f"JSON non valido: {err.args[0]} non è un numero ammesso") from err
    except RecursionError as err:
        raise InputError(str(path), "JSON annidato troppo in profondità") from err
    if _depth_exceeds(data, MAX_DEPTH):
        raise InputError(str(path), f"JSON annidato oltre {MAX_DEPTH} livelli: non è un plan.json")
    problems = schema_errors(data)
    if problems:
        more = f" (e altri {len(problems) - 1} errori)" if len(problems) > 1 else ""
        raise InputError(str(path), problems[0] + more)
    try:
        record = PlanRecord.model_validate(data)
    except PydanticError as err:  # the schema and the model disagree: still one line with a path
        first = err.errors()[0]
        where = "/".join(str(p) for p in first["loc"]) or "(radice)"
        raise InputError(str(path), f"{where}: {first['msg']}") from err
    problems = meaning_errors(record)
    if problems:
        more = f" (e altri {len(problems) - 1} errori)" if len(problems) > 1 else ""
        raise InputError(str(path), problems[0] + more)
    return record


#: plan.json is at most this deep (record -> objectives -> indicator -> field is 5); deeper is
#: not a plan.json, and a 100,000-deep one must not reach a recursive validator.
MAX_DEPTH = 32


class _NonFinite(ValueError):
    pass


def _no_constant(name: str):
    """json.loads accepts NaN and Infinity by default; plan.json never holds them."""
    raise _NonFinite(name)


def _depth_exceeds(data: Any, limit: int) -> bool:
    """Whether ``data`` nests deeper than ``limit`` (iterative: no recursion on hostile input)."""
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return False


#: Numbers that count, weigh or price something: never negative in a plan. Paths as
#: ``field`` (of the plan block) or ``list/*/field``; page numbers are at least 1.
NON_NEGATIVE = (
    "source/pages", "plan/budget/total", "plan/budget/allocated", "plan/budget/reserve", "plan/budget/welfare",
    "plan/strategic_weights/*", "plan/staff_bands/*/min", "plan/staff_bands/*/max",
    "plan/staff_bands/*/coefficient", "plan/threshold/default_pct", "plan/threshold/bands/*/min_pct",
    "plan/threshold/bands/*/max_pct", "plan/summary/*/staff_count", "plan/summary/*/strategic_weight",
    "plan/summary/*/staff_coefficient", "plan/summary/*/points", "plan/summary/*/amount_eur",
    "objectives/*/staff_count", "objectives/*/threshold_pct", "objectives/*/objective_weight",
    "objectives/*/indicators/*/weight_pct", "allocations/*/strategic_weight",
    "allocations/*/objective_weight", "allocations/*/staff_count", "allocations/*/staff_coefficient",
    "allocations/*/points", "allocations/*/amount_eur",
)


def _values_at(data: Any, parts: list[str], prefix: str = ""):
    """(path, value) for every value at a ``a/*/b`` pattern in ``data``."""
    if not parts:
        yield prefix, data
        return
    head, rest = parts[0], parts[1:]
    if head == "*":
        items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
        for key, value in items:
            yield from _values_at(value, rest, f"{prefix}/{key}" if prefix else str(key))
    elif isinstance(data, dict) and head in data:
        yield from _values_at(data[head], rest, f"{prefix}/{head}" if prefix else head)


def meaning_errors(record: PlanRecord) -> list[str]:
    """What the schema cannot say: counts, weights, amounts and budgets are not negative (nor
    infinite), percentages and page numbers make sense. One line each, ``path: message``.

    Repeated objective numbers are not refused here: a plan may print a number twice, and the
    ``numbering`` check reports it as the plan's own error.
    """
    data = record.model_dump()
    problems: list[str] = []
    for pattern in NON_NEGATIVE:
        for where, value in _values_at(data, pattern.split("/")):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            if not math.isfinite(value):
                problems.append(f"{where}: {value!r} non è un numero finito")
            elif value < 0:
                problems.append(f"{where}: {value!r} è negativo, non ammesso per questo campo")
    for where, value in _values_at(data, ["objectives", "*", "pages", "*"]):
        if isinstance(value, int) and value < 1:
            problems.append(f"{where}: la pagina {value!r} non esiste (le pagine partono da 1)")
    return sorted(problems, key=_document_order)


def _document_order(line: str) -> tuple:
    where = line.split(":", 1)[0]
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in where.split("/"))
