"""Realistic Italian performance plans in layouts the project has never been tuned on (test helper).

A plan is plain data (:class:`Plan`: entity, year, rules, objectives with their indicators); the
layout writers turn it into the Word document a comune's office would publish, in one of several
shapes real comuni use, and :func:`to_pdf` exports it through LibreOffice like the office does.
:func:`expected` gives the record a careful reader extracts, in the shape of the fixtures'
``*.expected.json`` (contract field names): it is computed from the data alone, never from the
reader, so it is an independent oracle for ``piao run``.

Layouts (``LAYOUTS``):

- ``labelvalue``: every objective a two-column table of label | value rows ("Obiettivo n. 3" |
  title, "Descrizione", "Responsabile", "Scadenza", ...), the indicators in a table nested in the
  "Indicatori" row or in a table right after it; Arial-like sans 10 pt, cards flowing on.
- ``heading-title``: a Word Heading "Obiettivo n. 3 – title", labelled paragraphs, a
  "KPI | Baseline | Target 2026 | Ponderazione" table; strategicità levels with decimal
  coefficients; staff bands as a bulleted list in prose; each card on a new page.
- ``matrix-nocode``: landscape, one table per Settore ("N. | Obiettivo | Indicatori | Peso % |
  Risultato atteso | Personale | Tempistica"), objective cells merged vertically over their
  indicator rows, header row repeated, rows breaking across pages; one plan-level threshold.
- ``restart``: cards numbered per Servizio ("Servizio Tributi – Obiettivo n. 1"), so the record's
  ``number`` is the running number and ``printed_label`` the heading as printed.

:func:`write_drift` makes next year's edition of the Chiari template (renamed headers, reworded
soglia and weight lines, "ANNO 2026") and :func:`drift_expected` adjusts the Chiari record for it.
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt


@dataclass
class Indicator:
    name: str
    target: str  # as printed: "n. 120 registri", "≥ 60%", "Sì"
    target_value: float | None  # what a careful reader takes from it (first number), None for "Sì"
    weight: int  # percent of the objective
    baseline: str | None = None
    formula: str | None = None


@dataclass
class Objective:
    title: str
    description: str
    settore: str  # organisational unit (Settore / Area)
    servizio: str
    kind: str  # settore | intersettoriale | generale
    timeframe: str
    threshold: int | None  # the card's own soglia; None: the plan-level one applies
    staff_text: str
    staff_count: int | None  # None when some group has no number
    responsible: str
    indicators: list[Indicator]
    points: int | None = None  # printed objective weight ("30 punti")
    level: str | None = None  # strategicità level ("alta") when the plan weighs by levels
    scope: str | None = None  # scope line as printed when it is not the Settore's name


@dataclass
class Plan:
    entity: str
    province: str
    year: int
    period: str
    title: str
    weighting: str  # "levels" | "points" | "equal"
    levels: dict[str, float]  # level -> coefficient, when weighting == "levels"
    bands: list[tuple[str, int | None, int | None, float]]  # label, min, max, coefficient
    budget_total: float
    budget_reserve: float
    budget_welfare: float
    default_threshold: int | None
    objectives: list[Objective] = field(default_factory=list)

    @property
    def budget_allocated(self) -> float:
        return round(self.budget_total - self.budget_reserve - self.budget_welfare, 2)


# --- the data --------------------------------------------------------------------------------

AG = "Settore Affari Generali e Servizi Demografici"
FIN = "Settore Economico-Finanziario e Tributi"
TEC = "Settore Tecnico e Manutenzioni"
PL = "Settore Polizia Locale"

_LEVELS = {"alta": 1.3, "media": 1.15, "bassa": 1.0}


def sample_plan(weighting: str = "points", default_threshold: int | None = None,
                card_thresholds: bool = True) -> Plan:
    """The plan of the (fictional) Comune di Borgoleone, 2026: nine objectives in four Settori.

    The staff texts use the written forms real plans use ("Responsabile … + n. 2 istruttori",
    "1 Istruttore direttivo cat. D, 3 Operai cat. B", a group with no number); the timeframes are
    dates, months, quarters and years.
    """
    I = Indicator  # noqa: E741
    objs = [
        Objective(
            "Digitalizzazione dei registri di stato civile e rilascio on-line dei certificati",
            "Il Servizio Demografici completa la scansione e l'indicizzazione dei registri di stato "
            "civile dal 1930 al 1990 e attiva il rilascio dei certificati tramite il portale ANPR, "
            "riducendo gli accessi allo sportello e i tempi di risposta ai cittadini.",
            AG, "Servizi Demografici", "settore", "31/12/2026", 70,
            "n. 2 istruttori amministrativi, n. 1 operatore esperto addetto allo sportello", 3,
            "Dott.ssa Chiara Ferrari",
            [I("Registri di stato civile digitalizzati e indicizzati", "n. 120 registri", 120, 40,
               "n. 35 registri", "N. registri scansionati e indicizzati"),
             I("Certificati anagrafici rilasciati on-line sul totale dei certificati", "≥ 60%", 60, 35,
               "22%", "Certificati on-line / certificati rilasciati x 100"),
             I("Tempo medio di rilascio degli estratti di stato civile", "≤ 3 giorni", 3, 25,
               "8 giorni", "Somma dei giorni di attesa / n. richieste")],
            points=30, level="alta"),
        Objective(
            "Nuovo regolamento sull'accesso civico e formazione del personale",
            "Revisione del regolamento comunale sull'accesso documentale, civico semplice e "
            "generalizzato, con un registro unico degli accessi, e formazione dei dipendenti che "
            "istruiscono le istanze.",
            AG, "Segreteria Generale", "settore", "entro il 30/06/2026", 100,
            "Responsabile Servizio Segreteria + n. 2 istruttori", 3,
            "Dott.ssa Chiara Ferrari",
            [I("Regolamento approvato dal Consiglio comunale", "Sì", None, 50,
               "—", "Deliberazione consiliare di approvazione"),
             I("Dipendenti formati sull'accesso civico generalizzato", "n. 25 dipendenti", 25, 50,
               "n. 0", "N. dipendenti con attestato di partecipazione")],
            points=20, level="media"),
        Objective(
            "Aggiornamento della sezione Amministrazione trasparente",
            "Verifica periodica degli obblighi di pubblicazione della sezione «Amministrazione "
            "trasparente» e correzione dei contenuti non aggiornati segnalati dal monitoraggio.",
            AG, "Segreteria Generale", "settore", "1° trimestre 2026", 80,
            "personale dei servizi interessati dagli obblighi di pubblicazione", None,
            "Dott.ssa Chiara Ferrari",
            [I("Sottosezioni verificate sul totale", "100%", 100, 60,
               "70%", "Sottosezioni verificate / sottosezioni x 100"),
             I("Rilievi del Nucleo di Valutazione sanati", "n. 12 rilievi", 12, 40,
               "n. 4", "N. rilievi chiusi")],
            points=50, level="bassa"),
        Objective(
            "Riduzione dei tempi di pagamento delle fatture commerciali",
            "Monitoraggio mensile dello stock di debito sulla Piattaforma dei Crediti Commerciali, "
            "liquidazione delle fatture da parte dei servizi tecnici entro 15 giorni dal "
            "ricevimento e pagamento entro i termini di legge.",
            FIN, "Ragioneria", "intersettoriale", "anno 2026", 80,
            "n.4 dipendenti del Servizio Ragioneria + n.2 dipendenti dell'Area Tecnica", 6,
            "Rag. Marco Colombo",
            [I("Tempo medio di pagamento delle fatture", "≤ 30 giorni", 30, 40,
               "41 giorni", "Media ponderata dei giorni di pagamento"),
             I("Indicatore annuale di tempestività dei pagamenti", "≤ 0 giorni", 0, 30,
               "+6 giorni", "ITP calcolato dalla PCC"),
             I("Fatture registrate entro 10 giorni dal ricevimento", "≥ 95%", 95, 30,
               "81%", "Fatture registrate entro 10 gg / fatture ricevute x 100")],
            points=40, level="alta",
            scope="Intersettoriale – Settore Economico-Finanziario e Settore Tecnico"),
        Objective(
            "Recupero dell'evasione IMU e TARI",
            "Controllo incrociato delle banche dati catastali, anagrafiche e delle utenze per "
            "individuare le posizioni non dichiarate ed emissione dei relativi avvisi di "
            "accertamento esecutivi.",
            FIN, "Tributi", "settore", "aprile – ottobre 2026", 60,
            "Responsabile Servizio Tributi + n. 2 istruttori", 3,
            "Rag. Marco Colombo",
            [I("Posizioni IMU e TARI verificate", "n. 400 posizioni", 400, 40,
               "n. 250", "N. posizioni controllate"),
             I("Avvisi di accertamento emessi e notificati", "n. 150 avvisi", 150, 35,
               "n. 96", "N. avvisi notificati"),
             I("Riscossione degli accertamenti emessi", "≥ 70%", 70, 25,
               "55%", "Importo riscosso / importo accertato x 100")],
            points=35, level="media"),
        Objective(
            "Revisione dell'inventario dei beni mobili",
            "Ricognizione fisica dei beni mobili negli uffici e nelle scuole, etichettatura con "
            "codice a barre e dismissione dei beni fuori uso.",
            FIN, "Economato", "settore", "31/10/2026", 70,
            "n. 1 istruttore contabile", 1,
            "Rag. Marco Colombo",
            [I("Beni mobili inventariati ed etichettati", "n. 1.500 beni", 1500, 60,
               "n. 600", "N. beni con etichetta"),
             I("Beni dichiarati fuori uso e dismessi", "n. 80 beni", 80, 40,
               "n. 10", "N. beni dismessi")],
            points=25, level="bassa"),
        Objective(
            "Manutenzione programmata del verde pubblico e delle aree gioco",
            "Programmazione ed esecuzione in amministrazione diretta degli sfalci, valutazione di "
            "stabilità delle alberature e ispezione periodica delle aree gioco comunali.",
            TEC, "Manutenzioni", "settore", "marzo – novembre 2026", 70,
            "1 Istruttore direttivo cat. D, 3 Operai cat. B", 4,
            "Geom. Luca Bianchi",
            [I("Cicli di sfalcio completati su tutte le aree verdi", "n. 6 cicli", 6, 30,
               "n. 5", "N. cicli completati"),
             I("Alberature sottoposte a valutazione di stabilità (VTA)", "n. 120 piante", 120, 30,
               "n. 40", "N. schede VTA"),
             I("Segnalazioni dei cittadini chiuse entro 15 giorni", "≥ 90%", 90, 20,
               "72%", "Segnalazioni chiuse entro 15 gg / segnalazioni x 100"),
             I("Aree gioco ispezionate con verbale", "n. 14 aree", 14, 20,
               "n. 7", "N. verbali di ispezione")],
            points=60, level="media"),
        Objective(
            "Efficientamento energetico della scuola primaria: avvio dei lavori",
            "Intervento finanziato con contributo statale: approvazione del progetto esecutivo, "
            "affidamento dei lavori e avanzamento del cantiere nel periodo di chiusura estiva.",
            TEC, "Lavori Pubblici", "settore", "31/12/2026", 100,
            "n. 2 istruttori tecnici", 2,
            "Geom. Luca Bianchi",
            [I("Progetto esecutivo approvato", "Sì", None, 30,
               "—", "Determinazione di approvazione"),
             I("Avanzamento dei lavori (importo dei SAL sull'importo contrattuale)", "50%", 50, 70,
               "0%", "Importo SAL / importo contrattuale x 100")],
            points=40, level="alta"),
        Objective(
            "Controllo del territorio e sicurezza stradale",
            "Servizi serali e festivi di controllo del territorio, controlli della velocità nei "
            "tratti più a rischio e incontri di educazione stradale nelle scuole del Comune.",
            PL, "Polizia Locale", "settore", "anno 2026", 80,
            "n. 5 agenti di polizia locale e n. 1 ufficiale", 6,
            "Comm. Paolo Riva",
            [I("Servizi serali e festivi di controllo del territorio", "n. 40 servizi", 40, 40,
               "n. 28", "N. servizi effettuati"),
             I("Controlli della velocità con apparecchiature omologate", "n. 60 controlli", 60, 30,
               "n. 35", "N. controlli"),
             I("Incontri di educazione stradale nelle scuole", "almeno n. 8 incontri", 8, 30,
               "n. 4", "N. incontri svolti")],
            points=100, level="alta"),
    ]
    if not card_thresholds:
        for o in objs:
            o.threshold = None
    return Plan(
        entity="Comune di Borgoleone", province="Pavia", year=2026, period="2026-2028",
        title="Piano della Performance 2026-2028 – Obiettivi di performance organizzativa 2026",
        weighting=weighting, levels=dict(_LEVELS) if weighting == "levels" else {},
        bands=[("da 1 a 2 dipendenti", 1, 2, 1.0), ("da 3 a 4 dipendenti", 3, 4, 1.2),
               ("da 5 a 7 dipendenti", 5, 7, 1.5), ("8 dipendenti e oltre", 8, None, 2.0)],
        budget_total=48500.0, budget_reserve=3500.0, budget_welfare=0.0,
        default_threshold=default_threshold, objectives=objs)


def _threshold(plan: Plan, o: Objective) -> int | None:
    return o.threshold if o.threshold is not None else plan.default_threshold


def _scope(o: Objective) -> str:
    return o.scope or o.settore


def expected(plan: Plan, printed_labels: list[str] | None = None) -> dict:
    """The record a careful reader extracts from the plan, in the fixtures' expected.json shape."""
    gp = {
        "entity": plan.entity, "province": plan.province, "title": plan.title,
        "period": plan.period, "year": plan.year,
        "budget": {"total": plan.budget_total, "allocated": plan.budget_allocated,
                   "reserve": plan.budget_reserve, "welfare": plan.budget_welfare},
        "strategic_weights": dict(plan.levels),
        "staff_bands": [{"label": lb, "min": mn, "max": mx, "coefficient": c}
                        for lb, mn, mx, c in plan.bands],
    }
    objs = []
    for n, o in enumerate(plan.objectives, 1):
        g = {
            "number": n, "number_printed": True, "scope_line": _scope(o), "kind": o.kind,
            "title": o.title, "timeframe": o.timeframe, "threshold_pct": _threshold(plan, o),
            "staff_text": o.staff_text, "staff_count": o.staff_count,
            "indicators": [{"name": i.name, "target": i.target, "target_value": i.target_value,
                            "weight_pct": i.weight, "baseline": i.baseline, "formula": i.formula}
                           for i in o.indicators],
        }
        if plan.weighting == "levels":
            g["strategic_level"] = o.level
            g["objective_weight"] = plan.levels[o.level]
        elif plan.weighting == "points":
            g["objective_weight"] = o.points
        if printed_labels:
            g["printed_label"] = printed_labels[n - 1]
        objs.append(g)
    return {"plan": gp, "objectives": objs}


