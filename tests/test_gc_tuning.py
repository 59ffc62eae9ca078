"""pipeline.gc_tuning: the collector's threshold is raised while a stage runs, then restored."""

from __future__ import annotations

import gc
import threading

import pytest

from pipeline import gc_tuning
from pipeline.gc_tuning import YOUNG_THRESHOLD, fewer_gc_passes


@pytest.fixture(autouse=True)
def _restore_threshold():
    saved = gc.get_threshold()
    yield
    gc.set_threshold(*saved)


def test_raised_inside_restored_after_even_on_error():
    gc.set_threshold(700, 10, 10)
    with pytest.raises(ValueError), fewer_gc_passes():
        assert gc.get_threshold() == (YOUNG_THRESHOLD, 10, 10)
        raise ValueError("pagina illeggibile")
    assert gc.get_threshold() == (700, 10, 10)


def test_nested_and_concurrent_uses_restore_only_at_the_last_exit():
    gc.set_threshold(700, 10, 10)
    inside = threading.Event()
    release = threading.Event()

    def other_thread():
        with fewer_gc_passes():
            inside.set()
            release.wait(5)

    worker = threading.Thread(target=other_thread)
    with fewer_gc_passes():
        worker.start()
        assert inside.wait(5)
        with fewer_gc_passes():
            pass
        assert gc.get_threshold()[0] == YOUNG_THRESHOLD  # the inner exit did not restore
    assert gc.get_threshold()[0] == YOUNG_THRESHOLD  # the other thread is still inside
    release.set()
    worker.join(5)
    assert gc.get_threshold() == (700, 10, 10)
    assert gc_tuning._depth == 0


def test_a_disabled_or_higher_threshold_is_left_alone():
    gc.set_threshold(0, 10, 10)  # the user turned automatic collection off
    with fewer_gc_passes():
        assert gc.get_threshold() == (0, 10, 10)
    gc.set_threshold(100_000, 10, 10)
    with fewer_gc_passes():
        assert gc.get_threshold() == (100_000, 10, 10)


def test_the_stage_entry_points_run_with_fewer_passes(tmp_path, monkeypatch):
    """Reading (through the DOCX back-end), parsing and writing all run under the raised threshold."""
    from pathlib import Path

    import extractors.docx
    import extractors.plan
    import outputs.write
    from extractors import parse_plan, read_document
    from outputs import write_outputs

    gc.set_threshold(700, 10, 10)
    seen: dict[str, int] = {}

    def spy(module, name):
        real = getattr(module, name)

        def wrapper(*args, **kwargs):
            seen[name] = gc.get_threshold()[0]
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapper)

    spy(extractors.docx, "read_docx")
    spy(extractors.plan, "read_layout")
    spy(outputs.write, "write_json")
    example = Path(__file__).parent.parent / "examples" / "chiari-2025.docx"
    record = parse_plan(read_document(str(example)))
    write_outputs(record, tmp_path / "out", writers={"plan.json": outputs.write.write_json})
    assert seen == {"read_docx": YOUNG_THRESHOLD, "read_layout": YOUNG_THRESHOLD,
                    "write_json": YOUNG_THRESHOLD}
    assert gc.get_threshold() == (700, 10, 10)
