"""Turn the record into files: plan.json, the CSVs, piano.xlsx, verifica.docx, allegato.docx.

:func:`write_outputs` writes the complete set atomically (temporary folder, then moved in place).
"""

from outputs.write import write_outputs  # noqa: F401