# --- Word helpers ----------------------------------------------------------------------------

def _new_document(font: str, size: float, landscape: bool = False, margins_cm: float = 2.0):
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = font
    normal.font.size = Pt(size)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
    for name in ("Heading 1", "Heading 2", "Heading 3"):
        doc.styles[name].font.name = font
    sec = doc.sections[0]
    sec.page_width, sec.page_height = Cm(21.0), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(sec, side, Cm(margins_cm))
    if landscape:
        _landscape(sec)
    return doc


def _landscape(sec) -> None:
    sec.orientation = WD_ORIENT.LANDSCAPE
    w, h = sec.page_width, sec.page_height
    if w < h:
        sec.page_width, sec.page_height = h, w


def _new_section(doc, landscape: bool):
    from docx.enum.section import WD_SECTION

    sec = doc.add_section(WD_SECTION.NEW_PAGE)
    if landscape:
        _landscape(sec)
    else:
        sec.orientation = WD_ORIENT.PORTRAIT
        w, h = sec.page_width, sec.page_height
        if w > h:
            sec.page_width, sec.page_height = h, w
    return sec


def _p(container, text: str = "", bold: bool = False, size: float | None = None,
       align: str | None = None, italic: bool = False, style: str | None = None,
       label: str | None = None, page_break_before: bool = False, space_after: float | None = None):
    """A paragraph; ``label`` is written bold before ``text`` (a labelled field)."""
    p = container.add_paragraph(style=style) if style else container.add_paragraph()
    if label:
        r = p.add_run(label)
        r.bold = True
        if size:
            r.font.size = Pt(size)
        text = " " + text if text else ""
    if text:
        r = p.add_run(text)
        r.bold = bold
        r.italic = italic
        if size:
            r.font.size = Pt(size)
    if align == "center":
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif align == "justify":
        p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    if page_break_before:
        p.paragraph_format.page_break_before = True
    if space_after is not None:
        p.paragraph_format.space_after = Pt(space_after)
    return p


