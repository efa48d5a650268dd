"""The `trady` command: run the stack or one service locally, and the demo.

trady up | down | status      the whole stack as local processes (deploy/Procfile)
trady serve SERVICE           one service's gRPC server in the foreground
trady work SERVICE            one service's queue worker in the foreground
trady migrate                 bring the registry's and shared studies' schemas up to date
trady demo                    the whole pipeline on the bundled data, then stop
trady simulate                the EV engine on your own bars and signals files
trady dashboard [SYMBOL]      optuna-dashboard over a study's store, in the foreground
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from services.cli import bars, dashboard, simulate
from services.cli.usecases import add_commands

SERVICES = ["ingest", "features", "trainer", "backtester", "predictor", "gateway"]
WORKERS = ["ingest", "features", "trainer", "backtester"]


def _state_dir() -> Path:
    from services.cli import stack

    return Path(os.environ.get("TRADY_STATE_DIR", stack.REPO / "var" / "stack"))


def cmd_up(_args: argparse.Namespace) -> int:
    from services.cli import stack

    state_dir = _state_dir()
    data_dir = Path(os.environ.get("TRADY_DATA_DIR", stack.REPO / "var" / "data"))
    config = stack.StackConfig(state_dir=state_dir, data_dir=data_dir)
    try:
        state = stack.up(config, on_progress=print)
    except stack.StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"Trady is up: {state.gateway_url}  (OpenAPI docs: {state.gateway_url}/docs)")
    print(f"  admin key:  {state.admin_key}")
    print(f"  client key: {state.client_key}")
    print(f"  data: {data_dir}   logs: {state_dir / 'logs'}   stop: trady down")
    return 0


def cmd_down(_args: argparse.Namespace) -> int:
    from services.cli import stack

    stopped = stack.down(_state_dir())
    print(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")
    return 0


def cmd_status(_args: argparse.Namespace) -> int:
    from services.cli import stack

    state = stack.load_state(_state_dir())
    if state is None:
        print("not running")
        return 1
    print(json.dumps({"gateway": state.gateway_url, "pids": state.pids}, indent=2))
    return 0


def _run_module(module: str, command: str) -> int:
    os.execv(sys.executable, [sys.executable, "-m", module, command])
    return 0  # pragma: no cover - execv does not return


def cmd_serve(args: argparse.Namespace) -> int:
    return _run_module(f"services.{args.service}.main", "serve")


def cmd_work(args: argparse.Namespace) -> int:
    return _run_module(f"services.{args.service}.main", "work")


def cmd_migrate(_args: argparse.Namespace) -> int:
    return _run_module("services.trainer.main", "migrate")


def cmd_demo(_args: argparse.Namespace) -> int:
    from services.cli.demo import main as demo

    return demo()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trady", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="start the whole stack as local processes").set_defaults(fn=cmd_up)
    sub.add_parser("down", help="stop the local stack").set_defaults(fn=cmd_down)
    sub.add_parser("status", help="show the local stack").set_defaults(fn=cmd_status)
    serve = sub.add_parser("serve", help="run one service's server in the foreground")
    serve.add_argument("service", choices=SERVICES)
    serve.set_defaults(fn=cmd_serve)
    work = sub.add_parser("work", help="run one service's queue worker in the foreground")
    work.add_argument("service", choices=WORKERS)
    work.set_defaults(fn=cmd_work)
    sub.add_parser("migrate", help="upgrade the registry schema").set_defaults(fn=cmd_migrate)
    sub.add_parser("demo", help="run the whole pipeline on bundled data").set_defaults(fn=cmd_demo)
    add_commands(sub)
    bars.register(sub)
    dashboard.register(sub)
    simulate.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.fn(args))


if __name__ == "__main__":
    raise SystemExit(main())
