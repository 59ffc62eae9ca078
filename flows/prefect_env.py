"""Prefect settings for piao: offline, quiet, and with its home in a folder the user controls.

Prefect reads most settings once, when it is first imported, and the temporary API server and
the worker processes read them from the environment. So the settings are applied in two ways:

- :func:`configure` writes them into ``os.environ`` (call it before ``import prefect``; child
  processes -- the temporary server, worker processes -- inherit them);
- :func:`prefect_settings` does the same and, as a context manager, also overrides the settings
  of an already-imported Prefect for the duration of the block.

Every value is a default: a variable the user already exported wins (e.g. ``PREFECT_API_URL``
pointing at a long-running ``prefect server start``).

Where Prefect keeps its database, results cache and logs (``PREFECT_HOME``), in order:
``$PIAO_PREFECT_HOME``; ``$PREFECT_HOME`` if the user set it; ``$XDG_CACHE_HOME/piao/prefect``
(``~/.cache/piao/prefect``).

The API: :func:`api_server` -- the user's ``PREFECT_API_URL`` if it answers (else one Italian
line, :class:`PrefectUnavailable`), or a temporary ``prefect server start`` (Prefect's public
command) on a free loopback port, started by :func:`start_temporary_server`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: Nothing leaves the machine: client telemetry (DO_NOT_TRACK is the SDK's switch), server
#: analytics (the server's daily "heartbeat" to Prefect), and no OS-metrics sampler threads.
OFFLINE = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_TELEMETRY_ENABLE_RESOURCE_METRICS": "false",
    # piao starts its own temporary server (api_server); Prefect's ephemeral mode stays the
    # fallback for a flow called outside api_server() with no PREFECT_API_URL.
    "PREFECT_SERVER_EPHEMERAL_ENABLED": "true",
    # A fresh home runs the database migrations before the server answers: allow for it (the
    # temporary server's start waits this long too).
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


#: The temporary server runs only what a batch needs: the API, and the services that record
#: task runs and events (what the UI shows). No schedules, automations or run supervision --
#: those belong to a long-running ``prefect server start``.
TEMPORARY_SERVER_SERVICES_OFF = (
    "SCHEDULER", "LATE_RUNS", "FOREMAN", "PAUSE_EXPIRATIONS", "REPOSSESSOR",
    "CANCELLATION_CLEANUP", "TRIGGERS", "CLEANUP_RECONCILER",
)
#: How long the check of a user-given ``PREFECT_API_URL`` may take before it counts as down.
HEALTH_TIMEOUT_S = 3.0


class PrefectUnavailable(RuntimeError):
    """No Prefect API to talk to: ``str(err)`` is one Italian line naming the setting."""


def check_api(url: str, timeout: float = HEALTH_TIMEOUT_S) -> None:
    """Raise :class:`PrefectUnavailable` unless the Prefect API at ``url`` answers ``/health``.

    Prefect's client retries a refused connection for a long while before failing with a
    traceback; this answers within ``timeout`` seconds.
    """
    ok = _healthy(url, timeout)
    if not ok:
        raise PrefectUnavailable(
            f"il server Prefect indicato da PREFECT_API_URL ({url}) non risponde: avviarlo "
            "(`prefect server start`) o togliere PREFECT_API_URL per usare un server temporaneo")


def _healthy(url: str, timeout: float) -> bool:
    """``GET <api>/health`` answers 200 (urllib: no TLS context to build for a loopback poll)."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url.rstrip("/") + "/health", timeout=timeout) as answer:  # noqa: S310
            return answer.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class TemporaryServer:
    """``prefect server start`` on a free loopback port, in a child process of this one.

    Started by :func:`start_temporary_server` (returns at once: the server starts while the
    caller imports and prepares), waited for by :meth:`wait` (``GET /api/health``).
    """

    def __init__(self) -> None:
        import subprocess
        import sys

        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/api"
        self.log = prefect_home() / "temporary-server.log"
        env = {**os.environ, "PREFECT_HOME": str(prefect_home())}
        env.pop("PREFECT_API_URL", None)  # the server itself is no client of another one
        for service in TEMPORARY_SERVER_SERVICES_OFF:
            env[f"PREFECT_SERVER_SERVICES_{service}_ENABLED"] = "false"
        with open(self.log, "wb") as log:
            # The server ends with this process, also when it is killed (SIGTERM, SIGKILL): the
            # kernel's parent-death signal, asked for by the thread that starts it -- only the
            # main thread, which lives as long as the process does.
            import threading

            from pipeline.forking import parent_death_signal

            main = threading.current_thread() is threading.main_thread()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                 "--port", str(self.port), "--no-ui", "--analytics-off", "--no-scheduler",
                 "--no-late-runs"],
                env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                preexec_fn=parent_death_signal(os.getpid()) if main else None,
            )

    def wait(self) -> str:
        """Block until the API answers; return its URL. PrefectUnavailable if it cannot start."""
        import time

        limit = float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180"))
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            if _healthy(self.url, timeout=2):
                return self.url
            time.sleep(0.1)
        self.stop()
        raise PrefectUnavailable(f"il server Prefect temporaneo non è partito (dettagli in {self.log})")

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        import subprocess

        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


