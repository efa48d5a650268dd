"""The EV engine: one single-position backtester shared by backtests, tuning and live decisions.

A shared domain package (pure: arrays and frames in, trades and equity out; no I/O), imported by
the backtester, the trainer's tuner and the predictor; none of them owns it. The contract it
implements, rule by rule, is docs/backtest.md.
"""
