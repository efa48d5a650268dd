"""`trady dashboard [SYMBOL] [--study NAME] [--storage URL] [--host H] [--port P]`:
optuna-dashboard over a study store, in the foreground until Ctrl-C (docs/tuning.md).

With a SYMBOL it shows the study folder's own optuna.db (`--study`, default `default`); with
`--storage URL` that store (PostgreSQL: every study in it); with neither, the store the trainer
workers share (TRADY_TUNING_STORAGE_URL). It prints the address to open once it listens.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from services.common.errors import TradyError

DEFAULT_HOST = "127.0.0.1"  # this machine only: the dashboard can rename and delete studies
DEFAULT_PORT = 8080


def run(args: argparse.Namespace) -> int:
    # imported when used: optuna and the dashboard's app are heavy for the other commands
    from services.trainer.settings import TrainerSettings
    from services.trainer.tuning import dashboard

    settings = TrainerSettings()
    try:
        target = dashboard.locate(
            settings.models_dir,
            symbol=args.symbol or "",
            study=args.study,
            storage_url=args.storage or "",
            shared_url=settings.study_storage_url(),
        )
        opened = dashboard.open_store(target)
        server = dashboard.bind(opened, args.host, args.port)
    except TradyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    # flushed: a supervisor or test reading our stdout through a pipe sees it at once
    print(f"optuna-dashboard: {dashboard.page_url(opened, server)}", flush=True)
    print(f"  studies: {target.shown}   stop: Ctrl-C", flush=True)
    dashboard.serve(server)
    return 0


def register(sub: Any) -> None:
    """Add `trady dashboard` to the `trady` subcommands."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "dashboard", help="optuna-dashboard over a study's store (docs/tuning.md)"
    )
    parser.add_argument(
        "symbol", type=str.upper, nargs="?", help="show this symbol's study folder's optuna.db"
    )
    parser.add_argument("--study", help="study name (default with a SYMBOL: default)")
    parser.add_argument(
        "--storage",
        help="study store URL (sqlite:///PATH or postgresql://...; default: the SYMBOL's "
        "optuna.db, else TRADY_TUNING_STORAGE_URL)",
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"default {DEFAULT_HOST}")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"default {DEFAULT_PORT}; 0: any free"
    )
    parser.set_defaults(fn=run)
