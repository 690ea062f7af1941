"""Each KPI against the answer computed by hand from the fixed organization in conftest.py."""

from datetime import date

import pytest

from dashboards.kpis import Filters, Period, Scope, breakdown, kpis
from incidents.defaults import ensure_severities

pytestmark = pytest.mark.django_db

JUNE = Period.last(30, today=date(2025, 6, 30))
MIN = 60


def org_kpis(user, **filters):
    return kpis(scope=Scope.organization(), period=JUNE, user=user, filters=Filters(**filters))


def values(figure):
    return figure.current, figure.previous


def test_period_arithmetic():
    assert (JUNE.start, JUNE.end, JUNE.days) == (date(2025, 6, 1), date(2025, 6, 30), 30)
    assert (JUNE.previous.start, JUNE.previous.end) == (date(2025, 5, 2), date(2025, 5, 31))
    quarter = Period.quarter(today=date(2025, 8, 14))
    assert (quarter.start, quarter.end, quarter.previous.start) == (
        date(2025, 7, 1),
        date(2025, 8, 14),
        date(2025, 5, 17),
    )
    assert [b[0] for b in Period.named("custom", start=date(2025, 1, 30), end=date(2025, 4, 2)).buckets()][:2] == [
        date(2025, 1, 27),
        date(2025, 2, 3),
    ]
    assert Period.last(365, today=date(2025, 6, 30)).bucket == "month"


def test_incident_counts_include_restricted_and_say_how_many_are_hidden(org):
    k = org_kpis(org.erin)
    assert values(k.incidents.total) == (5, 1)  # A B C D E; F
    assert k.incidents.total.hidden == 1  # D is restricted; leadership does not open it
    assert {f.label: values(f) for f in k.incidents.by_severity} == {
        "SEV1": (2, 0),
        "SEV2": (1, 1),
        "SEV3": (1, 0),
        "SEV4": (1, 0),
        "SEV5": (0, 0),
    }
    assert values(k.incidents.severe) == (3, 1)
    assert k.incidents.open_now.current == 2  # C and G (G started long before the period)
    assert k.incidents.unresolved.current == 1  # C
    assert sum(p.total for p in k.incidents.series) == 5
    assert org_kpis(org.ada).incidents.total.hidden == 0  # admins open everything
    assert org_kpis(org.nina).incidents.total.hidden == 0  # named on D


def test_time_to_x_leaves_out_unknown_times_and_open_incidents(org):
    times = {t.stage: t for t in org_kpis(org.erin).times}
    detect, ack, mitigate, resolve = (times[s] for s in ("detect", "acknowledge", "mitigate", "resolve"))
    # detect: A 10, B 30, C 5, D 20 minutes; E has no detection time.
    assert (detect.measured.current, detect.unknown.current) == (4, 1)
    assert detect.median.current == pytest.approx(15 * MIN)
    assert detect.p90.current == pytest.approx(1620)  # 20m + 0.7 × 10m, interpolated as percentile_cont does
    # acknowledge: only A 20 and D 25.
    assert (ack.measured.current, ack.unknown.current) == (2, 3)
    assert ack.median.current == pytest.approx(22.5 * MIN)
    # mitigate: A 60, B 90, D 30; C is open, E never mitigated.
    assert (mitigate.measured.current, mitigate.unknown.current) == (3, 2)
    assert mitigate.median.current == pytest.approx(60 * MIN)
    assert mitigate.p90.current == pytest.approx(84 * MIN)
    # resolve: A 120, B 240, D 60, E 30; C unresolved is not a zero.
    assert (resolve.measured.current, resolve.unknown.current) == (4, 1)
    assert resolve.median.current == pytest.approx(90 * MIN)
    assert resolve.p90.current == pytest.approx(204 * MIN)
    # previous period: F only.
    assert (detect.median.previous, resolve.median.previous, resolve.measured.previous) == (40 * MIN, 300 * MIN, 1)


def test_postmortems(org):
    pm = org_kpis(org.erin).postmortems
    assert values(pm.required) == (3, 1)  # A B D (E is SEV4: no postmortem required); F
    assert pm.required.hidden == 1  # D
    assert values(pm.completed) == (2, 1)  # A B; F
    assert values(pm.on_time) == (1, 1)  # A (due 17 Jun, published 16 Jun); B was due 19 Jun; F
    assert pm.days_to_publish.current == pytest.approx(9.5)  # A 6 days, B 13 days after resolution
    assert pm.days_to_publish.previous == pytest.approx(6.0)
    assert values(pm.overdue) == (1, 0)  # D, due 27 Jun; nothing was overdue on 1 Jun
    assert pm.overdue.hidden == 1


