"""The ``piao`` command (see docs/CONTRACT.md). Exit 0: ran; 2: unusable input; 1: anything else."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from flows.cliparse import ItalianArgumentParser, version_text
from pipeline.errors import InputError, one_line


#: argparse's English phrases -> Italian, for the one line an invalid command line gets.
class _Parser(ItalianArgumentParser):
    """The Italian parser, its usage errors as one line on stderr (exit 2): which argument and
    why, and where to find the help; not the usage block."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: errore: {message} (--help per l'aiuto)\n")


def _seconds(text: str) -> float:
    """A time limit: a finite number of seconds greater than zero (no nan, inf, 0 or negatives)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} non è un numero di secondi") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} non è valido: servono secondi maggiori di zero")
    return value


def _pages(text: str) -> int:
    """A page count: a whole number greater than zero."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} non è un numero intero di pagine") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} non è valido: servono almeno 1 pagina")
    return value


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, metavar="DIR", help="cartella dei risultati")
    p.add_argument("--ocr", choices=["auto", "always", "never"], default="auto",
                   help="auto (predefinito): OCR solo sulle pagine senza testo utilizzabile; always: su tutte; never: mai")
    p.add_argument("--classification", metavar="FILE",
                   help="decisioni del Segretario dove il piano tace (CSV, YAML o JSON: number,strategic_level,staff_count,objective_weight)")
    p.add_argument("--fail-on", choices=["error", "warning"],
                   help="esce con 1 se ci sono rilievi di questa gravità (o più gravi)")
    p.add_argument("--profile", metavar="FILE",
                   help="profilo YAML che estende il vocabolario delle schede (etichette, intestazioni, "
                   "colonne) per un'impaginazione non riconosciuta")
    from extractors.backends import ReadOptions

    read = ReadOptions()  # the readers' defaults
    p.add_argument("--max-pages", type=_pages, default=read.max_pages, metavar="N",
                   help=f"rifiuta i piani con più pagine (predefinito {read.max_pages})")
    p.add_argument("--page-timeout", type=_seconds, default=read.page_timeout, metavar="S",
                   help=f"secondi concessi per leggere una pagina (predefinito {read.page_timeout:g})")
    p.add_argument("--timeout", type=_seconds, default=600.0, metavar="S",
                   help="secondi concessi per leggere un intero documento (predefinito 600)")
    p.add_argument("--quiet", action="store_true", help="stampa solo gli errori")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="piao",
        description="Legge un Piano della Performance (PDF o DOCX), lo verifica, ripartisce il fondo "
        "e scrive plan.json, CSV, piano.xlsx, verifica.docx e allegato.docx.",
    )
    parser.add_argument("--version", action="version", version=version_text("piao"))
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMANDO")
    run = sub.add_parser("run", help="elabora un piano: lettura, estrazione, verifiche, ripartizione, documenti")
    run.add_argument("plan", metavar="PLAN")
    _common(run)
    batch = sub.add_parser("batch", help="elabora in parallelo ogni piano (PDF, DOCX) di una cartella")
    batch.add_argument("folder", metavar="FOLDER")
    _common(batch)
    batch.add_argument("--workers", type=int, default=None, metavar="N", help="piani elaborati insieme (predefinito: uno per core)")
    batch.add_argument("--dask-address", metavar="ADDR",
                       help="usa un cluster Dask esistente (es. tcp://host:8786)")
    batch.add_argument("--refresh-cache", action="store_true",
                       help="rilegge ogni piano anche se già letto e non modificato")
    render = sub.add_parser("render", help="rigenera allegato.docx e verifica.docx (e relazione.docx se ci sono "
                                           "i risultati di fine anno) da un plan.json corretto")
    render.add_argument("plan_json", metavar="PLAN_JSON")
    render.add_argument("--out", required=True, metavar="DIR", help="cartella dei risultati")
    render.add_argument("--fail-on", choices=["error", "warning"],
                        help="esce con 1 se ci sono rilievi di questa gravità (o più gravi)")
    render.add_argument("--quiet", action="store_true", help="stampa solo gli errori")
    _results_parser(sub)
    _add_history_commands(sub)
    return parser


