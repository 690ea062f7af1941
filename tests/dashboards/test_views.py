"""Dashboard pages: who sees them, what they never name, htmx filtering, bad input, CSV, query counts."""

import csv
import io
import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dashboards.kpis import DEFINITIONS, Period, Scope, kpis
from dashboards.tables import TABLE_NAMES, csv_value, display, tables
from tests.dashboards.conftest import at
from tests.factories import ActionItemFactory, IncidentFactory, TeamFactory

pytestmark = pytest.mark.django_db

JUNE = Period.last(30, today=date(2025, 6, 30))
PAGES = [
    "/dashboards/?period=30d",
    "/dashboards/teams/payments/?period=30d",
    "/dashboards/services/checkout-api/?period=30d",
]
SECRET = "Card data exposure"  # the restricted incident's title


@pytest.mark.parametrize("who", ["alice", "bob", "charlie", "erin", "ada", "nina"])
def test_every_signed_in_reader_gets_every_dashboard(org, client_as, who):
    client = client_as(getattr(org, who))
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'id="dashboard"' in response.content.decode()


def test_anonymous_readers_are_sent_to_sign_in(client, org):
    for url in [*PAGES, "/dashboards/export/headline.csv", "/dashboards/definitions/"]:
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_unknown_team_or_service_is_404(org, client_as):
    client = client_as(org.erin)
    assert client.get("/dashboards/teams/nope/").status_code == 404
    assert client.get("/dashboards/services/nope/").status_code == 404
    assert client.get("/dashboards/export/nope.csv").status_code == 404
    assert client.get("/dashboards/services/checkout-api/export/breakdown.csv").status_code == 404


@pytest.mark.parametrize("who,hidden", [("erin", True), ("bob", True), ("charlie", True), ("ada", False)])
def test_restricted_incidents_are_counted_never_named(org, client_as, who, hidden):
    client = client_as(getattr(org, who))
    for url in PAGES:
        page = client.get(url).content.decode()
        assert SECRET not in page
        assert ("1 restricted incident" in page) is hidden, url
    exports = [client.get(f"/dashboards/export/{name}.csv?period=30d") for name in TABLE_NAMES]
    assert all(SECRET not in b"".join(r.streaming_content).decode() for r in exports)
    assert SECRET not in client.get("/api/v1/metrics/?period=30d").content.decode()
    assert (
        '<p class="kpi-value"><a href="/incidents/?started_after=2025-06-01&amp;started_before=2025-06-30">5</a>'
        in (client.get(PAGES[0]).content.decode())
    )  # the true number, for everyone


def test_leadership_home_is_the_organization_dashboard(org, client_as):
    page = client_as(org.erin).get("/").content.decode()
    assert "<h1>Organization dashboard</h1>" in page and 'id="kpi-incidents"' in page
    member = client_as(org.alice).get("/").content.decode()
    assert "Organization dashboard" not in member and 'href="/dashboards/"' in member
    assert 'href="/dashboards/teams/payments/"' in member


def test_team_and_service_pages_link_to_their_dashboards(org, client_as):
    client = client_as(org.bob)
    assert 'href="/dashboards/teams/payments/"' in client.get("/teams/payments/").content.decode()
    assert 'href="/dashboards/services/checkout-api/"' in client.get("/services/checkout-api/").content.decode()


