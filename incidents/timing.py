"""Which incident times are known, for the time-to-X figures and the incident list's `timing` filter.

The dashboards (and the digests, through `dashboards.kpis`) measure time to detect, acknowledge,
mitigate and resolve from the incident's start. An incident is *measured* for a stage only when both
its start and that stage's time are known to the minute; every other incident of the period is
counted as "without a known time" instead of being measured as zero.

Each rule is one predicate below, so that a new way of not knowing a time is a one-line change. A
time listed in `Incident.date_only_times` (imported records with only a date) is known to the day,
not to the minute, so it is not known here, exactly as `Incident.time_to_*` return None for it.
"""

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL

#: stage -> the incident field that records when it happened.
STAGES: dict[str, str] = {
    "detect": "detected_at",
    "acknowledge": "acknowledged_at",
    "mitigate": "mitigated_at",
    "resolve": "resolved_at",
}

STAGE_LABELS: dict[str, str] = {
    "detect": "Time to detect",
    "acknowledge": "Time to acknowledge",
    "mitigate": "Time to mitigate",
    "resolve": "Time to resolve",
}


def date_only_q(field: str) -> Q:
    """Incidents whose `field` is known only to the day (listed in `date_only_times`)."""
    if connection.vendor == "postgresql":
        return Q(date_only_times__contains=[field])
    # SQLite (the embedded demo database) has no JSON containment: look inside the list with json_each.
    sql = "SELECT i.id FROM incidents_incident i, json_each(i.date_only_times) t WHERE t.value = %s"
    return Q(pk__in=RawSQL(sql, [field]))  # noqa: S611 - fixed SQL, the value passed as a parameter


def start_time_known_q() -> Q:
    """Incidents whose start is known to the minute."""
    return Q(started_at__isnull=False) & ~date_only_q("started_at")


def time_known_q(field: str) -> Q:
    """Incidents whose `field` (detected_at, acknowledged_at, mitigated_at, resolved_at) is known to the minute."""
    return Q(**{f"{field}__isnull": False}) & ~date_only_q(field)


def measured_q(stage: str) -> Q:
    """Incidents that count in the time-to-`stage` figures: both ends of the interval are known."""
    return start_time_known_q() & time_known_q(STAGES[stage])


#: Values of the incident list's `timing` filter: "<stage>-known" and "<stage>-unknown".
TIMING_CHOICES = [
    choice
    for stage, label in STAGE_LABELS.items()
    for choice in ((f"{stage}-known", f"{label}: measured"), (f"{stage}-unknown", f"{label}: not known"))
]


def timing_q(value: str) -> Q:
    """The Q for one `timing` filter value ("resolve-known", "detect-unknown", ...)."""
    stage, _, which = value.rpartition("-")
    return measured_q(stage) if which == "known" else ~measured_q(stage)
