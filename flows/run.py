"""The pipeline as plain function calls: read -> parse -> allocate -> check -> write.

This is what ``piao run`` executes (no orchestration server to wait for); the Prefect flows in
:mod:`flows.plan_flow` wrap exactly these stage functions as tasks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from extractors import parse_plan, read_document
from extractors.backends import ReadOptions
from extractors.cards.vocabulary import load_profile
from pipeline.allocation import allocate
from pipeline.checks import run_checks
from pipeline.classification import load_classification
from pipeline.deadline import deadline
from pipeline.errors import InputError
from pipeline.limits import LIMITS
from pipeline.record import PlanRecord
from pipeline.results import apply_results, stored_results

#: The whole-document time limit's line (``--timeout``).
TIMEOUT_MESSAGE = "la lettura del documento richiede più di {seconds:g} secondi (limite --timeout)"


#: The readers' defaults (written once, in :class:`extractors.backends.ReadOptions`).
READ_DEFAULTS = ReadOptions()


@dataclass(frozen=True)
class RunOptions:
    """The options of one run, flat (CLI arguments, Prefect flow parameters, the cache key);
    the reading ones become a :class:`ReadOptions` once, in :meth:`read`."""

    ocr: str = READ_DEFAULTS.ocr  # auto | always | never
    classification: str | None = None
    max_pages: int = READ_DEFAULTS.max_pages
    page_timeout: float = READ_DEFAULTS.page_timeout
    profile: str | None = None  # YAML extending the card vocabulary (--profile)
    timeout: float = LIMITS.timeout_s  # seconds for the whole document (read + parse)

    @classmethod
    def from_args(cls, args) -> RunOptions:
        """From the parsed arguments of ``piao run`` / ``piao batch``."""
        return cls(ocr=args.ocr, classification=args.classification, max_pages=args.max_pages,
                   page_timeout=args.page_timeout, timeout=getattr(args, "timeout", cls.timeout),
                   profile=getattr(args, "profile", None))

    def read(self, path: str | Path) -> ReadOptions:
        """The reading options (``InputError`` naming ``path`` for a bad value, e.g. ``ocr``)."""
        return ReadOptions.resolve(str(path), None, **{name: getattr(self, name) for name in
                                                      ReadOptions.model_fields if hasattr(self, name)})


#: ``progress(stage, done, total)``: "read"/"ocr" with page counts while the file is read
#: (:func:`extractors.read_document`), then "parse", "check", "write" with ``0, 0``.
Progress = Callable[[str, int, int], None]


def extract(path: str | Path, options: RunOptions = RunOptions(),
            progress: Progress | None = None) -> PlanRecord:
    """Read and parse one plan file into a record (no findings, no allocations yet).

    The whole of it runs under ``options.timeout`` (a hang inside a parser library ends as an
    ``InputError`` naming the file, in a batch as in a single run)."""
    with deadline(options.timeout) as expired:
        try:
            doc = read_document(str(path), options.read(path), progress=progress)
            if progress is not None:
                progress("parse", 0, 0)
            return parse_plan(doc, profile=options.profile)
        except expired as err:
            raise InputError(str(path), TIMEOUT_MESSAGE.format(seconds=options.timeout)) from err


def process(record: PlanRecord, classification: dict[int, str] | None = None) -> PlanRecord:
    """Allocate the budget and run the consistency checks."""
    return run_checks(allocate(record, classification))


def run_plan(path: str | Path, out_dir: str | Path, options: RunOptions = RunOptions(),
             progress: Progress | None = None) -> PlanRecord:
    """The whole pipeline on one plan; every output lands in ``out_dir`` or none does."""
    # A bad classification file fails before the (long) read, not after it.
    classification = load_classification(options.classification) if options.classification else None
    if options.profile:
        load_profile(options.profile)  # likewise a bad profile
    record = extract(path, options, progress)
    if progress is not None:
        progress("check", 0, 0)
    record = process(record, classification)
    if progress is not None:
        progress("write", 0, 0)
    from outputs import write_outputs  # here: a batch process that only orchestrates never loads it

    write_outputs(record, out_dir)
    return record


#: What ``piao render`` writes: the documents, regenerated from a record a user has corrected.
RENDER_FILES = ("allegato.docx", "verifica.docx")
#: ... and, when the record carries year-end results (``piao results``), the report on them.
RESULTS_RENDER_FILES = ("relazione.docx",)


def render_plan(json_path: str | Path, out_dir: str | Path) -> PlanRecord:
    """Regenerate the Word documents from an (edited) ``plan.json``, without the original plan.

    The file is validated against the published JSON Schema (a malformed one raises
    ``InputError`` naming the field's path); allocation and checks are redone on the record as
    corrected, so the report and the summary table agree with the edit; then allegato.docx and
    verifica.docx land in ``out_dir`` (both or neither). A record with year-end results gets them
    applied again to the corrected plan (measured values judged against the targets as they now
    read, payouts from the amounts as now allocated) and relazione.docx written with the others.
    """
    from outputs import write_outputs
    from outputs.schema import load_plan
    from outputs.write import FILE_WRITERS

    record = process(load_plan(json_path))
    writers = {name: FILE_WRITERS[name] for name in RENDER_FILES}
    try:
        stored = stored_results(record)
        if stored is not None:
            record = apply_results(record, stored)
    except InputError as err:
        raise InputError(str(json_path), RESULTS_STALE.format(cause=err.cause)) from err
    if stored is not None:
        from outputs.risultati import RESULTS_WRITERS

        writers.update({name: RESULTS_WRITERS[name] for name in RESULTS_RENDER_FILES})
    write_outputs(record, out_dir, writers=writers)
    return record


#: The results a corrected record carries no longer fit it (an objective or indicator removed).
RESULTS_STALE = ("i risultati di fine anno registrati non corrispondono più al piano corretto ({cause}): "
                 "riapplicarli con piao results")