def _cell_text(cell, text: str, bold: bool = False, size: float | None = None) -> None:
    """Write ``text`` into a cell, one paragraph per line (first paragraph reused)."""
    lines = text.split("\n")
    para = cell.paragraphs[0]
    for k, line in enumerate(lines):
        if k:
            para = cell.add_paragraph()
        r = para.add_run(line)
        r.bold = bold
        if size:
            r.font.size = Pt(size)


def _repeat_header(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)


def _table(container, header: list[str], rows: list[list[str]], widths_cm: list[float] | None = None,
           size: float | None = None, header_bold: bool = True, ruled: bool = True,
           repeat_header: bool = True):
    """A table; ``ruled=False`` keeps python-docx's default table style: no borders at all."""
    t = container.add_table(rows=1 + len(rows), cols=len(header))
    if ruled:
        t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    for j, h in enumerate(header):
        _cell_text(t.rows[0].cells[j], h, bold=header_bold, size=size)
    if repeat_header:
        _repeat_header(t.rows[0])
    for i, row in enumerate(rows, 1):
        for j, v in enumerate(row):
            _cell_text(t.rows[i].cells[j], v, size=size)
    if widths_cm:
        _widths(t, widths_cm)
    return t


def _widths(table, widths_cm: list[float]) -> None:
    table.autofit = False
    for row in table.rows:
        for j, w in enumerate(widths_cm):
            row.cells[j].width = Cm(w)


