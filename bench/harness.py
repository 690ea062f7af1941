"""Tiny benchmark harness: median timings and ratio reports, in a throwaway PostgreSQL database."""

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


def paired_medians(
    subject: Callable[[], object], baseline: Callable[[], object], *, repeat: int = 21, warmup: int = 3
) -> tuple[float, float]:
    """Median seconds of each, measured alternately (subject, baseline, subject...) after a warm-up,
    so that load from other processes hits both sides alike."""
    for _ in range(warmup):
        subject()
        baseline()
    subject_times, baseline_times = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        subject()
        subject_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        baseline()
        baseline_times.append(time.perf_counter() - started)
    return statistics.median(subject_times), statistics.median(baseline_times)


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