def _results_parser(sub) -> None:
    results = sub.add_parser("results", help="applica i risultati di fine anno: raggiungimento, premi, relazione")
    results.add_argument("plan_json", metavar="PLAN_JSON",
                         help="plan.json di piao run (o la cartella di piao batch, con RESULTS cartella)")
    results.add_argument("results", metavar="RESULTS",
                         help="CSV/XLSX obiettivo,indicatore,valore_rilevato,raggiunto, o piano.xlsx compilato "
                              "(o una cartella di file NOME.csv|xlsx)")
    results.add_argument("--out", required=True, metavar="DIR", help="cartella dei risultati")
    results.add_argument("--fail-on", choices=["error", "warning"],
                         help="esce con 1 se ci sono rilievi di questa gravità (o più gravi)")
    results.add_argument("--quiet", action="store_true", help="stampa solo gli errori")

def _add_history_commands(sub) -> None:
    """``piao load`` and ``piao compare`` (history across years)."""
    load = sub.add_parser("load", help="carica i risultati di piao run in un database (SQLite, PostgreSQL...)")
    load.add_argument("out_dirs", nargs="+", metavar="OUT_DIR", help="cartelle scritte da piao run (o plan.json)")
    load.add_argument("--db", default="sqlite:///piao.db", metavar="URL",
                      help="database SQLAlchemy (predefinito sqlite:///piao.db; es. postgresql+psycopg://utente@host/db)")
    load.add_argument("--quiet", action="store_true", help="stampa solo gli errori")
    compare = sub.add_parser("compare", help="confronta due piani (es. due anni dello stesso ente)")
    compare.add_argument("old", metavar="OLD", help="plan.json o cartella di piao run del piano precedente")
    compare.add_argument("new", metavar="NEW", help="plan.json o cartella di piao run del piano nuovo")
    compare.add_argument("--out", required=True, metavar="DIR", help="cartella dei risultati")
    compare.add_argument("--quiet", action="store_true", help="stampa solo gli errori")


def _cmd_load(args: argparse.Namespace) -> int:
    from outputs.database import load_records, shown
    from pipeline.tables import read_plan

    plans = [read_plan(path) for path in args.out_dirs]  # every input checked before the database
    counts = load_records(plans, args.db)
    if not args.quiet:
        print(f"{len(plans)} piani, {counts['objectives']} obiettivi caricati in {shown(args.db)}")
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    from outputs.compare import write_comparison
    from pipeline.compare import compare_plans
    from pipeline.tables import read_plan

    result = compare_plans(read_plan(args.old), read_plan(args.new))
    write_comparison(result, args.out)
    if not args.quiet:
        n = result.counts()
        print(f"{n['added']} obiettivi nuovi, {n['removed']} non più presenti, {n['changed']} modificati, "
              f"{n['unchanged']} invariati, {len(result.rules)} regole del piano cambiate -> {args.out}")
    return 0


def _options(args: argparse.Namespace):
    from flows.run import RunOptions

    return RunOptions.from_args(args)


def _exit_for(findings, fail_on: str | None) -> int:
    from pipeline.checks import fails, severity_counts

    return 1 if fails(severity_counts(findings), fail_on) else 0