def _money(x: float) -> str:
    s = f"{x:,.2f}"
    return "€ " + s.replace(",", "X").replace(".", ",").replace("X", ".")


def _coef(x: float) -> str:
    return f"{x:.2f}".replace(".", ",")


# --- the front part (rules), shared by the layouts, in a few wordings -------------------------

def _front(doc, plan: Plan, bands_as: str = "table", levels_as: str = "table") -> None:
    _p(doc, plan.entity.upper(), bold=True, size=16, align="center", space_after=0)
    _p(doc, f"Provincia di {plan.province}", align="center")
    _p(doc, f"PIANO DELLA PERFORMANCE {plan.period}", bold=True, size=14, align="center")
    _p(doc, f"Obiettivi di performance organizzativa – anno {plan.year}", bold=True, align="center")
    _p(doc, "(approvato con deliberazione della Giunta comunale n. 21 del 12/02/2026)",
       italic=True, align="center")
    _p(doc, "1. Premessa", bold=True)
    _p(doc, f"Il presente documento individua gli obiettivi di performance organizzativa "
            f"assegnati per l'anno {plan.year} ai Settori del {plan.entity}, in coerenza con il "
            f"Documento Unico di Programmazione e con il Sistema di misurazione e valutazione della "
            f"performance vigente. Per ciascun obiettivo sono indicati gli indicatori, il relativo "
            f"peso percentuale e il valore atteso.", align="justify")
    _p(doc, "2. Peso degli obiettivi", bold=True)
    if plan.weighting == "levels":
        _p(doc, "A ciascun obiettivo è attribuito un grado di strategicità, cui corrisponde il "
                "seguente coefficiente di pesatura:", align="justify")
        rows = [[lv.capitalize(), _coef(c)] for lv, c in plan.levels.items()]
        if levels_as == "table":
            _table(doc, ["Grado di strategicità", "Coefficiente"], rows, [7, 4])
        else:
            _p(doc, "   /   ".join(f"{a} = {b}" for a, b in rows), align="center")
    elif plan.weighting == "points":
        _p(doc, "A ciascun obiettivo è attribuito un peso espresso in punti, riportato nella "
                "scheda dell'obiettivo, in relazione alla sua rilevanza e complessità.",
           align="justify")
    else:
        _p(doc, "Gli obiettivi hanno tutti il medesimo peso; la quota di ciascuno dipende dal "
                "personale coinvolto.", align="justify")
    _p(doc, "3. Coefficiente del personale coinvolto", bold=True)
    _p(doc, "Al punteggio di ciascun obiettivo si applica un coefficiente determinato in base al "
            "numero dei dipendenti coinvolti, secondo le seguenti fasce:", align="justify")
    if bands_as == "table":
        _table(doc, ["Dipendenti coinvolti", "Coefficiente"],
               [[lb, _coef(c)] for lb, _, _, c in plan.bands], [7, 4])
    else:
        last = len(plan.bands) - 1
        for k, (lb, _, _, c) in enumerate(plan.bands):
            _p(doc, f"– {lb}: coefficiente {_coef(c)}{'.' if k == last else ';'}")
    _p(doc, "4. Risorse destinate alla performance organizzativa", bold=True)
    _p(doc, f"Fondo per la performance organizzativa {plan.year}: {_money(plan.budget_total)}, di "
            f"cui {_money(plan.budget_reserve)} accantonati per la performance individuale dei "
            f"titolari di E.Q.", bold=True)
    _p(doc, f"La quota di {_money(plan.budget_allocated)}, al netto dell'accantonamento, è "
            f"ripartita tra gli obiettivi in proporzione al punteggio di ciascuno, pari al prodotto "
            f"tra il peso dell'obiettivo e il coefficiente del personale coinvolto.",
       align="justify")
    _p(doc, "5. Soglia di raggiungimento", bold=True)
    if plan.default_threshold is not None:
        _p(doc, f"L'obiettivo si considera raggiunto, ai fini dell'erogazione, quando il grado di "
                f"realizzazione ponderato degli indicatori è almeno pari al "
                f"{plan.default_threshold}%. Al di sotto di tale soglia la quota dell'obiettivo non "
                f"è erogata.", align="justify")
    else:
        _p(doc, "Ogni scheda indica la soglia minima di risultato al di sotto della quale "
                "l'obiettivo si considera non raggiunto e la relativa quota non è erogata.",
           align="justify")


