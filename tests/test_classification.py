"""The --classification file: CSV and YAML forms, and Italian errors that name the line."""

from __future__ import annotations

import pytest

from pipeline.classification import load_classification
from pipeline.errors import InputError


def _write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


@pytest.mark.parametrize(
    "name, text",
    [
        ("c.csv", "number,strategic_level\n1,strategico\n16,miglioramento\n"),
        ("c.csv", "1,strategico\n16,miglioramento\n"),
        ("c.csv", "\ufeffnumero;strategicità\n1;strategico\n\n# commento\n16;miglioramento\n"),
        ("c.csv", "strategic_level,number\nstrategico,1\nmiglioramento,16\n"),
        ("c.txt", "1;strategico;titolo ignorato\n16;miglioramento;altro\n"),
        ("c.yaml", "1: strategico\n16: miglioramento\n"),
        ("c.yml", "- number: 1\n  strategic_level: strategico\n- {number: 16, strategic_level: miglioramento}\n"),
        ("c.yaml", "- [1, strategico]\n- [16, miglioramento]\n"),
        ("c.yaml", "classificazione:\n  1: strategico\n  16: miglioramento\n"),
        ("classificazione", "1: strategico\n16: miglioramento\n"),  # no suffix: sniffed
        ("classificazione", "1,strategico\n16,miglioramento\n"),
    ],
)
def test_forms(tmp_path, name, text):
    assert load_classification(_write(tmp_path, name, text)) == {1: "strategico", 16: "miglioramento"}


def test_excel_windows_encoding(tmp_path):
    path = _write(tmp_path, "c.csv", "numero;strategicità\n3;una tantum\n", encoding="cp1252")
    assert load_classification(path) == {3: "una tantum"}


@pytest.mark.parametrize(
    "name, text, needle",
    [
        ("c.csv", "1,strategico\nx,innovativo\n", "riga 2"),
        ("c.csv", "number,strategic_level\n1,strategico\n2\n", "riga 3"),
        ("c.csv", "1,strategico\n1,innovativo\n", "riga 2"),
        ("c.csv", "1,\n", "riga 1"),
        ("c.yaml", "1: strategico\n2: [innovativo\n", "riga"),
        ("c.yaml", "- number: 1\n  strategic_level: strategico\n- number: abc\n  strategic_level: x\n", "riga 3"),
        ("c.yaml", "solo un testo\n", "riga 1"),
        ("c.csv", "", "vuoto"),
    ],
)
def test_malformed_files_name_the_line(tmp_path, name, text, needle):
    path = _write(tmp_path, name, text)
    with pytest.raises(InputError) as err:
        load_classification(path)
    assert err.value.path == path
    assert needle in err.value.cause
    assert "Traceback" not in str(err.value)


def test_missing_and_binary_files(tmp_path):
    with pytest.raises(InputError, match="non trovato"):
        load_classification(str(tmp_path / "nessuno.csv"))
    binary = tmp_path / "c.csv"
    binary.write_bytes(b"PK\x03\x04\x00\x00binary")
    with pytest.raises(InputError, match="non è un file di testo"):
        load_classification(str(binary))