def _cmd_run(args: argparse.Namespace) -> int:
    from flows.progress import run_bar

    bar = run_bar(Path(args.plan).name, args.quiet)  # shown before the (slower) imports below
    try:
        from flows.run import run_plan

        record = run_plan(args.plan, args.out, _options(args), progress=bar)
    finally:
        if bar is not None:
            bar.close()
    if not args.quiet:
        from pipeline.checks import severity_counts

        from pipeline.formatting import plural

        by_sev = severity_counts(record.findings)
        uncertain = len(record.source.reading_notes)
        doubt = f", lettura incerta in {plural(uncertain, 'punto', 'punti')} (vedi verifiche)" if uncertain else ""
        print(f"{Path(args.plan).name}: {plural(len(record.objectives), 'obiettivo', 'obiettivi')}, "
              f"{plural(by_sev['error'], 'errore', 'errori')}, {plural(by_sev['warning'], 'avviso', 'avvisi')}, "
              f"{plural(by_sev['info'], 'nota', 'note')}{doubt} -> {args.out}")
    return _exit_for(record.findings, args.fail_on)


def _cmd_batch(args: argparse.Namespace) -> int:
    from flows.batch import run_batch

    return run_batch(args)


def _cmd_render(args: argparse.Namespace) -> int:
    from flows.run import RENDER_FILES, RESULTS_RENDER_FILES, render_plan

    record = render_plan(args.plan_json, args.out)
    if not args.quiet:
        from pipeline.formatting import plural

        files = RENDER_FILES + (RESULTS_RENDER_FILES if record.results is not None else ())
        print(f"{Path(args.plan_json).name}: {plural(len(record.objectives), 'obiettivo', 'obiettivi')} -> "
              f"{', '.join(files)} in {args.out}")
    return _exit_for(record.findings, args.fail_on)


def _cmd_results(args: argparse.Namespace) -> int:
    if Path(args.plan_json).is_dir() and Path(args.results).is_dir():
        from flows.batch import exit_status, summary_table
        from flows.results import results_pairs
        from flows.results_flow import run_results_folder

        results_pairs(args.plan_json, args.results)  # bad folders fail before Prefect starts
        outcomes = run_results_folder(args.plan_json, args.results, args.out)
        for o in outcomes:
            if o.status != "ok":
                print(f"piao: {Path(args.results) / o.file}: {o.message}", file=sys.stderr)
        if not args.quiet:
            print(summary_table(outcomes))
        return exit_status(outcomes, args.fail_on)
    from flows.results import results_plan
    from pipeline.formatting import format_eur

    record = results_plan(args.plan_json, args.results, args.out)
    if not args.quiet and record.results is not None:
        r = record.results
        print(f"{Path(args.results).name}: {len(r.objectives)} obiettivi, erogati {format_eur(r.paid_total)}, "
              f"economia {format_eur(r.economia)} -> {args.out}")
    return _exit_for(record.findings, args.fail_on)


def _quiet_libraries() -> None:
    """A failure is one Italian line: library warnings (``warnings``, or ``logging`` records with
    no handler, which Python would print on stderr) are not shown."""
    import logging
    import warnings

    warnings.simplefilter("ignore")
    logging.lastResort = None


def main(argv: list[str] | None = None) -> int:
    _quiet_libraries()
    args = build_parser().parse_args(argv)
    if argv is None and args.command == "run":  # the real command line: a hang in C code ends too
        from flows import supervise

        if supervise.enabled():
            from flows.run import TIMEOUT_MESSAGE

            return supervise.supervised(
                lambda: _dispatch(args), timeout=args.timeout, out_dir=args.out,
                on_timeout=lambda: one_line(f"{args.plan}: {TIMEOUT_MESSAGE.format(seconds=args.timeout)}"))
    return _dispatch(args)


def _dispatch(args: argparse.Namespace) -> int:
    try:
        if args.command == "run":
            return _cmd_run(args)
        if args.command == "render":
            return _cmd_render(args)
        if args.command == "results":
            return _cmd_results(args)
        if args.command in ("load", "compare"):
            return _cmd_load(args) if args.command == "load" else _cmd_compare(args)
        return _cmd_batch(args)
    except InputError as err:
        print(f"piao: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("piao: interrotto", file=sys.stderr)
        return 1
    except Exception as err:  # noqa: BLE001 - the contract wants one line, not a traceback
        print(one_line(f"piao: errore interno: {type(err).__name__}: {err}"), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