# --- layout 2: label | value tables ------------------------------------------------------------

def _write_labelvalue(plan: Plan, path: Path) -> dict:
    doc = _new_document("Liberation Sans", 10, margins_cm=1.8)
    _front(doc, plan, bands_as="table")
    _p(doc, "SCHEDE DEGLI OBIETTIVI", bold=True, size=12, align="center", page_break_before=True)
    for n, o in enumerate(plan.objectives, 1):
        rows = [
            (f"Obiettivo n. {n}", o.title),
            ("Settore", _scope(o)),
            ("Descrizione", o.description),
            ("Responsabile", o.responsible),
            ("Scadenza", o.timeframe),
            ("Soglia minima", f"{_threshold(plan, o)}%"),
            ("Personale coinvolto", o.staff_text),
            ("Peso obiettivo", f"{o.points} punti"),
        ]
        nested = n % 2 == 0  # every other card keeps its indicators in a nested table
        if nested:
            rows.insert(5, ("Indicatori", ""))
        t = doc.add_table(rows=len(rows), cols=2)
        t.style = "Table Grid"
        for i, (lab, val) in enumerate(rows):
            _cell_text(t.rows[i].cells[0], lab, bold=True)
            if lab == "Indicatori":
                cell = t.rows[i].cells[1]
                inner = cell.add_table(rows=1 + len(o.indicators), cols=3)
                inner.style = "Table Grid"
                _cell_text(inner.rows[0].cells[0], "Indicatore", bold=True)
                _cell_text(inner.rows[0].cells[1], "Valore atteso", bold=True)
                _cell_text(inner.rows[0].cells[2], "Peso", bold=True)
                for k, ind in enumerate(o.indicators, 1):
                    _cell_text(inner.rows[k].cells[0], ind.name)
                    _cell_text(inner.rows[k].cells[1], ind.target)
                    _cell_text(inner.rows[k].cells[2], f"{ind.weight}%")
            else:
                _cell_text(t.rows[i].cells[1], val, bold=(i == 0))
        _widths(t, [4.2, 13.2])
        if not nested:
            _p(doc, "", space_after=0)
            _table(doc, ["Indicatore", "Valore atteso", "Peso"],
                   [[i.name, i.target, f"{i.weight}%"] for i in o.indicators], [10.2, 4.6, 2.6])
        _p(doc, "")
    doc.save(str(path))
    return expected(plan)


# --- layout 3: Heading "Obiettivo n. 3 – title" and labelled paragraphs ----------------------

def _write_heading_title(plan: Plan, path: Path) -> dict:
    doc = _new_document("DejaVu Serif", 11, margins_cm=2.2)
    _front(doc, plan, bands_as="list", levels_as="table")
    for n, o in enumerate(plan.objectives, 1):
        h = doc.add_heading(f"Obiettivo n. {n} – {o.title}", level=2)
        h.paragraph_format.page_break_before = True
        _p(doc, _scope(o), label="Settore:")
        _p(doc, o.responsible, label="Responsabile:")
        _p(doc, o.description, label="Descrizione:", align="justify")
        _p(doc, o.timeframe, label="Tempi:")
        _p(doc, o.level.capitalize(), label="Grado di strategicità:")
        _p(doc, "Indicatori di risultato", bold=True)
        _table(doc, ["KPI", "Baseline", f"Target {plan.year}", "Ponderazione"],
               [[i.name, i.baseline or "", i.target, f"{i.weight}%"] for i in o.indicators],
               [8.4, 2.8, 3.2, 2.4])
        _p(doc, f"{_threshold(plan, o)}%", label="Soglia minima di raggiungimento:")
        _p(doc, o.staff_text, label="Personale coinvolto:")
    doc.save(str(path))
    return expected(plan)


# --- layout 4: one landscape matrix per Settore, objective cells merged --------------------------

def _write_matrix(plan: Plan, path: Path) -> dict:
    # The matrix prints only the Settore above each table: an objective's own scope line (an
    # "Intersettoriale" one) is not in the document, so the record cannot have it either.
    plan = copy.deepcopy(plan)
    for o in plan.objectives:
        o.scope, o.kind = None, "settore"
    doc = _new_document("Liberation Sans", 10, margins_cm=1.5)
    _front(doc, plan, bands_as="table")
    header = ["N.", "Obiettivo", "Indicatori", "Peso %", "Risultato atteso", "Personale",
              "Tempistica"]
    widths = [1.2, 6.0, 6.6, 1.6, 3.0, 4.4, 3.0]
    settori: dict[str, list[tuple[int, Objective]]] = {}
    for n, o in enumerate(plan.objectives, 1):
        settori.setdefault(o.settore, []).append((n, o))
    first = True
    for settore, objs in settori.items():
        if first:
            _new_section(doc, landscape=True)
            first = False
        _p(doc, settore.upper(), bold=True, size=11).paragraph_format.keep_with_next = True
        _p(doc, f"Responsabile: {objs[0][1].responsible}", italic=True
           ).paragraph_format.keep_with_next = True
        nrows = sum(len(o.indicators) for _, o in objs)
        t = doc.add_table(rows=1 + nrows, cols=len(header))
        t.style = "Table Grid"
        for j, hd in enumerate(header):
            _cell_text(t.rows[0].cells[j], hd, bold=True)
        _repeat_header(t.rows[0])
        r = 1
        for n, o in objs:
            k = len(o.indicators)
            for i, ind in enumerate(o.indicators):
                row = t.rows[r + i].cells
                _cell_text(row[2], ind.name)
                _cell_text(row[3], str(ind.weight))
                _cell_text(row[4], ind.target)
            for j, text in ((0, str(n)), (1, o.title), (5, o.staff_text), (6, o.timeframe)):
                top = t.cell(r, j)
                if k > 1:
                    top = top.merge(t.cell(r + k - 1, j))
                _cell_text(top, text, bold=(j == 1))
                if j == 1:  # the title in bold, the description under it in the same cell
                    desc = top.add_paragraph().add_run(o.description)
                    desc.italic = True
                    desc.font.size = Pt(8.5)
            r += k
        _widths(t, widths)
        _p(doc, "")
    doc.save(str(path))
    return expected(plan)


