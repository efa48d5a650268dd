"""optuna-dashboard over a study store: which store, opened and checked, then served.

Which store (`locate`): the URL given; else, with a symbol, the study folder's own `optuna.db`
(`<data dir>/models/<SYMBOL>/<study>/`, where `trady tune` keeps it); else the store the
trainer workers share (`TrainerSettings.study_storage_url()`). The store is read once before
the server binds (`open_store`), so a wrong path or URL fails with a sentence naming it rather
than with a page of HTTP 500s.

We serve optuna-dashboard's WSGI app (`optuna_dashboard.wsgi`) on the standard library's
server, threaded as optuna-dashboard's own command runs it: its UI polls while a slow request
(parameter importances) runs. It is a research tool for a handful of users; a production WSGI
server would be one more dependency for nothing here.
"""

from __future__ import annotations

import logging
import signal
from dataclasses import dataclass
from pathlib import Path
from socketserver import ThreadingMixIn
from types import FrameType
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import optuna
import sqlalchemy
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from services.common.errors import Conflict, InvalidInput, NotFound, Unavailable
from services.features.domain.symbols import normalise_symbol
from services.research import study_files
from services.research.study_files import DEFAULT_STUDY, check_study_name, study_dir_for

log = logging.getLogger(__name__)

OPTUNA_TABLE = "studies"
"""A table every Optuna RDB store has; its absence means "not a study store (yet)"."""


@dataclass(frozen=True)
class Target:
    """A study store to show, and the study to open first (None: the list of studies)."""

    storage_url: str
    study: str | None = None

    @property
    def shown(self) -> str:
        """The URL without its password, fit for a terminal or a log."""
        return make_url(self.storage_url).render_as_string(hide_password=True)


@dataclass(frozen=True)
class OpenStore:
    target: Target
    storage: optuna.storages.RDBStorage
    study_id: int | None
    """optuna's id of `target.study`: the dashboard's page for it is /dashboard/studies/<id>."""


def locate(
    models_dir: Path,
    *,
    symbol: str = "",
    study: str | None = None,
    storage_url: str = "",
    shared_url: str = "",
) -> Target:
    """The store to show (see the module doc). Raises InvalidInput for a bad symbol or study
    name, or when nothing names a store; NotFound when the study folder or its optuna.db (or
    a given SQLite file) does not exist: opening it would create an empty one."""
    name = check_study_name(study) if study is not None else None
    if storage_url:
        _require_sqlite_file(_parsed(storage_url))
        return Target(storage_url, name)
    if symbol:
        ticker = normalise_symbol(symbol)
        name = name or DEFAULT_STUDY
        folder = study_dir_for(models_dir, ticker, name)
        if not folder.is_dir():
            raise NotFound(
                f"no study {name!r} of {ticker}: {folder} does not exist "
                f"(run `trady tune {ticker} --study {name}` first)"
            )
        db = folder / study_files.STUDY_DB
        if not db.is_file():
            raise NotFound(
                f"{db} does not exist: study {name!r} of {ticker} was tuned into another "
                "store; pass it with --storage URL"
            )
        return Target(f"sqlite:///{db}", name)
    if shared_url:
        _parsed(shared_url)
        return Target(shared_url, name)
    raise InvalidInput(
        "which studies? give a SYMBOL (its study folder's optuna.db), --storage URL, or set "
        "TRADY_TUNING_STORAGE_URL (the store the trainer workers share)"
    )


def _parsed(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError:
        raise InvalidInput(
            f"{url!r} is not a storage URL (sqlite:///PATH or postgresql://USER@HOST/DB)"
        ) from None


def _require_sqlite_file(parsed: URL) -> None:
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return
    if not Path(parsed.database).is_file():
        raise NotFound(f"{parsed.database} does not exist: no study store there")


def open_store(target: Target) -> OpenStore:
    """Open the store as optuna-dashboard does (no table creation, no schema check: it reads
    stores older optuna versions wrote) after checking that it answers and holds Optuna's
    tables. Raises Unavailable when it does not answer, NotFound when it holds no Optuna
    tables or not the named study."""
    _require_optuna_tables(target)
    server = not target.storage_url.startswith("sqlite")
    # a long-running viewer outlives database restarts: check a pooled connection before use
    kwargs: dict[str, Any] = {"pool_pre_ping": True} if server else {}
    storage = optuna.storages.RDBStorage(
        target.storage_url,
        engine_kwargs=kwargs,
        skip_compatibility_check=True,
        skip_table_creation=True,
    )
    if target.study is None:
        return OpenStore(target, storage, None)
    try:
        study_id = storage.get_study_id_from_name(target.study)
    except KeyError:
        names = sorted(s.study_name for s in storage.get_all_studies())
        raise NotFound(
            f"{target.shown} holds no study {target.study!r} "
            f"(it holds: {', '.join(names) or 'none'})"
        ) from None
    return OpenStore(target, storage, study_id)


def _require_optuna_tables(target: Target) -> None:
    engine = sqlalchemy.create_engine(target.storage_url)
    try:
        with engine.connect() as conn:
            tables = set(sqlalchemy.inspect(conn).get_table_names())
    except SQLAlchemyError as exc:
        reason = getattr(exc, "orig", None) or exc  # the driver's own words, without the SQL
        one_line = " ".join(str(reason).split())
        raise Unavailable(f"cannot open the study store {target.shown}: {one_line}") from exc
    finally:
        engine.dispose()
    if OPTUNA_TABLE not in tables:
        raise NotFound(
            f"{target.shown} is not an Optuna study store (it has no {OPTUNA_TABLE!r} table): "
            "tune a study into it, or run `trady migrate` with TRADY_TUNING_STORAGE_URL set"
        )


class _ThreadedServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a request still running must not hold up Ctrl-C or SIGTERM


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        # the UI polls every few seconds: one line per request would drown the terminal
        log.debug("dashboard: " + format, *args)


def bind(opened: OpenStore, host: str, port: int) -> WSGIServer:
    """The dashboard's server, listening but not yet serving (port 0: any free port; read
    `server.server_port`). Raises Conflict when the address cannot be bound."""
    import optuna_dashboard  # imported when used: `trady` starts faster

    app = optuna_dashboard.wsgi(opened.storage)
    try:
        return make_server(host, port, app, _ThreadedServer, _QuietHandler)
    except OSError as exc:
        raise Conflict(
            f"cannot listen on {host}:{port} ({exc.strerror}): choose another --port"
        ) from exc


def page_url(opened: OpenStore, server: WSGIServer) -> str:
    """The address to open: the named study's page, else the list of studies."""
    host = str(server.server_address[0])
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"  # listening everywhere: this machine's own address opens it
    path = "" if opened.study_id is None else f"/studies/{opened.study_id}"
    return f"http://{host}:{server.server_port}/dashboard{path}"


class _Stop(Exception):
    pass


def serve(server: WSGIServer) -> None:
    """Serve until SIGINT or SIGTERM (how compose stops it), then close the socket."""

    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise _Stop

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, _Stop):
        log.info("dashboard stopped")
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.server_close()
