"""How long matching one new record takes against everyone already linked.

A record entered while a practitioner waits must find its person at once. The
measurement holds back a sample of records, loads the rest into the
real-time matcher with the trained model, and times matching each held-back
record, one at a time.
"""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import asdict, dataclass
from typing import Any

from thinkfamily.linkage.datasets import Dataset
from thinkfamily.linkage.model import LinkageModel
from thinkfamily.linkage.realtime import RecordMatcher


@dataclass(frozen=True)
class Latency:
    """Milliseconds to match one record, over ``samples`` records, against ``linked`` records."""

    linked: int
    samples: int
    load_seconds: float
    median_ms: float
    p95_ms: float
    max_ms: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def matching_latency(
    dataset: Dataset, *, model: LinkageModel, samples: int = 500, seed: int = 1
) -> Latency:
    """Time matching ``samples`` held-back records of ``dataset`` against the others.

    Example:
        >>> matching_latency(dataset, model=model, samples=200).p95_ms  # doctest: +SKIP
        41.5
    """
    records = dataset.records
    held = records.sample(n=min(samples, len(records)), random_state=seed)
    started = time.perf_counter()
    matcher = RecordMatcher(model, records.drop(held.index))
    load_seconds = time.perf_counter() - started
    rows = held.to_dict("records")
    random.Random(seed).shuffle(rows)
    timings = []
    for row in rows:
        started = time.perf_counter()
        matcher.candidates(row)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return Latency(
        linked=len(records) - len(held),
        samples=len(timings),
        load_seconds=round(load_seconds, 1),
        median_ms=round(statistics.median(timings), 1),
        p95_ms=round(timings[min(len(timings) - 1, int(len(timings) * 0.95))], 1),
        max_ms=round(timings[-1], 1),
    )
