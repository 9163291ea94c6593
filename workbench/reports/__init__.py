"""Reproducible reports: run a notebook pinned to a belief time, as one HTML page with provenance.

>>> from workbench.reports import run_report, check_report  # doctest: +SKIP
>>> report = run_report("analysis.ipynb", as_of="2025-01-15T12:00Z", parameters=["days=7"])  # doctest: +SKIP
>>> report.write("analysis.html")  # doctest: +SKIP
>>> check_report("analysis.html").identical  # doctest: +SKIP
True

Needs the ``reports`` extra (papermill, nbconvert, ipykernel).
"""

from workbench.reports.check import CheckResult, check_report, compare
from workbench.reports.pdf import find_chromium, print_pdf
from workbench.reports.provenance import CellText, Provenance, read_provenance
from workbench.reports.runner import Report, ReportFailed, run_report

__all__ = [
    "CellText",
    "CheckResult",
    "Provenance",
    "Report",
    "ReportFailed",
    "check_report",
    "compare",
    "find_chromium",
    "print_pdf",
    "read_provenance",
    "run_report",
]