# --- layout 5: numbering restarting per Servizio -----------------------------------------------

def _write_restart(plan: Plan, path: Path) -> dict:
    doc = _new_document("Liberation Serif", 12, margins_cm=2.5)
    _front(doc, plan, bands_as="list")
    labels: list[str] = []
    per_service: dict[str, int] = {}
    for o in plan.objectives:
        service = "Servizio " + o.servizio
        per_service[service] = per_service.get(service, 0) + 1
        label = f"{service} – Obiettivo n. {per_service[service]}"
        labels.append(label)
        _p(doc, label, bold=True, size=13, align="center", page_break_before=True)
        _p(doc, _scope(o), label="Settore:")
        _p(doc, o.title, label="Titolo dell'obiettivo:")
        _p(doc, o.description, label="Finalità:", align="justify")
        _p(doc, o.responsible, label="Dirigente responsabile:")
        _p(doc, o.timeframe, label="Termine di realizzazione:")
        _table(doc, ["Indicatore di risultato", "Formula", f"Target {plan.year}", "Peso (punti)"],
               [[i.name, i.formula or "", i.target, str(i.weight)] for i in o.indicators],
               [6.4, 5.0, 2.6, 2.0], size=11)
        _p(doc, f"{_threshold(plan, o)}%", label="Soglia minima di risultato:")
        _p(doc, o.staff_text, label="Risorse umane assegnate:")
        _p(doc, f"{o.points} punti", label="Peso dell'obiettivo:")
    doc.save(str(path))
    return expected(plan, printed_labels=labels)


# --- layouts 6-8: indicator tables with no ruling lines (python-docx's default table) ---------

def _write_unruled_scheda(plan: Plan, path: Path) -> dict:
    """"SCHEDA N. 3" cards flowing on, "Denominazione:" / "Termine:" / "Risorse umane coinvolte:"
    / "Punteggio: 40 punti", a borderless "Indicatore di performance | Valore obiettivo | Peso
    indicatore" table with bare weights, its header not repeated after a page break."""
    doc = _new_document("Liberation Sans", 11, margins_cm=2.5)
    _front(doc, plan, bands_as="list")
    for n, o in enumerate(plan.objectives, 1):
        _p(doc, f"SCHEDA N. {n}", bold=True, size=12)
        _p(doc, o.title, label="Denominazione:")
        _p(doc, _scope(o), label="Settore:")
        _p(doc, o.description, label="Descrizione:", align="justify")
        _p(doc, o.timeframe, label="Termine:")
        _p(doc, o.staff_text, label="Risorse umane coinvolte:")
        _p(doc, f"{o.points} punti", label="Punteggio:")
        _table(doc, ["Indicatore di performance", "Valore obiettivo", "Peso indicatore"],
               [[i.name, i.target, str(i.weight)] for i in o.indicators], [9.0, 4.0, 2.8],
               ruled=False, repeat_header=False)
        _p(doc, f"{_threshold(plan, o)}%", label="Soglia di raggiungimento:")
    doc.save(str(path))
    return expected(plan)


def _write_unruled_weight_first(plan: Plan, path: Path) -> dict:
    """"OBIETTIVO SPECIFICO N. 3" cards, one per page, strategicità levels, and a borderless
    table whose weight column comes first and whose header cells wrap: "Peso (%) | Indicatore di
    risultato | Valore atteso 2026 | Valore di partenza"."""
    doc = _new_document("DejaVu Sans", 10, margins_cm=2.0)
    _front(doc, plan, bands_as="table", levels_as="table")
    for n, o in enumerate(plan.objectives, 1):
        _p(doc, f"OBIETTIVO SPECIFICO N. {n}", bold=True, align="center", page_break_before=True)
        _p(doc, o.title, label="Obiettivo:")
        _p(doc, _scope(o), label="Area:")
        _p(doc, o.description, label="Finalità:", align="justify")
        _p(doc, o.timeframe, label="Scadenza:")
        _p(doc, o.level.capitalize(), label="Grado di strategicità:")
        _table(doc, ["Peso (%)", "Indicatore di risultato", f"Valore atteso {plan.year}",
                     "Valore di partenza"],
               [[f"{i.weight}%", i.name, i.target, i.baseline or ""] for i in o.indicators],
               [1.5, 8.5, 3.2, 3.0], ruled=False)
        _p(doc, f"{_threshold(plan, o)}%", label="Soglia minima di raggiungimento:")
        _p(doc, o.staff_text, label="Personale coinvolto:")
    doc.save(str(path))
    return expected(plan)


