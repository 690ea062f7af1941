"""Tiny benchmark harness: median timings and ratio reports, in a throwaway PostgreSQL database."""

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


def median_seconds(fn: Callable[[], object], *, repeat: int = 15, warmup: int = 3) -> float:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


@dataclass
class Report:
    rows: list[tuple[str, float, float, float | None]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def ratio(self, name: str, *, subject: float, baseline: float, limit: float | None = None) -> float:
        value = subject / baseline if baseline else float("inf")
        self.rows.append((name, subject, baseline, limit))
        status = ""
        if limit is not None:
            status = "ok" if value <= limit else "OVER LIMIT"
            if value > limit:
                self.failures.append(f"{name}: ratio {value:.2f} > {limit}")
        print(
            f"  {name:<58} {subject * 1000:9.2f} ms vs {baseline * 1000:9.2f} ms  ratio {value:5.2f}"
            f"{f'  (limit {limit}) {status}' if limit is not None else ''}"
        )
        return value
