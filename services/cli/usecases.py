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
    if args.from_tuning is not None:
        summary = chosen_summary(pipe, args)
        return pipe.trainer.train_from_tuning(str(summary), args.through, progress_bar("train"))
    if not args.symbol:
        raise InvalidInput("give a SYMBOL, or --from-tuning [SUMMARY]")
    config = Path(args.config).read_text() if args.config else ""
    return pipe.trainer.train(
        args.symbol, _ms(args.start), _ms(args.end), config, progress_bar("train")
    )


def tune(pipe: LocalPipeline, args: argparse.Namespace) -> Any:
    from services.trainer.tuning.usecase import TuneRequest

    config = Path(args.config).read_text() if args.config else ""
    outcome = pipe.trainer.tune(
        TuneRequest(
            symbol=args.symbol,
            trials=args.trials,
            study=args.study,
            seed=args.seed,
            timeout_s=args.timeout or 0.0,
            config_yaml=config,
            out_dir=str(args.out or ""),
            storage_url=args.storage or "",
            start_ms=_ms(args.start),
            end_ms=_ms(args.end),
        ),
        progress_bar("tune"),
    )
    print(candidate_table(outcome.candidates), file=sys.stderr)
    return outcome


def candidate_table(rows: list[dict[str, Any]]) -> str:
    """The ranked candidates, fold score beside the holdout figures (the study never saw them)."""
    lines = [
        f"{'rank':>4} {'trial':>5} {'fold score':>10} {'holdout return':>14} {'trades':>6} "
        f"{'holdout Sharpe':>14}"
    ]
    for row in rows:
        lines.append(
            f"{row['rank']:>4} {row['trial']:>5} {row['score']:>10.3f} "
            f"{row['holdout_total_return']:>13.2%} {row['holdout_trades']:>6} "
            f"{row['holdout_sharpe']:>14.2f}"
        )
    return "\n".join(lines)


def chosen_summary(pipe: LocalPipeline, args: argparse.Namespace) -> Path:
    """The summary to train from: the path given, else `--trial` of `--study`, else the
    study's candidates are listed and the user picks one (on a terminal)."""
    if args.from_tuning:
        return Path(args.from_tuning)
    if not args.symbol:
        raise InvalidInput("--from-tuning without a SUMMARY needs the SYMBOL (and --study)")
    study_dir = pipe.trainer.study_dir(args.symbol, args.study)
    if args.trial is not None:
        return study_dir / f"tuning_summary_{args.trial}.json"
    listing = study_dir / "candidates.json"
    if not listing.exists():
        raise InvalidInput(f"study {args.study!r} of {args.symbol} has no candidates: tune first")
    rows = json.loads(listing.read_text())
    table = candidate_table(rows)
    if not sys.stdin.isatty():
        raise InvalidInput(f"choose a candidate with --trial N:\n{table}")
    print(table, file=sys.stderr)
    answer = input(f"trial to train [{rows[0]['trial']}]: ").strip() or str(rows[0]["trial"])
    if answer not in {str(r["trial"]) for r in rows}:
        raise InvalidInput(f"trial {answer} is not a candidate of study {args.study!r}")
    return study_dir / f"tuning_summary_{answer}.json"


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
    if args.from_tuning:
        given = [f for f in ("symbol", "model", "start", "end") if getattr(args, f)]
        if given or rule_overrides(args):
            raise InvalidInput(
                "--from-tuning backtests the trial's own model on the study's holdout with its "
                f"own rule: drop {', '.join(given) or 'the rule options'}"
            )
        return pipe.backtester.run_from_tuning(str(args.from_tuning), "", progress_bar("backtest"))
    if not args.symbol:
        raise InvalidInput("give a SYMBOL, or --from-tuning SUMMARY")
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
    p.add_argument("symbol", type=str.upper, nargs="?")
    p.add_argument("--start", help="ISO 8601, inclusive (UTC)")
    p.add_argument("--end", help="ISO 8601, exclusive (UTC)")
    p.add_argument("--config", help="ML config YAML (default: TRADY_ML_CONFIG)")
    p.add_argument(
        "--from-tuning",
        nargs="?",
        const="",
        metavar="SUMMARY",
        help="retrain a study's candidate (its tuning_summary_<trial>.json; without a path: "
        "--study/--trial, or pick from the list)",
    )
    p.add_argument("--study", default="default", help="with --from-tuning and no SUMMARY")
    p.add_argument("--trial", type=int, help="with --from-tuning and no SUMMARY")
    p.add_argument(
        "--through",
        choices=["holdout_end", "now"],
        default="holdout_end",
        help="fit on data up to the study's holdout end (default) or all data there is now",
    )
    p = command("tune", tune, "tune model, label and rule in an Optuna study (docs/tuning.md)")
    ranged(p)
    p.add_argument("--trials", type=int, required=True, help="trials to add to the study")
    p.add_argument("--study", default="default", help="study name; the same name resumes")
    p.add_argument("--seed", type=int, default=42, help="sampler and LightGBM seed")
    p.add_argument("--timeout", type=float, help="stop adding trials after this many seconds")
    p.add_argument("--config", help="ML config YAML (default: TRADY_ML_CONFIG)")
    p.add_argument("--out", type=Path, help="study folder (default: <data>/models/SYMBOL/STUDY)")
    p.add_argument("--storage", help="study storage URL (default: optuna.db in the folder)")
    p = command("models", models, "list registered models, newest first")
    p.add_argument("--symbol", type=str.upper)
    p = command("activate", activate, "make a model version its symbol's active model")
    p.add_argument("version")
    p = command("predict", predict, "P(up) from the symbol's active model")
    p.add_argument("symbol", type=str.upper)
    p.add_argument("--features", help="JSON file of feature name -> value (default: latest)")
    p = command("backtest", backtest, "backtest a model (default: active, on its test period)")
    p.add_argument("symbol", type=str.upper, nargs="?")
    p.add_argument("--start", help="ISO 8601, inclusive (UTC)")
    p.add_argument("--end", help="ISO 8601, exclusive (UTC)")
    p.add_argument(
        "--from-tuning",
        type=Path,
        metavar="SUMMARY",
        help="a study's tuning_summary_<trial>.json: its own model on the holdout, its rule",
    )
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
