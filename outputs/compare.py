"""``piao compare`` outputs: ``changes.csv``, ``plan_changes.csv``, ``confronto.xlsx``, ``confronto.docx``.

All written through :func:`outputs.write.write_outputs` (staging folder, then moved into place):
the output folder gets the complete set or nothing. The Word document is for the Segretario, in
Italian: plan rules that changed, "Obiettivi nuovi", "Obiettivi non più presenti", "Obiettivi
modificati" with old -> new values, and the list of objectives unchanged (renumbered or not).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from outputs.data import write_frame_csv
from outputs.verifica import _new_document, _para, _table, clean
from pipeline.formatting import format_number as it_num
from outputs.write import write_outputs
from outputs.xlsx import DECIMAL, EURO, INTEGER, Column, _table as _sheet
from pipeline.compare import Comparison, FieldChange, settings
from pipeline.formatting import format_eur

CHANGE_IT = {"added": "nuovo", "removed": "non più presente", "changed": "modificato", "unchanged": "invariato"}
MONEY_FIELDS = {"amount_eur", "budget_total", "budget_allocated", "budget_reserve", "budget_welfare"}


def _plan_label(c: Comparison, which: str) -> str:
    record = c.old if which == "old" else c.new
    p = record.plan
    return " ".join(str(x) for x in (p.entity, p.year) if x) or record.source.file


def show(name: str, value: Any) -> str:
    """A field's value in Italian words (money as the plan writes it: "€ 1.234,56")."""
    if value is None or value == [] or value == {}:
        return "n.d."
    if name in MONEY_FIELDS and isinstance(value, (int, float)):
        return format_eur(value)
    if isinstance(value, bool):
        return "sì" if value else "no"
    if isinstance(value, (int, float)):
        return it_num(value)
    if isinstance(value, dict):
        return "; ".join(f"{k} {it_num(v) if isinstance(v, (int, float)) else v}" for k, v in value.items())
    if isinstance(value, list):
        return "; ".join(_item(v) for v in value)
    return clean(value)


def _item(v: Any) -> str:
    if v is None:
        return "n.d."
    if isinstance(v, dict):
        if "label" in v:  # a staff band
            return f"{v['label']}: {it_num(v.get('coefficient'))}"
        if "payout" in v:  # a threshold band
            lo, hi = v.get("min_pct"), v.get("max_pct")
            span = f"da {it_num(lo)}%" if lo is not None else ""
            span += (" " if span else "") + (f"sotto {it_num(hi)}%" if hi is not None else "")
            return f"{span.strip()} -> {v['payout']}"
        return ", ".join(f"{k} {x}" for k, x in v.items())
    return it_num(v) if isinstance(v, (int, float)) else clean(v)


def _label(kind: str, name: str) -> str:
    return settings()[kind].get(name, name)


def _field_lines(changes: list[FieldChange]) -> str:
    return "\n".join(f"{_label('fields', f.field)}: {show(f.field, f.old)} → {show(f.field, f.new)}" for f in changes)


# ------------------------------------------------------------------------------ writers


def write_changes_csv(c: Comparison, path: Path) -> None:
    write_frame_csv(c.changes_frame(), path)


def write_plan_changes_csv(c: Comparison, path: Path) -> None:
    write_frame_csv(c.rules_frame(), path)


def write_confronto_xlsx(c: Comparison, path: Path) -> None:
    wb = Workbook()
    wb.remove(wb.active)
    columns = [
        Column("Esito"), Column("N. precedente", INTEGER), Column("N. nuovo", INTEGER),
        Column("Obiettivo (precedente)", width=50), Column("Obiettivo (nuovo)", width=50),
        Column("Somiglianza", DECIMAL), Column("Cosa cambia (prima → dopo)", width=70),
        Column("Importo precedente (€)", EURO), Column("Importo nuovo (€)", EURO),
    ]
    rows = [[
        CHANGE_IT[o.change], o.old_number, o.new_number,
        o.old.title if o.old else None, o.new.title if o.new else None,
        None if o.similarity is None else round(o.similarity, 3),
        _field_lines(o.fields) or None, o.old_amount_eur, o.new_amount_eur,
    ] for o in c.objectives]
    _sheet(wb.create_sheet("Obiettivi"), columns, rows)
    rule_columns = [Column("Regola del piano", width=40), Column(_plan_label(c, "old"), width=60),
                    Column(_plan_label(c, "new"), width=60)]
    _sheet(wb.create_sheet("Regole del piano"), rule_columns,
           [[_label("rules", r.field), show(r.field, r.old), show(r.field, r.new)] for r in c.rules])
    wb.properties.title = f"Confronto {_plan_label(c, 'old')} - {_plan_label(c, 'new')}"
    wb.properties.language = "it-IT"
    wb.save(str(path))