def test_action_items(org):
    ai = org_kpis(org.erin).action_items
    assert values(ai.open) == (4, 2)  # X1 X2 X3 X6; on 1 Jun: X4 and X6
    assert ai.open.hidden == 1  # X3 belongs to the restricted incident
    assert values(ai.overdue) == (2, 1)  # X1 X3; on 1 Jun: X4
    assert values(ai.closed) == (2, 1)  # X4 X5; X7
    assert values(ai.created) == (4, 2)  # X1 X2 X3 X5; X4 X7
    assert ai.days_to_close.current == pytest.approx(18.0)  # X4 26 days, X5 10 days
    assert ai.days_to_close.previous == pytest.approx(7.0)
    by_origin = {o.origin: (o.open.current, o.overdue.current, o.closed.current) for o in ai.by_origin}
    assert by_origin == {
        "postmortem": (2, 2, 0),
        "incident": (1, 0, 0),
        "review": (0, 0, 1),
        "game_day": (0, 0, 0),
        "other": (1, 0, 1),
    }


def test_a_time_known_only_to_the_day_is_unknown_not_measured(org):
    """An imported record's times are known to the day only (`date_only_times`): they count as unknown,
    exactly like `Incident.time_to_*`, and the drill-down filter agrees."""
    from incidents.filters import IncidentFilterSet
    from incidents.models import Incident

    Incident.objects.filter(pk=org.b.pk).update(date_only_times=["resolved_at"])
    assert Incident.objects.get(pk=org.b.pk).time_to_resolve is None
    resolve = {t.stage: t for t in org_kpis(org.erin).times}["resolve"]
    assert (resolve.measured.current, resolve.unknown.current) == (3, 2)  # A D E; B joins E
    assert resolve.median.current == pytest.approx(60 * MIN)  # A 120, D 60, E 30
    unknown = IncidentFilterSet({"timing": "resolve-unknown"}, queryset=Incident.objects.all()).qs
    assert org.b.pk in set(unknown.values_list("pk", flat=True))
    Incident.objects.filter(pk=org.a.pk).update(date_only_times=["started_at"])
    times = {t.stage: t for t in org_kpis(org.erin).times}
    assert times["detect"].measured.current == 3  # an unknown start leaves out every stage of A


def test_readiness(org):
    rd = org_kpis(org.erin).readiness
    assert rd.never_reviewed.current == 2  # search-api (a draft only), payouts; the retired ledger does not count
    assert rd.overdue.current == 1  # checkout-api: approved 1 Feb, tier 1 every 90 days; search-api is due today
    assert (rd.high_risks.current, rd.medium_risks.current) == (3, 1)
    assert (rd.accepted_launches.current, rd.expiring_soon.current) == (1, 1)
    assert [(x.title, x.accepted_risks) for x in rd.launches] == [("Checkout launch", 2)]
    tiers = {t.tier: (t.services.current, t.never_reviewed.current, t.overdue.current) for t in rd.by_tier}
    assert tiers == {1: (1, 0, 1), 2: (2, 2, 0), 3: (0, 0, 0), 4: (0, 0, 0)}


def test_repeats(org):
    repeats = org_kpis(org.erin).repeats
    assert [(r.key, values(r.incidents)) for r in repeats.services] == [("checkout-api", (3, 1))]  # A C D; F
    assert [(r.key, r.incidents.current) for r in repeats.categories] == [
        ("change", 3),
        ("detection-gap", 1),
        ("security", 1),
    ]


def test_team_scope_counts_incidents_affecting_the_teams_services(org):
    k = kpis(scope=Scope.of_team(org.payments), period=JUNE, user=org.erin)
    assert values(k.incidents.total) == (4, 1)  # A B C (search's, but on checkout-api) D; F
    assert k.incidents.open_now.current == 2  # C G
    assert values(k.action_items.open) == (4, 2)
    assert values(k.action_items.closed) == (1, 1)  # X4; X7 (X5 is search's)
    assert (k.readiness.never_reviewed.current, k.readiness.overdue.current) == (1, 1)  # payouts; checkout-api
    search = kpis(scope=Scope.of_team(org.search), period=JUNE, user=org.erin)
    assert values(search.incidents.total) == (2, 0)  # C E
    assert search.action_items.closed.current == 1  # X5


