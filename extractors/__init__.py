"""Turn files into the record: back-ends (PDF, DOCX, OCR, text) produce a layout
:class:`~extractors.layout.Document`; the plan parser turns that into a
:class:`~pipeline.record.PlanRecord`.

Public API:

- :func:`read_document` — file -> layout ``Document`` (chooses the back-end)
- :func:`parse_plan` — layout ``Document`` -> ``PlanRecord`` (no findings, no allocations)
"""

from extractors.read import read_document  # noqa: F401
from extractors.plan import parse_plan  # noqa: F401