_temporary: TemporaryServer | None = None


def start_temporary_server() -> TemporaryServer | None:
    """Start the temporary server now, without waiting for it (None: the user's
    ``PREFECT_API_URL`` is set).

    One per process, reused by later runs; stopped when the process exits. Called before
    Prefect is imported (``piao batch``), it puts its URL into ``PREFECT_API_URL`` at once, so
    that Prefect, imported after this call, and every thread
    and child process of the batch are clients of this server from the start: Prefect's own
    threads (the process pool's log and event forwarder) read the settings Prefect loaded at
    import, not the settings context, and without a URL they start an ephemeral server of
    their own -- a second server's start-up and CPU in every batch.
    """
    global _temporary
    if user_api_url():
        return None
    if _temporary is None or not _temporary.alive():
        import atexit

        configure(quiet=True)
        _temporary = TemporaryServer()
        atexit.register(_temporary.stop)
        if "prefect" not in sys.modules:  # else api_server() sets it for its block only
            os.environ["PREFECT_API_URL"] = _temporary.url
    return _temporary


def user_api_url() -> str | None:
    """``PREFECT_API_URL`` from the environment, unless it names this process's temporary
    server (:func:`start_temporary_server` puts that there too)."""
    url = os.environ.get("PREFECT_API_URL")
    return None if not url or _ours(url) is not None else url


def _ours(url: str | None) -> TemporaryServer | None:
    """The temporary server of this process if ``url`` is its URL."""
    if url and _temporary is not None and url.rstrip("/") == _temporary.url:
        return _temporary
    return None


@contextmanager
def api_server() -> Iterator[str]:
    """Yield the Prefect API URL every process of a run must talk to.

    The user's ``PREFECT_API_URL`` (a long-running ``prefect server start``) when set, after
    checking that it answers (:class:`PrefectUnavailable` otherwise, within seconds). Else a
    temporary ``prefect server start`` on a free 127.0.0.1 port (a few seconds; the first start
    on a fresh home also creates the database), put into the settings so that every worker
    process of a parallel run talks to it. It lives until this process exits (later runs in the
    process reuse it). A Dask cluster on other machines needs ``PREFECT_API_URL``.
    """
    from prefect.settings import get_current_settings, temporary_settings

    url = get_current_settings().api.url
    ours = _ours(url)
    if url and ours is None:
        check_api(url)
        yield url
        return
    server = start_temporary_server() or TemporaryServer()  # ours again, or a new one
    url = server.wait()
    # Also in the environment (see start_temporary_server): threads and worker processes. The
    # server is this very installation of Prefect: the client's version handshake (a request to
    # /admin/version each time a client is opened: the flow run, every artifact) is skipped.
    ours_env = {"PREFECT_API_URL": url, "PREFECT_CLIENT_SERVER_VERSION_CHECK_ENABLED": "false"}
    saved = {key: os.environ.get(key) for key in ours_env}
    os.environ.update(ours_env)
    try:
        with temporary_settings(updates={  # type: ignore[dict-item]
                "api.url": url, "client.server_version_check_enabled": False}):
            yield url
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _quiet_console() -> None:
    """Raise Prefect's console handlers (already configured at import) to the quiet level."""
    import logging

    level = os.environ.get("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
    for logger in (logging.getLogger(), logging.getLogger("prefect")):
        for handler in logger.handlers:
            if type(handler).__name__ == "PrefectConsoleHandler":
                handler.setLevel(level)

