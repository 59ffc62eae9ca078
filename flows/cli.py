"""The ``piao`` command (see docs/CONTRACT.md). Exit 0: ran; 2: unusable input; 1: anything else."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.errors import InputError


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, metavar="DIR", help="cartella dei risultati")
    p.add_argument("--ocr", choices=["auto", "always", "never"], default="auto",
                   help="auto (predefinito): OCR solo sulle pagine senza testo utilizzabile; always: su tutte; never: mai")
    p.add_argument("--classification", metavar="FILE",
                   help="strategicità per obiettivo, se il piano non la riporta (CSV o YAML: number,strategic_level)")
    p.add_argument("--fail-on", choices=["error", "warning"],
                   help="esce con 1 se ci sono rilievi di questa gravità (o più gravi)")
    p.add_argument("--max-pages", type=int, default=300, help="rifiuta i piani con più pagine (predefinito 300)")
    p.add_argument("--page-timeout", type=float, default=120.0,
                   help="secondi concessi per leggere una pagina (predefinito 120)")
    p.add_argument("--quiet", action="store_true", help="stampa solo gli errori")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="piao",
        description="Legge un Piano della Performance (PDF o DOCX), lo verifica, ripartisce il fondo "
        "e scrive plan.json, CSV, piano.xlsx, verifica.docx e allegato.docx.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="elabora un piano: lettura, estrazione, verifiche, ripartizione, documenti")
    run.add_argument("plan", metavar="PLAN")
    _common(run)
    batch = sub.add_parser("batch", help="elabora in parallelo ogni piano (PDF, DOCX) di una cartella")
    batch.add_argument("folder", metavar="FOLDER")
    _common(batch)
    batch.add_argument("--workers", type=int, default=None, help="piani elaborati insieme (predefinito: uno per core)")
    batch.add_argument("--dask-address", metavar="ADDR",
                       help="usa un cluster Dask esistente (es. tcp://host:8786)")
    batch.add_argument("--refresh-cache", action="store_true",
                       help="rilegge ogni piano anche se già letto e non modificato")
    render = sub.add_parser("render", help="rigenera allegato.docx e verifica.docx da un plan.json corretto")
    render.add_argument("plan_json", metavar="PLAN_JSON")
    render.add_argument("--out", required=True, metavar="DIR", help="cartella dei risultati")
    render.add_argument("--fail-on", choices=["error", "warning"],
                        help="esce con 1 se ci sono rilievi di questa gravità (o più gravi)")
    render.add_argument("--quiet", action="store_true", help="stampa solo gli errori")
    return parser


def _options(args: argparse.Namespace):
    from flows.run import RunOptions

    return RunOptions(ocr=args.ocr, classification=args.classification,
                      max_pages=args.max_pages, page_timeout=args.page_timeout)


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

        by_sev = severity_counts(record.findings)
        print(f"{Path(args.plan).name}: {len(record.objectives)} obiettivi, "
              f"{by_sev['error']} errori, {by_sev['warning']} avvisi, {by_sev['info']} note -> {args.out}")
    return _exit_for(record.findings, args.fail_on)


def _cmd_batch(args: argparse.Namespace) -> int:
    from flows.batch import run_batch

    return run_batch(args)


def _cmd_render(args: argparse.Namespace) -> int:
    from flows.run import RENDER_FILES, render_plan

    record = render_plan(args.plan_json, args.out)
    if not args.quiet:
        print(f"{Path(args.plan_json).name}: {len(record.objectives)} obiettivi -> "
              f"{', '.join(RENDER_FILES)} in {args.out}")
    return _exit_for(record.findings, args.fail_on)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            return _cmd_run(args)
        if args.command == "render":
            return _cmd_render(args)
        return _cmd_batch(args)
    except InputError as err:
        print(f"piao: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("piao: interrotto", file=sys.stderr)
        return 1
    except Exception as err:  # noqa: BLE001 - the contract wants one line, not a traceback
        print(f"piao: errore interno: {type(err).__name__}: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
