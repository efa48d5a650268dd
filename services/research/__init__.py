"""Research domain shared by the trainer (tuning), the backtester and the predictor: walk-forward
folds, probability calibration, signal gates, and the path from a model's dataset rows to the
EV engine's result. Pure: no files, no network."""