def test_filters_update_over_htmx_and_the_url_is_shareable(org, client_as):
    client = client_as(org.erin)
    response = client.get("/dashboards/?period=30d&team=search", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body and body.lstrip().startswith('<div id="dashboard"')
    assert "HX-Request" in response["Vary"]
    card = re.search(r'id="kpi-incidents".*?</article>', body, re.S).group(0)
    assert ">2</a>" in card  # C and E
    full = client.get("/dashboards/?period=30d&team=search").content.decode()
    assert 'hx-push-url="true"' in full and 'hx-target="#dashboard"' in full
    assert 'value="search" checked' in full  # the shared link opens with the same filter ticked


@pytest.mark.parametrize(
    "query,message",
    [
        ("period=custom", "A custom range needs a first day."),
        ("period=custom&start=2025-06-10&end=2025-06-01", "The last day must not be before the first day."),
        ("period=custom&start=2025-06-10&end=2025-07-10", "The last day must not be in the future."),
        ("period=forever", "Select a valid choice."),
        ("severity=SEV9", "Select a valid choice."),
        ("tier=7", "Select a valid choice."),
        ("start=not-a-date&period=custom", "Enter a valid date."),
    ],
)
def test_bad_filters_get_a_form_error(org, client_as, query, message):
    client = client_as(org.erin)
    response = client.get(f"/dashboards/?{query}")
    assert response.status_code == 200 and message in response.content.decode()
    assert 'id="kpi-incidents"' not in response.content.decode()
    csv_response = client.get(f"/dashboards/export/headline.csv?{query}")
    assert csv_response.status_code == 400 and message in csv_response.content.decode()
    api = client.get(f"/api/v1/metrics/?{query}")
    assert api.status_code == 400 and api.json()["error"]["fields"]


def test_a_custom_range_is_used(org, client_as):
    page = client_as(org.erin).get("/dashboards/?period=custom&start=2025-05-01&end=2025-05-31").content.decode()
    assert "1 May 2025 – 31 May 2025" in page
    card = re.search(r'id="kpi-incidents".*?</article>', page, re.S).group(0)
    assert "started_after=2025-05-01" in card and ">1</a>" in card  # F


def _csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    assert response.streaming
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.parametrize("scope", ["organization", "team", "service"])
def test_csv_tables_are_the_page_tables(org, client_as, scope):
    user = org.erin
    subject, base = {
        "organization": (Scope.organization(), "/dashboards"),
        "team": (Scope.of_team(org.payments), "/dashboards/teams/payments"),
        "service": (Scope.of_service(org.checkout), "/dashboards/services/checkout-api"),
    }[scope]
    expected = tables(kpis(scope=subject, period=JUNE, user=user))
    client = client_as(user)
    page = client.get(f"{base}/?period=30d").content.decode()
    for name in TABLE_NAMES:
        if name not in expected:
            assert client.get(f"{base}/export/{name}.csv?period=30d").status_code == 404
            continue
        response = client.get(f"{base}/export/{name}.csv?period=30d")
        assert "attachment;" in response["Content-Disposition"] and name in response["Content-Disposition"]
        rows = _csv(response)
        table = expected[name]
        assert rows[0] == [c.csv_label for c in table.columns]
        as_text = [
            [str(csv_value(cell.unit or col.unit, cell.value)) for col, cell in zip(table.columns, row, strict=True)]
            for row in table.rows
        ]
        if name == "attention":  # the CSV ranks every row with a score, the page the first five
            assert rows[1:][: len(as_text)] == as_text
        else:
            assert rows[1:] == as_text, name
        for row in table.paired_rows if name != "breakdown" else []:
            for col, cell in row:
                if col.numeric and cell.value is not None:
                    assert display(cell.value, cell.unit or col.unit) in page, (name, col.key)


def test_breakdown_csv_has_every_team_while_the_page_shows_the_worst(org, client_as):
    TeamFactory.create_batch(21)
    client = client_as(org.erin)
    rows = _csv(client.get("/dashboards/export/breakdown.csv?period=30d"))
    assert len(rows) == 1 + 23
    assert rows[1][0] == "Payments"  # worst first
    page = client.get("/dashboards/?period=30d").content.decode()
    heat = page[page.index('id="table-breakdown"') :]
    assert heat.count('<th scope="row">') == 20 and "CSV of all 23" in page


def test_the_api_agrees_with_the_page(org, client_as):
    client = client_as(org.erin)
    data = client.get("/api/v1/metrics/?period=30d").json()
    page = client.get("/dashboards/?period=30d").content.decode()
    for figure in data["headline"]:
        card = re.search(rf'id="kpi-{figure["key"]}".*?</article>', page, re.S).group(0)
        assert f">{display(figure['current'], figure['unit'])}<" in card, figure["key"]
    assert data["incidents"]["total"]["current"] == 5 and data["incidents"]["total"]["hidden"] == 1


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_queries_per_request_do_not_grow_with_data(org, client_as, frozen):
    client = client_as(org.erin)
    urls = [
        "/dashboards/?period=30d",
        "/dashboards/teams/payments/?period=30d",
        "/api/v1/metrics/?period=30d",
        "/dashboards/export/breakdown.csv?period=30d",
    ]
    before = [_queries(client, url) for url in urls]
    teams = TeamFactory.create_batch(10)
    for i in range(40):
        frozen.move_to(at(2025, 6, 1 + i % 28, 8))
        incident = IncidentFactory(team=teams[i % 10] if i % 2 else org.payments, started_at=at(2025, 6, 1 + i % 28, 7))
        ActionItemFactory(team=incident.team, incident=incident, due_date=date(2025, 6, 2))
    frozen.move_to(at(2025, 6, 30, 12))
    after = [_queries(client, url) for url in urls]
    assert after == before
    assert before[0] <= 30


def test_definitions_page_explains_every_kpi(org, client_as):
    page = client_as(org.bob).get("/dashboards/definitions/").content.decode()
    for _section, items in DEFINITIONS:
        for label, _text in items:
            assert f"<dt>{label}</dt>" in page.replace("&amp;", "&")


def test_docs_define_the_same_kpis():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "dashboards.md").read_text()
    for _section, items in DEFINITIONS:
        for label, _text in items:
            assert label in doc, label


def test_the_navigation_leads_to_the_dashboards_and_marks_them_current(org, client_as):
    client = client_as(org.alice)
    nav = '<a href="/dashboards/" aria-current="page">Dashboards</a>'
    assert '<a href="/dashboards/" >Dashboards</a>' in client.get("/incidents/").content.decode()
    assert nav in client.get("/dashboards/").content.decode()
    assert nav in client.get("/dashboards/teams/payments/").content.decode()
