#!/usr/bin/env python3
"""Whether two output folders of ``piao run`` hold the same outputs (a speed change must not
change them).

Every file is compared: CSV/JSON byte for byte; .docx/.xlsx part by part inside the zip (the
same part names, every part byte-identical), except ``docProps/core.xml`` whose dates say when
the file was written. Folders of folders (``scripts/profile_plan.py --keep``) are compared one
level down.

Usage: python scripts/compare_outputs.py BEFORE AFTER   (exit 1 when anything differs)
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

#: Zip parts that record when the file was written.
TIMED_PARTS = {"docProps/core.xml"}


def zip_differences(a: Path, b: Path) -> list[str]:
    with zipfile.ZipFile(a) as za, zipfile.ZipFile(b) as zb:
        names_a, names_b = set(za.namelist()), set(zb.namelist())
        out = [f"{a.name}: part only on one side: {n}" for n in sorted(names_a ^ names_b)]
        out += [f"{a.name}: {n} differs" for n in sorted(names_a & names_b)
                if n not in TIMED_PARTS and za.read(n) != zb.read(n)]
    return out


def folder_differences(a: Path, b: Path) -> list[str]:
    files_a = {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
    files_b = {p.relative_to(b) for p in b.rglob("*") if p.is_file()}
    out = [f"{a.name}: file only on one side: {n}" for n in sorted(files_a ^ files_b)]
    for name in sorted(files_a & files_b):
        pa, pb = a / name, b / name
        if pa.suffix in {".docx", ".xlsx"}:
            out += [f"{name.parent}/{d}" for d in zip_differences(pa, pb)]
        elif pa.read_bytes() != pb.read_bytes():
            out.append(f"{name} differs")
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    differences = folder_differences(Path(argv[0]), Path(argv[1]))
    for line in differences:
        print(line)
    print("identical" if not differences else f"{len(differences)} differences")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
