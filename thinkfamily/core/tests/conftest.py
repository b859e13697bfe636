"""Prints the authorisation matrix's count of cases checked at the end of the run."""

from __future__ import annotations

from typing import Any

from thinkfamily.core.tests.matrix_count import COUNTS


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if COUNTS:
        parts = ", ".join(f"{part} {count}" for part, count in sorted(COUNTS.items()))
        terminalreporter.write_line(
            f"Authorisation matrix: {sum(COUNTS.values())} cases checked ({parts})"
        )