def _write_unruled_pagebreak(plan: Plan, path: Path) -> dict:
    """Cards flowing on with long borderless tables ("Indicatore | Formula di calcolo | Target |
    Peso"), formulas wrapping over lines, the header row repeated after a page break: the
    tables cross page breaks, some rows split by them."""
    doc = _new_document("Liberation Serif", 12, margins_cm=2.5)
    _front(doc, plan, bands_as="list")
    for n, o in enumerate(plan.objectives, 1):
        _p(doc, f"Obiettivo n. {n} – {o.title}", bold=True, size=13)
        _p(doc, _scope(o), label="Settore:")
        _p(doc, o.description, label="Descrizione:", align="justify")
        _p(doc, o.timeframe, label="Tempi di realizzazione:")
        _p(doc, f"{o.points}/100", label="Peso dell'obiettivo:")
        _table(doc, ["Indicatore", "Formula di calcolo", "Target", "Peso"],
               [[i.name, f"{i.formula} – dati dai registri del servizio, verifica trimestrale",
                 i.target, f"{i.weight}%"] for i in o.indicators], [5.4, 5.6, 3.0, 1.8],
               ruled=False)
        _p(doc, f"{_threshold(plan, o)}%", label="Soglia minima di risultato:")
        _p(doc, o.staff_text, label="Personale coinvolto:")
    doc.save(str(path))
    gold = expected(plan)
    for o in gold["objectives"]:  # the formula as printed, with its source note
        for i in o["indicators"]:
            i["formula"] = f"{i['formula']} – dati dai registri del servizio, verifica trimestrale"
    return gold


#: the layouts whose indicator tables have no ruling lines
UNRULED = ("unruled-scheda", "unruled-weight-first", "unruled-pagebreak")


#: layout name -> (plan factory, writer). Each writer saves the DOCX and returns its expected record.
LAYOUTS = {
    "labelvalue": (lambda: sample_plan("points"), _write_labelvalue),
    "heading-title": (lambda: sample_plan("levels"), _write_heading_title),
    "matrix-nocode": (lambda: sample_plan("equal", default_threshold=60, card_thresholds=False),
                      _write_matrix),
    "restart": (lambda: sample_plan("points"), _write_restart),
    "unruled-scheda": (lambda: sample_plan("points"), _write_unruled_scheda),
    "unruled-weight-first": (lambda: sample_plan("levels"), _write_unruled_weight_first),
    "unruled-pagebreak": (lambda: sample_plan("points"), _write_unruled_pagebreak),
}


def write_layout(layout: str, path: Path) -> dict:
    """Write the sample plan in ``layout`` to ``path`` (DOCX); return its expected record."""
    make_plan, writer = LAYOUTS[layout]
    return writer(make_plan(), Path(path))


# --- layout 1: next year's edition of the Chiari template --------------------------------------

_DRIFT_WEIGHT = re.compile(r"\(se complet\w+\s*=?\s*raggiungimento\s*(\d+)\s*%\s*obiettivo\)")


def write_drift(src: Path, path: Path) -> dict[str, int]:
    """Next year's Chiari plan: the drift an office makes to its template, nothing else.

    Card headers "OBIETTIVO N° k", quantity column "Q.tà", soglia line "Soglia minima di
    risultato attesa: 80 %", the weight lines reworded (alternately "(se raggiunto = X%
    dell'obiettivo)" and "(peso X%)"), the year 2026 on the cover, summary and cards. Returns
    how many of each change were made (a test checks that they all happened).
    """
    doc = Document(str(src))
    counts = {"header": 0, "qta": 0, "soglia": 0, "weight": 0, "year": 0}

    def paragraphs():
        yield from doc.paragraphs
        for t in doc.tables:
            for row in t.rows:
                for cell in row.cells:
                    yield from cell.paragraphs

    for p in paragraphs():  # merged cells repeat paragraphs: every change below is idempotent
        text = p.text
        for r in p.runs:
            t = r.text
            t2 = re.sub(r"^OBIETTIVO N\.(?=\s*\d|\s*$)", "OBIETTIVO N°", t)
            counts["header"] += t2 != t
            t3 = "Q.tà" if t2.strip() == "Quantità" else t2
            counts["qta"] += t3 != t2
            t4 = t3.replace("Soglia minima risultato atteso:", "Soglia minima di risultato attesa:")
            if text.startswith("Soglia minima"):
                t4 = re.sub(r"(\d+)\s*%", r"\1 %", t4)
            counts["soglia"] += t4 != t3

            def reword(m):
                counts["weight"] += 1
                if counts["weight"] % 2:
                    return f"(se raggiunto = {m.group(1)}% dell'obiettivo)"
                return f"(peso {m.group(1)}%)"

            t5 = _DRIFT_WEIGHT.sub(reword, t4)
            t6 = re.sub(r"^(\s*ANNO )2025(\s*)$|(– anno )2025$", lambda m: (m.group(1) or m.group(3))
                        + "2026" + (m.group(2) or ""), t5)
            t6 = t6.replace("ESERCIZIO 2024-2026", "ESERCIZIO 2025-2027")
            counts["year"] += t6 != t5
            if t6 != t:
                r.text = t6
    doc.save(str(path))
    return counts


def drift_expected(chiari_expected: dict) -> dict:
    """The Chiari record for the drifted edition: only the year moves (2026, period 2025-2027)."""
    gold = copy.deepcopy(chiari_expected)
    gold["plan"]["year"] = 2026
    gold["plan"]["period"] = "2025-2027"
    for o in gold["objectives"]:
        # Card 22 gives its staff per year ("2025: … + n. 1 dip. UFF. SUE. 2026 ÷ 2028: … + n. 2 / 3
        # dip. area LL.PP. …"): in 2026 the group in force has a "2 / 3", so no count.
        if o["number"] == 22 and "2026 ÷ 2028:" in (o.get("staff_text") or ""):
            o["staff_count"] = None
    return gold


# --- documents that are not performance plans --------------------------------------------------

