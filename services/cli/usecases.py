"""`trady ingest|features|train|models|activate|predict|backtest`: the pipeline in this process
(see services/cli/local.py). Results print as JSON on stdout; progress bars go to stderr."""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from services.common.errors import InvalidInput, TradyError
from services.ingest.domain.epoch import TIME_UNITS

if TYPE_CHECKING:  # the pipeline imports every service: only when a use case runs
    from services.cli.local import LocalPipeline


def progress_bar(label: str) -> Callable[[float, str], None]:
    """services.cli.local.progress_bar, imported when a use case runs."""
    from services.cli.local import progress_bar as bar

    return bar(label)


def _ms(text: str | None) -> int:
    """ISO 8601 date/time (UTC unless it says otherwise) -> Unix ms; None -> 0 (unbounded)."""
    if not text:
        return 0
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: _jsonable(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _print(value: Any) -> None:
    print(json.dumps(_jsonable(value), indent=2, default=str))


def ingest(pipe: LocalPipeline, args: argparse.Namespace) -> Any:
    results = []
    for path in args.files:
        results.append(
            pipe.ingest.ingest_file(
                str(path),
                args.symbol,
                args.kind,
                Path(path).name,
                progress_bar("ingest"),
                timestamp_unit=args.timestamp_unit,
            )
        )
    return results


def features(pipe: LocalPipeline, args: argparse.Namespace) -> Any:
    config = Path(args.config).read_text() if args.config else ""
    info = pipe.features.build(
        args.symbol, _ms(args.start), _ms(args.end), config, progress_bar("features")
    )
    if not args.out:
        return info
    rows = pipe.features.export(args.symbol, str(args.out))
    return {"dataset": info, "out": str(Path(args.out).resolve()), "rows_written": rows}


def train(pipe: LocalPipeline, args: argparse.Namespace) -> Any:
    config = Path(args.config).read_text() if args.config else ""
    return pipe.trainer.train(
        args.symbol, _ms(args.start), _ms(args.end), config, progress_bar("train")
    )


def models(pipe: LocalPipeline, args: argparse.Namespace) -> Any:
    return pipe.trainer.list_models(args.symbol or "")


def activate(pipe: LocalPipeline, args: argparse.Namespace) -> Any:
    model, previous = pipe.trainer.activate(args.version, activated_by=f"cli:{getpass.getuser()}")
    return {
        "model": model,
        "previous_version": previous,
        "already_active": previous == model.version,
    }


def predict(pipe: LocalPipeline, args: argparse.Namespace) -> Any:
    given = json.loads(Path(args.features).read_text()) if args.features else None
    return pipe.predictor.predict(args.symbol, given)


RULE_FLAGS = ("mode", "k_tp", "k_sl", "ev_margin", "fee_bps", "slippage_bps", "max_hold_bars",
              "on_opposite", "sides", "threshold", "holding_bars")  # fmt: skip


def rule_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The rule keys given: a `--rule` YAML file's top level, then the flags over it."""
    given: dict[str, Any] = {}
    if args.rule:
        loaded = yaml.safe_load(Path(args.rule).read_text())
        if not isinstance(loaded, dict):
            raise InvalidInput(f"{args.rule}: a rule file is a mapping of the rule's keys")
        given.update(loaded)
    given.update({k: getattr(args, k) for k in RULE_FLAGS if getattr(args, k) is not None})
    return given


def backtest(pipe: LocalPipeline, args: argparse.Namespace) -> Any:
    return pipe.backtester.run(
        args.symbol,
        args.model or "",
        _ms(args.start),
        _ms(args.end),
        rule_overrides(args),
        "",
        progress_bar("backtest"),
    )


def add_commands(sub: Any) -> None:
    """Register the local use-case subcommands on the `trady` parser."""

    def command(name: str, fn: Any, help_text: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = sub.add_parser(name, help=help_text)
        parser.set_defaults(fn=run, use_case=fn)
        return parser

    def ranged(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("symbol", type=str.upper)
        parser.add_argument("--start", help="ISO 8601, inclusive (UTC)")
        parser.add_argument("--end", help="ISO 8601, exclusive (UTC)")

    p = command("ingest", ingest, "validate and store trade or candle files")
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument("--symbol", required=True, type=str.upper)
    p.add_argument("--kind", choices=["auto", "trades", "candles"], default="auto")
    p.add_argument(
        "--timestamp-unit",
        choices=TIME_UNITS,
        default="auto",
        help="unit of numeric times (default auto: each value by its magnitude)",
    )
    p = command("features", features, "build a symbol's feature matrix and labels")
    ranged(p)
    p.add_argument("--config", help="ML config YAML (default: TRADY_ML_CONFIG)")
    p.add_argument(
        "--out", type=Path, help="also write the matrix with its labels (.csv, else Parquet)"
    )
    p = command("train", train, "build features, train, register the model inactive")
    ranged(p)
    p.add_argument("--config", help="ML config YAML (default: TRADY_ML_CONFIG)")
    p = command("models", models, "list registered models, newest first")
    p.add_argument("--symbol", type=str.upper)
    p = command("activate", activate, "make a model version its symbol's active model")
    p.add_argument("version")
    p = command("predict", predict, "P(up) from the symbol's active model")
    p.add_argument("symbol", type=str.upper)
    p.add_argument("--features", help="JSON file of feature name -> value (default: latest)")
    p = command("backtest", backtest, "backtest a model (default: active, on its test period)")
    ranged(p)
    p.add_argument("--model", help="version (default: the active model)")
    p.add_argument("--rule", help="YAML file of rule keys (docs/backtest.md); flags override it")
    p.add_argument("--mode", choices=["ev", "threshold"], help="default: the config's (ev)")
    p.add_argument("--k-tp", type=float, help="take profit, ATR multiple")
    p.add_argument("--k-sl", type=float, help="stop loss, ATR multiple")
    p.add_argument("--ev-margin", type=float, help="enter when EV after costs exceeds this")
    p.add_argument("--max-hold-bars", type=int, help="default: the label horizon")
    p.add_argument("--on-opposite", choices=["flip", "close", "ignore"])
    p.add_argument("--sides", choices=["long", "short", "both"])
    p.add_argument("--fee-bps", type=float, help="per side")
    p.add_argument("--slippage-bps", type=float, help="per side")
    p.add_argument("--threshold", type=float, help="threshold mode: enter when P >= this")
    p.add_argument("--holding-bars", type=int, help="threshold mode: bars held")


def run(args: argparse.Namespace) -> int:
    from services.cli.local import local_pipeline

    try:
        with local_pipeline() as pipe:
            _print(args.use_case(pipe, args))
    except TradyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0
