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


# ------------------------------------------------ decisions: head-counts and weights (2026-12-07)

from pipeline.classification import Decision, load_decisions  # noqa: E402


@pytest.mark.parametrize(
    "name, text",
    [
        ("c.csv", "number,strategic_level,staff_count,objective_weight\n1,strategico,,\n9,,3,25\n"),
        ("c.csv", "numero;strategicità;dipendenti;peso\n1;strategico;;\n9;;3;25/100\n"),
        ("c.csv", "1,strategico\n9,,3,25\n"),  # no header: the contract's column order
        ("c.yaml", "1: strategico\n9: {staff_count: 3, objective_weight: 25}\n"),
        ("c.yaml", "- {number: 1, strategic_level: strategico}\n- {numero: 9, dipendenti: 3, peso: '25'}\n"),
        ("c.json", '{"1": {"strategicita": "strategico"}, "9": {"staff_count_used": 3, "objective_weight": 25}}'),
    ],
)
def test_decisions_forms(tmp_path, name, text):
    got = load_decisions(_write(tmp_path, name, text))
    assert got == {1: Decision(strategic_level="strategico"), 9: Decision(staff_count=3, objective_weight=25)}
    # the original API: a bare strategicità where that is all the file says, else the Decision
    assert load_classification(_write(tmp_path, name, text)) == \
        {1: "strategico", 9: Decision(staff_count=3, objective_weight=25)}


def test_the_fixtures_classification_files():
    from pathlib import Path

    folder = Path("/work/shared/fixtures")
    if not folder.is_dir():
        pytest.skip("shared fixtures not available")
    valmorena = load_decisions(str(folder / "valmorena-2025.classification.json"))
    assert sorted(valmorena) == list(range(1, 13))
    assert valmorena[9].staff_count == 3 and valmorena[9].objective_weight == 25
    assert valmorena[9].note.startswith("staff not countable")
    assert valmorena[11] == Decision(staff_count=6, objective_weight=55)
    montecaldo = load_decisions(str(folder / "montecaldo-2025.classification.json"))
    assert 12 not in montecaldo and montecaldo[14] == Decision(strategic_level="alta", staff_count=11)


def test_one_objective_file_is_not_taken_for_a_wrapper(tmp_path):
    path = _write(tmp_path, "c.json", '{"9": {"staff_count_used": 3}}')
    assert load_decisions(path) == {9: Decision(staff_count=3)}


@pytest.mark.parametrize(
    "name, text, needle",
    [
        ("c.csv", "number,strategic_level,staff_count\n1,strategico,tre\n", "riga 2"),
        ("c.csv", "number,staff_count\n1,2.5\n", "numero di dipendenti"),
        ("c.json", '{"4": {"objective_weight": "molto"}}', "peso"),
        ("c.json", '{"4": ', "JSON non valido"),
        ("c.json", '{"4": {"note": "solo una nota"}}', "obiettivo 4"),
        ("c.csv", "number,staff_count\n1,3\n1,4\n", "già classificato"),
    ],
)
def test_bad_decisions_name_the_line_or_value(tmp_path, name, text, needle):
    with pytest.raises(InputError) as err:
        load_decisions(_write(tmp_path, name, text))
    assert needle in err.value.cause
