"""SQL building blocks for the KPIs: durations in seconds, percentiles, parameters and raw statements.

Everything is computed by the database. PostgreSQL does percentiles itself
(`percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY ...) FILTER (WHERE ...)`, exact and
interpolated). SQLite (the embedded demo database of `make run`) has no percentile function: there
the counts still come from SQL, and the percentiles from a second query that fetches the durations
and interpolates them in Python exactly as `percentile_cont` does (`percentile_cont` below). That
fallback reads every measured row and is meant for demo-sized data only.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Aggregate, Case, Expression, F, FloatField, Func, Q, QuerySet, When

FRACTIONS = (0.5, 0.9)


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


@contextlib.contextmanager
def aggregate_session() -> Iterator[None]:
    """Run a dashboard's statements in one transaction with PostgreSQL's JIT compiler off.

    The statements are large (their estimated cost passes `jit_above_cost`) but bounded: at 200,000
    incidents compiling the breakdown statement took 2 s of its 2.6 s while executing it took 0.6 s.
    """
    if not is_postgres():
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
        yield


class Seconds(Func):
    """Seconds from `start` to `end` (two datetime columns or expressions), as a float."""

    output_field = FloatField()
    arg_joiner = " - "
    template = "(EXTRACT(EPOCH FROM (%(expressions)s)))::float8"

    def __init__(self, end: str | Expression, start: str | Expression, **extra: Any) -> None:
        end = F(end) if isinstance(end, str) else end
        start = F(start) if isinstance(start, str) else start
        super().__init__(end, start, **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="ROUND((julianday(%(expressions)s)) * 86400.0, 3)",  # julianday is a float: keep milliseconds
            arg_joiner=") - julianday(",
            **extra,
        )


def Days(end: str | Expression, start: str | Expression) -> Expression:  # noqa: N802 - reads like a Func
    return Seconds(end, start) / 86400.0


class Percentiles(Aggregate):
    """`percentile_cont` of several fractions at once (PostgreSQL): a list of floats, or None for no rows."""

    function = "percentile_cont"
    name = "Percentiles"
    template = "%(function)s(ARRAY[%(fractions)s]::float8[]) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression: Expression, fractions: Sequence[float] = FRACTIONS, **extra: Any) -> None:
        from django.contrib.postgres.fields import ArrayField

        super().__init__(
            expression,
            fractions=", ".join(repr(float(f)) for f in fractions),
            output_field=ArrayField(FloatField()),
            **extra,
        )


def percentile_cont(values: Sequence[float], fraction: float) -> float | None:
    """PostgreSQL's percentile_cont: linear interpolation between the closest ranks (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def aggregate(
    queryset: QuerySet,
    *,
    counts: dict[str, Aggregate],
    percentiles: dict[str, tuple[Expression, Q]],
    group: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Counts and percentiles of `queryset`, optionally grouped by `group` fields: one query on PostgreSQL.

    `percentiles` maps a name to (value expression, filter); each result row gets `name` as a list of
    the FRACTIONS' values (or None when no row matched). Rows come back as dicts.
    """
    queryset = queryset.order_by()
    if is_postgres():
        specs = {**counts, **{name: Percentiles(expr, filter=when) for name, (expr, when) in percentiles.items()}}
        if group:
            return list(queryset.values(*group).annotate(**specs))
        return [queryset.aggregate(**specs)]
    rows = list(queryset.values(*group).annotate(**counts)) if group else [queryset.aggregate(**counts)]
    if not percentiles:
        return rows
    # SQLite fallback: one query for every measured value, interpolated here (demo-sized data only).
    columns = {f"_p_{name}": Case(When(when, then=expr), default=None) for name, (expr, when) in percentiles.items()}
    values: dict[tuple, dict[str, list[float]]] = {}
    for row in queryset.annotate(**columns).values(*group, *columns):
        key = tuple(row[g] for g in group)
        bucket = values.setdefault(key, {name: [] for name in percentiles})
        for name in percentiles:
            value = row[f"_p_{name}"]
            if value is not None:
                bucket[name].append(float(value))
    for row in rows:
        measured = values.get(tuple(row[g] for g in group), {})
        for name in percentiles:
            found = measured.get(name) or []
            row[name] = [percentile_cont(found, f) for f in FRACTIONS] if found else None
    return rows


def db_datetime(value: datetime) -> Any:
    """A datetime as a raw-SQL parameter for the current database (SQLite stores text)."""
    return connection.ops.adapt_datetimefield_value(value)


def compiled(queryset: QuerySet) -> tuple[str, tuple]:
    """The SQL and parameters of a queryset, to be used as a subquery in a raw statement."""
    sql, params = queryset.order_by().query.sql_with_params()
    return sql, tuple(params)


def fetch(sql: str, params: Iterable[Any]) -> list[dict[str, Any]]:
    """Run a raw statement; rows as dicts."""
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        names = [col[0] for col in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