def _number(n: int | None) -> str:
    return str(n) if n is not None else "s.n."


def _unmatched_table(doc, items: list, side: str) -> None:
    """Objectives of one side only (added: the new plan's; removed: the old plan's)."""
    if not items:
        _para(doc, "Nessuno.")
        return
    rows = []
    for o in items:
        obj = getattr(o, side)
        rows.append([_number(obj.number), clean(obj.title), clean(obj.scope_line),
                     show("amount_eur", getattr(o, f"{side}_amount_eur"))])
    _table(doc, ["N.", "Obiettivo", "Settore/Area", "Importo"], rows, [1.2, 8.0, 5.0, 2.3],
           ["right", "left", "left", "right"])


def write_confronto_docx(c: Comparison, path: Path) -> None:
    doc = _new_document()
    old, new = _plan_label(c, "old"), _plan_label(c, "new")
    _para(doc, "Confronto tra piani della performance", "Title")
    _para(doc, f"{old} → {new}", "Subtitle")
    n = c.counts()
    _para(doc, f"Obiettivi nel piano precedente: {len(c.old.objectives)}; nel piano nuovo: {len(c.new.objectives)}. "
               f"Nuovi: {n['added']}; non più presenti: {n['removed']}; modificati: {n['changed']}; "
               f"invariati: {n['unchanged']}. Gli obiettivi sono abbinati per contenuto (titolo, descrizione, "
               f"indicatori, codice, settore/area), non per numero.")

    doc.add_heading("Regole del piano", level=1)
    if c.rules:
        _table(doc, ["Regola", old, new],
               [[_label("rules", r.field), show(r.field, r.old), show(r.field, r.new)] for r in c.rules],
               [4.5, 6.0, 6.0])
    else:
        _para(doc, "Nessuna modifica a pesi di strategicità, fasce di personale, risorse e soglie.")

    for change, heading, side in (("added", "Obiettivi nuovi", "new"), ("removed", "Obiettivi non più presenti", "old")):
        doc.add_heading(heading, level=1)
        _unmatched_table(doc, [o for o in c.objectives if o.change == change], side)

    changed = [o for o in c.objectives if o.change == "changed"]
    doc.add_heading("Obiettivi modificati", level=1)
    if not changed:
        _para(doc, "Nessuno.")
    for o in changed:
        doc.add_heading(f"N. {_number(o.old_number)} → N. {_number(o.new_number)}: {clean(o.new.title)}"[:250], level=2)
        _table(doc, ["Elemento", "Prima", "Dopo"],
               [[_label("fields", f.field), show(f.field, f.old), show(f.field, f.new)] for f in o.fields],
               [4.0, 6.25, 6.25])

    same = [o for o in c.objectives if o.change == "unchanged"]
    if same:
        doc.add_heading("Obiettivi invariati", level=1)
        _table(doc, ["N. prima", "N. dopo", "Obiettivo", "Importo prima", "Importo dopo"],
               [[_number(o.old_number), _number(o.new_number), clean(o.new.title),
                 show("amount_eur", o.old_amount_eur), show("amount_eur", o.new_amount_eur)] for o in same],
               [1.5, 1.5, 8.5, 2.5, 2.5], ["right", "right", "left", "right", "right"])
    doc.core_properties.title = f"Confronto {old} - {new}"
    doc.core_properties.language = "it-IT"
    doc.save(str(path))


COMPARE_WRITERS: dict[str, Callable[[Comparison, Path], None]] = {
    "changes.csv": write_changes_csv,
    "plan_changes.csv": write_plan_changes_csv,
    "confronto.xlsx": write_confronto_xlsx,
    "confronto.docx": write_confronto_docx,
}


def write_comparison(c: Comparison, out_dir: str | Path) -> list[Path]:
    """Write the comparison's files into ``out_dir``, all or nothing."""
    return write_outputs(c, out_dir, writers=COMPARE_WRITERS)  # type: ignore[arg-type]
