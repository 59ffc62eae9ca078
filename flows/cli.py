"""The ``piao`` command (see CONTRACT.md). Exit 0: ran; 2: unusable input; 1: anything else."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pipeline.errors import InputError

FAIL_ON = {"error": ("error",), "warning": ("error", "warning")}


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--ocr", choices=["auto", "always", "never"], default="auto",
                   help="auto: OCR only pages without a usable text layer (default)")
    p.add_argument("--classification", metavar="FILE",
                   help="strategicità per objective (CSV or YAML: number,strategic_level)")
    p.add_argument("--fail-on", choices=["error", "warning"],
                   help="exit 1 when findings of this severity (or worse) are present")
    p.add_argument("--max-pages", type=int, default=300, help="refuse plans longer than this (default 300)")
    p.add_argument("--page-timeout", type=float, default=120.0,
                   help="seconds allowed to read one page (default 120)")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="piao",
        description="Legge un Piano della Performance (PDF o DOCX), lo verifica, ripartisce il fondo "
        "e scrive plan.json, CSV, piano.xlsx, verifica.docx e allegato.docx.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="whole pipeline on one plan")
    run.add_argument("plan", metavar="PLAN")
    _common(run)
    batch = sub.add_parser("batch", help="every plan in a folder, in parallel")
    batch.add_argument("folder", metavar="FOLDER")
    _common(batch)
    batch.add_argument("--workers", type=int, default=None, help="parallel plans (default: cores)")
    batch.add_argument("--dask-address", metavar="ADDR",
                       help="run on an existing Dask cluster (e.g. tcp://host:8786)")
    batch.add_argument("--refresh-cache", action="store_true",
                       help="read every plan again even if an unchanged copy was read before")
    render = sub.add_parser("render", help="allegato.docx and verifica.docx from an edited plan.json")
    render.add_argument("plan_json", metavar="PLAN_JSON")
    render.add_argument("--out", required=True, metavar="DIR", help="output folder")
    render.add_argument("--fail-on", choices=["error", "warning"],
                        help="exit 1 when findings of this severity (or worse) are present")
    render.add_argument("--quiet", action="store_true", help="print nothing but errors")
    return parser


def _options(args: argparse.Namespace):
    from flows.run import RunOptions

    return RunOptions(ocr=args.ocr, classification=args.classification,
                      max_pages=args.max_pages, page_timeout=args.page_timeout)


def _exit_for(findings, fail_on: str | None) -> int:
    if not fail_on:
        return 0
    return 1 if any(f.severity in FAIL_ON[fail_on] for f in findings) else 0


def _cmd_run(args: argparse.Namespace) -> int:
    from flows.run import run_plan

    record = run_plan(args.plan, args.out, _options(args))
    if not args.quiet:
        by_sev = {s: sum(f.severity == s for f in record.findings) for s in ("error", "warning", "info")}
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
