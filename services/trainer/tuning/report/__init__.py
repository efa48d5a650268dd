"""The study's walk-forward report (report.json + report.html in the study folder).

data (the JSON document, pure), charts and page (the HTML, pure), importances (optuna's
parameter importances, degrading to a note), writer (reads the study, writes both files).
"""