def write_determina(path: Path) -> None:
    """A determina dirigenziale: an Italian administrative act with no objectives at all."""
    doc = _new_document("Liberation Serif", 12)
    _p(doc, "COMUNE DI BORGOLEONE", bold=True, size=14, align="center")
    _p(doc, "Provincia di Pavia", align="center")
    _p(doc, "SETTORE ECONOMICO-FINANZIARIO E TRIBUTI", bold=True, align="center")
    _p(doc, "DETERMINAZIONE N. 214 DEL 18/03/2026", bold=True, align="center")
    _p(doc, "OGGETTO: IMPEGNO DI SPESA PER LA FORNITURA DI CANCELLERIA PER GLI UFFICI COMUNALI – "
            "CIG B0A1234567.", bold=True, align="justify")
    _p(doc, "IL RESPONSABILE DEL SETTORE", bold=True, align="center")
    for t in (
        "Visto il decreto sindacale n. 4 del 02/01/2026 di attribuzione dell'incarico di "
        "Elevata Qualificazione;",
        "Richiamata la deliberazione del Consiglio comunale n. 52 del 19/12/2025 di approvazione "
        "del bilancio di previsione 2026-2028;",
        "Dato atto che occorre provvedere alla fornitura di materiale di cancelleria per il "
        "funzionamento degli uffici e che la spesa stimata ammonta a € 2.440,00 IVA compresa;",
        "Visto l'art. 50 del decreto legislativo 31 marzo 2023, n. 36;",
    ):
        _p(doc, t, align="justify")
    _p(doc, "DETERMINA", bold=True, align="center")
    for t in (
        "1. di affidare alla ditta Cartoleria Pavese s.r.l. la fornitura di cui in premessa;",
        "2. di impegnare la somma di € 2.440,00 al capitolo 1043 del bilancio 2026;",
        "3. di dare atto che il presente provvedimento è esecutivo con l'apposizione del visto "
        "di regolarità contabile.",
    ):
        _p(doc, t, align="justify")
    _p(doc, "Il Responsabile del Settore – Rag. Marco Colombo", italic=True)
    doc.save(str(path))


def write_budget_report(path: Path) -> None:
    """A budget report (relazione al rendiconto): tables of figures, no objective cards."""
    doc = _new_document("Liberation Sans", 11)
    _p(doc, "COMUNE DI BORGOLEONE", bold=True, size=14, align="center")
    _p(doc, "RELAZIONE DELLA GIUNTA AL RENDICONTO DELLA GESTIONE 2025", bold=True, align="center")
    _p(doc, "1. Risultato di amministrazione", bold=True)
    _p(doc, "Il risultato di amministrazione al 31/12/2025 ammonta a € 1.284.330,12, così "
            "composto:", align="justify")
    _table(doc, ["Voce", "Importo (€)"],
           [["Fondo cassa al 1° gennaio", "2.105.448,20"], ["Riscossioni", "6.932.115,48"],
            ["Pagamenti", "7.011.902,77"], ["Residui attivi", "1.488.220,10"],
            ["Residui passivi", "1.229.550,89"], ["Risultato di amministrazione", "1.284.330,12"]],
           [9, 5])
    _p(doc, "2. Andamento delle entrate", bold=True)
    _p(doc, "Le entrate tributarie sono state accertate per € 3.412.008,00, in aumento del 2,1% "
            "rispetto all'esercizio precedente, per effetto del recupero dell'evasione IMU.",
       align="justify")
    _table(doc, ["Titolo", "Previsioni definitive", "Accertamenti", "%"],
           [["Titolo 1 – Entrate tributarie", "3.380.000,00", "3.412.008,00", "100,9"],
            ["Titolo 2 – Trasferimenti correnti", "612.500,00", "598.441,35", "97,7"],
            ["Titolo 3 – Entrate extratributarie", "1.045.000,00", "1.102.876,54", "105,5"]],
           [7, 3.5, 3.5, 1.5])
    _p(doc, "3. Andamento delle spese", bold=True)
    _p(doc, "Gli impegni di spesa corrente ammontano a € 4.655.712,40; la spesa per il personale "
            "rispetta il limite di cui all'art. 1, comma 557, della legge n. 296/2006.",
       align="justify")
    doc.save(str(path))


# --- PDF through LibreOffice -------------------------------------------------------------------

def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_pdf(docx: Path, out_dir: Path, profile: Path) -> Path:
    """Export ``docx`` to PDF the way an office does (LibreOffice, headless, own profile)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run([soffice(), f"-env:UserInstallation=file://{profile}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(out_dir), str(docx)],
                   check=True, capture_output=True, timeout=240)
    pdf = out_dir / (docx.stem + ".pdf")
    if not pdf.exists():
        raise RuntimeError(f"LibreOffice wrote no PDF for {docx}")
    return pdf


def main(argv: list[str] | None = None) -> None:
    """``python tests/planmaker.py OUT_DIR``: every layout as DOCX + PDF + ``.expected.json``,
    to read with ``piao run`` and score with ``../shared/tools/score.py`` by hand."""
    import json
    import sys

    out = Path((argv or sys.argv[1:] or ["unseen-plans"])[0])
    out.mkdir(parents=True, exist_ok=True)
    root = Path(__file__).resolve().parents[1]
    golds = {layout: write_layout(layout, out / f"{layout}.docx") for layout in LAYOUTS}
    write_drift(root / "examples" / "chiari-2025.docx", out / "drift.docx")
    chiari = json.loads((root / "tests" / "data" / "chiari-2025.expected.json").read_text())
    golds["drift"] = drift_expected(chiari)
    for name, gold in golds.items():
        (out / f"{name}.expected.json").write_text(json.dumps(gold, ensure_ascii=False, indent=1))
    for name in golds:
        to_pdf(out / f"{name}.docx", out, out / "lo-profile")
        print(out / f"{name}.pdf")


if __name__ == "__main__":
    main()
