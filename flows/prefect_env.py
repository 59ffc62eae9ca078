"""Prefect settings for piao: offline, quiet, and with its home in a folder the user controls.

Prefect reads most settings once, when it is first imported, and its temporary ("ephemeral")
API server and the Dask worker processes read them from the environment. So the settings are
applied in two ways:

- :func:`configure` writes them into ``os.environ`` (call it before ``import prefect``; child
  processes -- the temporary server, Dask workers -- inherit them);
- :func:`prefect_settings` does the same and, as a context manager, also overrides the settings
  of an already-imported Prefect for the duration of the block.

Every value is a default: a variable the user already exported wins (e.g. ``PREFECT_API_URL``
pointing at a long-running ``prefect server start``).

Where Prefect keeps its database, results cache and logs (``PREFECT_HOME``), in order:
``$PIAO_PREFECT_HOME``; ``$PREFECT_HOME`` if the user set it; ``$XDG_CACHE_HOME/piao/prefect``
(``~/.cache/piao/prefect``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: Nothing leaves the machine: client telemetry (DO_NOT_TRACK is the SDK's switch), server
#: analytics (the server's daily "heartbeat" to Prefect), and no OS-metrics sampler threads.
OFFLINE = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_TELEMETRY_ENABLE_RESOURCE_METRICS": "false",
    # The temporary server only runs when no PREFECT_API_URL is given; it listens on 127.0.0.1.
    "PREFECT_SERVER_EPHEMERAL_ENABLED": "true",
    # A fresh home runs the database migrations before the server answers: allow for it.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
    "PREFECT_UI_ENABLED": "false",
}

#: Our progress bars and summary are the console output of ``piao batch``: Prefect's own log
#: lines (a bad file's traceback included) still go to its API and show in the UI, but only
#: critical ones reach the terminal; the temporary server's shutdown chatter is silenced too.
QUIET_CONSOLE = {
    "PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "CRITICAL",
    "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL",
}


def prefect_home() -> Path:
    """The folder Prefect uses as its home (database, results cache, logs)."""
    for var in ("PIAO_PREFECT_HOME", "PREFECT_HOME"):
        if os.environ.get(var):
            return Path(os.environ[var]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache).expanduser() / "piao" / "prefect"


def environment(quiet: bool = True) -> dict[str, str]:
    """The environment variables piao wants for Prefect (before the user's own overrides)."""
    env = {"PREFECT_HOME": str(prefect_home()), **OFFLINE}
    if quiet:
        env.update(QUIET_CONSOLE)
    return env


def configure(quiet: bool = True) -> Path:
    """Put piao's Prefect settings into ``os.environ`` (user-set variables win); return the home.

    ``$PIAO_PREFECT_HOME`` is the exception to "user wins": it is the piao-specific way to say
    where Prefect's home goes, so it overrides ``$PREFECT_HOME``.
    """
    home = prefect_home()
    home.mkdir(parents=True, exist_ok=True)
    os.environ["PREFECT_HOME"] = str(home)
    for key, value in environment(quiet).items():
        os.environ.setdefault(key, value)
    return home


@contextmanager
def prefect_settings(quiet: bool = True, heartbeats: bool = False) -> Iterator[Path]:
    """Apply the settings for the block, also when Prefect is already imported; yield the home.

    ``heartbeats=False`` turns off the flow-run heartbeat thread: it detects crashed runs of a
    long-running deployment, but the engine joins it for up to a second at the end of every flow
    run -- a fixed ~1 s per plan for a batch, where a crash is seen by the caller anyway.
    """
    home = configure(quiet)
    from prefect.settings import temporary_settings

    updates: dict[str, object] = {
        "home": str(home),
        "server.analytics_enabled": os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"].lower()
        in ("1", "true", "yes"),
        "server.ephemeral.enabled": os.environ["PREFECT_SERVER_EPHEMERAL_ENABLED"].lower()
        in ("1", "true", "yes"),
        "telemetry.enable_resource_metrics": False,
    }
    if not heartbeats:
        updates["flows.heartbeat_frequency"] = None
    if quiet:
        _quiet_console()
    with temporary_settings(updates=updates):  # type: ignore[arg-type]
        yield home


@contextmanager
def api_server() -> Iterator[str]:
    """Yield the Prefect API URL every process of a run must talk to.

    The user's ``PREFECT_API_URL`` (a long-running ``prefect server start``) when set. Otherwise
    Prefect's temporary server, started here once (a few seconds; the first start on a fresh home
    also creates the database) and put into the settings: Prefect otherwise keeps its address
    inside the client, so every worker process of a parallel run would start a server of its
    own. The server lives until the process exits (it is reused by later runs in the process).
    It listens on 127.0.0.1 only: a Dask cluster on other machines needs ``PREFECT_API_URL``.
    """
    from prefect.settings import get_current_settings, temporary_settings

    url = get_current_settings().api.url
    if url:
        yield url
        return
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    server.start()
    with temporary_settings(updates={"api.url": server.api_url}):  # type: ignore[dict-item]
        yield server.api_url


def _quiet_console() -> None:
    """Raise Prefect's console handlers (already configured at import) to the quiet level."""
    import logging

    level = os.environ.get("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
    for logger in (logging.getLogger(), logging.getLogger("prefect")):
        for handler in logger.handlers:
            if type(handler).__name__ == "PrefectConsoleHandler":
                handler.setLevel(level)

