"""How many authorisation cases the matrix checked, for the end of the test run to print."""

from collections import Counter

COUNTS: Counter[str] = Counter()


def add(part: str, cases: int) -> None:
    COUNTS[part] += cases