def test_service_scope(org):
    k = kpis(scope=Scope.of_service(org.search_api), period=JUNE, user=org.erin)
    assert values(k.incidents.total) == (1, 0)  # E
    assert k.action_items.closed.current == 1  # X5 comes from search-api's review
    assert k.postmortems.required.current == 0
    assert k.readiness.never_reviewed.current == 1
    assert [t.tier for t in k.readiness.by_tier] == [2]  # only the service's own tier
    assert k.breakdown is None
    checkout = kpis(scope=Scope.of_service(org.checkout), period=JUNE, user=org.erin)
    assert values(checkout.incidents.total) == (3, 1)
    assert values(checkout.action_items.open) == (3, 0)  # X1 X2 X3 (their incidents affected checkout-api)


def test_filters_by_severity_and_tier(org):
    sev = ensure_severities()
    k = org_kpis(org.erin, severities=(sev[1], sev[2]))
    assert values(k.incidents.total) == (3, 1)
    assert k.action_items.open.current == 3  # X1 X2 X3: X6 comes from no incident
    tier2 = org_kpis(org.erin, tiers=(2,))
    assert values(tier2.incidents.total) == (1, 0)  # E on search-api
    assert tier2.readiness.never_reviewed.current == 2


def test_empty_period_has_zeros_and_no_medians(org):
    quiet = kpis(
        scope=Scope.organization(),
        period=Period.named("custom", start=date(2024, 1, 1), end=date(2024, 1, 31)),
        user=org.erin,
    )
    assert quiet.incidents.total.current == 0
    assert all(t.median.current is None and t.p90.current is None for t in quiet.times)
    assert quiet.postmortems.days_to_publish.current is None
    assert quiet.repeats.services == [] and quiet.repeats.categories == []
    assert all(p.total == 0 for p in quiet.incidents.series)


def test_breakdown_by_team_is_ranked_with_reasons(org):
    rows = {r.slug: r for r in breakdown(scope=Scope.organization(), period=JUNE, user=org.erin).rows}
    payments, search = rows["payments"], rows["search"]
    assert (payments.incidents, payments.incidents_prev, payments.incidents_hidden) == (4, 1, 1)
    assert (payments.severe, payments.resolve_median) == (3, pytest.approx(120 * MIN))  # D 60, A 120, B 240
    assert (payments.postmortems_overdue, payments.actions_open, payments.actions_overdue) == (1, 4, 2)
    assert (payments.actions_closed, payments.actions_closed_prev) == (1, 1)
    assert (payments.reviews_overdue, payments.never_reviewed, payments.high_risks) == (1, 1, 2)
    assert payments.score == 3 * 1 + 2 * 3 + 2 * 1 + 2 + 2 + 1
    assert payments.reasons[:2] == ["1 overdue postmortem", "3 SEV1–2 incidents"]
    assert (search.incidents, search.resolve_median, search.never_reviewed, search.high_risks, search.score) == (
        2,
        pytest.approx(30 * MIN),
        1,
        1,
        2,
    )
    assert list(rows) == ["payments", "search"]  # worst first


def test_breakdown_by_service_for_a_team(org):
    data = breakdown(scope=Scope.of_team(org.payments), period=JUNE, user=org.erin)
    rows = {r.slug: r for r in data.rows}
    assert set(rows) == {"checkout-api", "payouts", "ledger"} and data.total == 3
    checkout = rows["checkout-api"]
    assert (checkout.incidents, checkout.severe, checkout.resolve_median) == (3, 2, pytest.approx(90 * MIN))
    assert (checkout.actions_open, checkout.actions_overdue, checkout.actions_closed_prev) == (3, 2, 1)
    assert (checkout.postmortems_overdue, checkout.reviews_overdue, checkout.high_risks) == (1, 1, 2)
    assert rows["payouts"].never_reviewed == 1 and rows["ledger"].score == 0
    assert data.rows[0].slug == "checkout-api"


def test_headline_and_json(org):
    k = org_kpis(org.erin)
    keys = [f.key for f in k.headline()]
    assert keys[:4] == ["incidents", "severe_incidents", "open_incidents", "resolve_median"]
    data = k.as_dict()
    assert data["incidents"]["total"] == {
        "key": "incidents",
        "label": "Incidents",
        "current": 5,
        "previous": 1,
        "change": 4,
        "unit": "count",
        "url": k.incidents.total.url,
        "hidden": 1,
    }
    assert data["hidden"] == {"incidents": 1, "postmortems": 1, "action_items": 1}  # D, its postmortem, X3
    assert data["period"]["previous_start"] == "2025-05-02"
