"""Every number links to the list it counts: the list, with the URL's filters, has exactly that many rows
(minus the restricted ones the reader cannot open, which the figure reports as `hidden`)."""

import re
from datetime import date

import pytest

from dashboards.kpis import Figure, Period, Scope, breakdown, kpis

pytestmark = pytest.mark.django_db

JUNE = Period.last(30, today=date(2025, 6, 30))
TOTAL = re.compile(r"(\d+) total")


def listed(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    match = TOTAL.search(response.content.decode())
    assert match, f"no total on {url}"
    return int(match.group(1))


def count_figures(k) -> list[Figure]:
    """Every figure that counts rows of a list (not medians, not risks, which count answers)."""
    figures = [*k.headline(), *k.incidents.by_severity, k.incidents.unresolved]
    figures += [t.measured for t in k.times] + [t.unknown for t in k.times]
    pm, ai, rd = k.postmortems, k.action_items, k.readiness
    figures += [pm.required, pm.completed, pm.on_time, pm.overdue, ai.open, ai.overdue, ai.closed, ai.created]
    figures += [f for o in ai.by_origin for f in (o.open, o.overdue, o.closed)]
    figures += [rd.never_reviewed, rd.overdue, rd.accepted_launches, rd.expiring_soon]
    figures += [f for t in rd.by_tier for f in (t.services, t.never_reviewed, t.overdue)]
    figures += [r.incidents for r in (*k.repeats.services, *k.repeats.categories)]
    return [f for f in figures if f.unit == "count" and f.url and f.key not in ("high_risks", "medium_risks")]


@pytest.mark.parametrize("who", ["ada", "erin", "bob"])
@pytest.mark.parametrize("scope", ["organization", "payments", "checkout-api"])
def test_every_count_matches_its_list(org, client_as, who, scope):
    user = getattr(org, who)
    subject = {
        "organization": Scope.organization(),
        "payments": Scope.of_team(org.payments),
        "checkout-api": Scope.of_service(org.checkout),
    }[scope]
    k = kpis(scope=subject, period=JUNE, user=user)
    client = client_as(user)
    figures = count_figures(k)
    assert len(figures) > 30
    for figure in figures:
        assert listed(client, figure.url) == figure.current - figure.hidden, f"{figure.key}: {figure.url}"
    if who == "ada":
        assert not any(f.hidden for f in figures)
    if who in ("erin", "bob"):
        assert k.incidents.total.hidden == 1  # D (restricted) is in every one of these scopes


def test_series_buckets_match_the_incident_list(org, client_as):
    k = kpis(scope=Scope.organization(), period=JUNE, user=org.ada)
    client = client_as(org.ada)
    checked = 0
    for point in k.incidents.series:
        for name, url in point.urls.items():
            expected = point.total if name == "total" else point.counts[name]
            if expected:
                assert listed(client, url) == expected, url
                checked += 1
    assert checked >= 5


def test_breakdown_cells_match_their_lists(org, client_as):
    client = client_as(org.ada)
    for scope in (Scope.organization(), Scope.of_team(org.payments)):
        for row in breakdown(scope=scope, period=JUNE, user=org.ada).rows:
            for key in (
                "incidents",
                "severe",
                "postmortems_overdue",
                "actions_open",
                "actions_overdue",
                "actions_closed",
                "reviews_overdue",
                "never_reviewed",
            ):
                assert listed(client, row.urls[key]) == getattr(row, key), f"{row.slug} {key}: {row.urls[key]}"


def test_risk_figures_sum_over_the_reviews_listed(org, client_as):
    k = kpis(scope=Scope.organization(), period=JUNE, user=org.ada)
    page = client_as(org.ada).get(k.readiness.high_risks.url).content.decode()
    counts = [int(n) for n in re.findall(r'<span class="pill risk-high">(\d+)</span>', page)]
    assert sum(counts) == k.readiness.high_risks.current == 3
    assert "Checkout launch" in page and "Search readiness" in page


def test_restricted_records_are_counted_but_not_listed(org, client_as):
    k = kpis(scope=Scope.organization(), period=JUNE, user=org.erin)
    page = client_as(org.erin).get(k.incidents.total.url).content.decode()
    assert k.incidents.total.current == 5 and "4 total" in page
    assert "Card data exposure" not in page
    named = client_as(org.nina).get(k.incidents.total.url).content.decode()
    assert "5 total" in named and "Card data exposure" in named
