"""The year-end files of ``piao results``: ``payouts.csv`` and ``risultati.xlsx``.

``risultati.xlsx`` has one row per indicator (sheet Indicatori) and one per objective (sheet
Obiettivi). The sums are formulas, so the workbook recomputes when an office corrects a value:
an indicator's contribution is weight x achieved share, an objective's achievement the SUMIF of
its indicators' contributions, economia the amount less the amount paid, and the totals are SUMs.
The payout share and the amount paid are the pipeline's (they follow the plan's threshold rule).
"""

from __future__ import annotations

import math
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

from outputs.data import _write_csv, write_json
from outputs.relazione import write_relazione
from outputs.xlsx import EURO, PERCENT, PERCENT_DECIMALS, Column, _put, _table
from pipeline.record import PlanRecord

PAYOUT_COLUMNS = ["objective", "achievement_pct", "threshold_pct", "payout_pct", "amount_eur", "paid_eur"]
HOW_IT = {"raggiunto": "Dichiarato", "valore": "Valore rispetto al target"}
PAYOUT_IT = {"full": "Intero", "proportional": "Proporzionale", "none": "Nessuno"}


def write_payouts_csv(record: PlanRecord, path: str | Path) -> None:
    """payouts.csv: one row per objective, the contract's columns (RFC 4180, UTF-8)."""
    results = record.results
    rows = [o.model_dump(include=set(PAYOUT_COLUMNS)) for o in results.objectives] if results else []
    _write_csv(Path(path), PAYOUT_COLUMNS, rows)


def _fit_rows(ws, columns: list[Column], first: int, last: int) -> None:
    """Row heights for wrapped text (spreadsheet programs do not grow rows a file does not size),
    and printing: landscape, one page wide."""
    wrapped = [(c, col.width) for c, col in enumerate(columns, start=1) if col.width]
    for r in range(first, last + 1):
        lines = max([math.ceil(len(str(ws.cell(row=r, column=c).value or "")) / max(w - 2, 1)) for c, w in wrapped] or [1])
        ws.row_dimensions[r].height = 13 * max(lines, 1) + 2
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"


def _pct(value):
    return None if value is None else value / 100


def write_risultati_xlsx(record: PlanRecord, path: str | Path) -> None:
    """risultati.xlsx: sheets Obiettivi and Indicatori, sums as formulas."""
    results = record.results
    wb = Workbook()
    wb.remove(wb.active)
    ws_o, ws_i = wb.create_sheet("Obiettivi"), wb.create_sheet("Indicatori")
    cards = {o.number: o for o in record.objectives}

    i_columns = [
        Column("N. obiettivo", "0"), Column("N. indicatore", "0"), Column("Indicatore", width=50),
        Column("Target", width=24), Column("Valore rilevato", width=16), Column("Valutazione", width=22),
        Column("Peso", PERCENT), Column("Raggiunto", PERCENT), Column("Contributo", PERCENT_DECIMALS),
    ]
    i_rows = []
    for o in results.objectives if results else []:
        card = cards.get(o.objective)
        for r in o.indicators:
            ind = card.indicators[r.indicator - 1] if card else None
            i_rows.append([o.objective, r.indicator, ind.name if ind else None, ind.target if ind else None,
                           r.measured, HOW_IT.get(r.how or "", "Non valutabile"),
                           _pct(ind.weight_pct) if ind else None, _pct(r.achieved_pct), None])
    _table(ws_i, i_columns, i_rows)
    _fit_rows(ws_i, i_columns, 2, len(i_rows) + 1)
    for n in range(2, len(i_rows) + 2):
        cell = ws_i.cell(row=n, column=9, value=f"=IF(OR(G{n}=\"\",H{n}=\"\"),\"\",G{n}*H{n})")
        cell.number_format = PERCENT_DECIMALS
        for c in (7, 8):
            ws_i.cell(row=n, column=c).number_format = PERCENT_DECIMALS

    o_columns = [
        Column("N.", "0"), Column("Obiettivo", width=50), Column("Settore/Area", width=34),
        Column("Soglia", PERCENT), Column("Raggiungimento", PERCENT_DECIMALS), Column("Esito"),
        Column("Quota erogata", PERCENT_DECIMALS), Column("Importo attribuito (€)", EURO),
        Column("Importo erogato (€)", EURO), Column("Economia (€)", EURO),
    ]
    o_rows = []
    for o in results.objectives if results else []:
        card = cards.get(o.objective)
        o_rows.append([o.objective, card.title if card else None, card.scope_line if card else None,
                       _pct(o.threshold_pct), _pct(o.achievement_pct), PAYOUT_IT.get(o.payout or "", "Non determinato"),
                       _pct(o.payout_pct), o.amount_eur, o.paid_eur, None])
    _table(ws_o, o_columns, o_rows)
    _fit_rows(ws_o, o_columns, 2, len(o_rows) + 1)
    last_i = len(i_rows) + 1
    for n, o in enumerate(results.objectives if results else [], start=2):
        if o.achievement_pct is not None:  # the pipeline's value when some indicator is unclear
            ws_o.cell(row=n, column=5, value=f"=SUMIF(Indicatori!$A$2:$A${last_i},A{n},Indicatori!$I$2:$I${last_i})")
        ws_o.cell(row=n, column=5).number_format = PERCENT_DECIMALS
        ws_o.cell(row=n, column=7).number_format = PERCENT_DECIMALS
        ws_o.cell(row=n, column=10, value=f"=IF(OR(H{n}=\"\",I{n}=\"\"),\"\",H{n}-I{n})").number_format = EURO
    last_o = len(o_rows) + 1
    total = last_o + 2
    bold = Font(bold=True)
    _put(ws_o, total, 2, "Totale")
    for c, letter in ((8, "H"), (9, "I"), (10, "J")):
        ws_o.cell(row=total, column=c, value=f"=SUM({letter}2:{letter}{last_o})").number_format = EURO
    if results is not None:
        lines = [("Risorse attribuite agli obiettivi", results.allocated),
                 ("Totale erogato", results.paid_total), ("Economia", results.economia)]
        for k, (label, value) in enumerate(lines, start=2):
            _put(ws_o, total + k, 2, label)
            _put(ws_o, total + k, 8, value, EURO)
    for c in range(1, 11):
        ws_o.cell(row=total, column=c).font = bold
    wb.properties.title = f"Risultati {record.plan.entity or ''} {record.plan.year or ''}".strip()
    wb.properties.language = "it-IT"
    wb.properties.identifier = f"sha256:{record.source.sha256}"
    wb.save(str(path))


#: What ``piao results`` writes (all or nothing, through :func:`outputs.write.write_outputs`).
RESULTS_WRITERS = {
    "plan.json": write_json,
    "payouts.csv": write_payouts_csv,
    "risultati.xlsx": write_risultati_xlsx,
    "relazione.docx": write_relazione,
}
