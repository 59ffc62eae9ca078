"""Fixtures shared by several test modules."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def prefect_home(tmp_path_factory):
    """One Prefect home per test process (the temporary server is per process too)."""
    home = tmp_path_factory.getbasetemp() / "prefect-home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PIAO_PREFECT_HOME", str(home))
        mp.delenv("PREFECT_API_URL", raising=False)
        from flows import prefect_env

        prefect_env.configure(quiet=True)
        yield home
