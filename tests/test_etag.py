"""ETags and If-Match (opsx.etag): the parser, and the same answers on every versioned resource.

Incidents (PATCH and the one-click status action), postmortems and review answers all go through
the one helper, so `*`, weak/strong forms, lists and garbage behave identically everywhere.
"""

import pytest

from opsx.etag import IfMatch, InvalidIfMatch, format_etag, parse_if_match

# --- the parser ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value,expected",
    [
        ("*", IfMatch(any=True)),
        ("  *  ", IfMatch(any=True)),
        ('"3"', IfMatch(tags=frozenset({"3"}))),
        ('W/"3"', IfMatch(tags=frozenset({"3"}))),
        ('W/"3", "4"', IfMatch(tags=frozenset({"3", "4"}))),
        (' "3" ,W/"4",, "5"', IfMatch(tags=frozenset({"3", "4", "5"}))),
        ('"answer-1-v2"', IfMatch(tags=frozenset({"answer-1-v2"}))),
    ],
)
def test_valid_if_match_values(value, expected):
    assert parse_if_match(value) == expected


@pytest.mark.parametrize(
    "value", ["", " ", "3", "W/3", 'w/"3"', 'W/ "3"', '"3" "4"', '"3", *', "*, *", 'W/"', '"3', 'abc"', '"a b"', ","]
)
def test_garbage_is_refused(value):
    with pytest.raises(InvalidIfMatch):
        parse_if_match(value)


def test_matching_ignores_the_weak_flag_and_star_matches_any_version():
    assert parse_if_match('W/"3"').matches(3) and parse_if_match('"3"').matches(3)
    assert not parse_if_match('W/"3"').matches(4)
    assert parse_if_match('"2", W/"4"').matches(4)
    star = parse_if_match("*")
    assert star.matches(1) and star.matches(999) and star.expected_version(7) is None
    assert parse_if_match('"7"').expected_version(7) == 7
    assert format_etag(7) == 'W/"7"'


# --- every versioned resource answers the same way -------------------------------------------------


@pytest.fixture
def resources(db, team, owner, service):
    """name -> (url to GET, method, url to write, body for the n-th write, version reader)."""
    from django.utils import timezone

    from incidents import services as incident_services
    from incidents.defaults import ensure_factor_categories, ensure_severities
    from incidents.models import Incident, Postmortem
    from reviews.defaults import ensure_defaults
    from reviews.models import Answer
    from tests.factories import make_review

    sev = ensure_severities()
    ensure_factor_categories()
    ensure_defaults()
    incident = incident_services.incident_create(
        actor=owner, team=team, title="Checkout errors", severity=sev[3], started_at=timezone.now()
    )
    other = incident_services.incident_create(
        actor=owner, team=team, title="Slow search", severity=sev[3], started_at=timezone.now()
    )
    postmortem = incident_services.postmortem_start(incident=incident, actor=owner)
    answer = make_review(system=service).answers.get(question_id="q001")
    statuses = ["identified", "monitoring", "investigating", "identified", "monitoring"]
    return {
        "incident": (
            f"/api/v1/incidents/{incident.pk}/",
            "patch",
            f"/api/v1/incidents/{incident.pk}/",
            lambda n: {"title": f"Checkout errors {n}"},
            lambda: Incident.objects.get(pk=incident.pk).version,
        ),
        "incident status": (
            f"/api/v1/incidents/{other.pk}/",
            "post",
            f"/api/v1/incidents/{other.pk}/status/",
            lambda n: {"status": statuses[n]},
            lambda: Incident.objects.get(pk=other.pk).version,
        ),
        "postmortem": (
            f"/api/v1/postmortems/{postmortem.pk}/",
            "patch",
            f"/api/v1/postmortems/{postmortem.pk}/",
            lambda n: {"summary": f"Summary {n}"},
            lambda: Postmortem.objects.get(pk=postmortem.pk).version,
        ),
        "answer": (
            f"/api/v1/answers/{answer.pk}/",
            "patch",
            f"/api/v1/answers/{answer.pk}/",
            lambda n: {"selected": [["q001_a"], ["q001_b"], ["q001_a", "q001_b"], []][n % 4]},
            lambda: Answer.objects.get(pk=answer.pk).version,
        ),
    }


RESOURCES = ["incident", "incident status", "postmortem", "answer"]


def _write(client, spec, n, **headers):
    _get, method, url, body, _version = spec
    return getattr(client, method)(url, body(n), format="json", **headers)


@pytest.mark.parametrize("name", RESOURCES)
def test_reads_carry_the_etag_of_the_version(api_as, owner, resources, name):
    get_url, *_rest, version = resources[name]
    response = api_as(owner).get(get_url)
    assert response.status_code == 200 and response["ETag"] == format_etag(version()) == 'W/"1"'


@pytest.mark.parametrize("name", RESOURCES)
def test_missing_if_match_is_428_and_changes_nothing(api_as, owner, resources, name):
    spec = resources[name]
    response = _write(api_as(owner), spec, 0)
    assert response.status_code == 428
    assert response.json()["error"]["code"] == "precondition_required"
    assert spec[-1]() == 1


@pytest.mark.parametrize("name", RESOURCES)
@pytest.mark.parametrize("garbage", ["1", "W/1", '"1" "2"', '"1", *', "W/", "version 1"])
def test_malformed_if_match_is_400_naming_the_header(api_as, owner, resources, name, garbage):
    spec = resources[name]
    response = _write(api_as(owner), spec, 0, HTTP_IF_MATCH=garbage)
    assert response.status_code == 400
    assert "If-Match" in response.json()["error"]["fields"]
    assert spec[-1]() == 1


@pytest.mark.parametrize("name", RESOURCES)
@pytest.mark.parametrize("form", ['W/"1"', '"1"', 'W/"7", "1"', '"0",W/"1"'])
def test_weak_strong_and_listed_etags_naming_the_current_version_write(api_as, owner, resources, name, form):
    spec = resources[name]
    response = _write(api_as(owner), spec, 0, HTTP_IF_MATCH=form)
    assert response.status_code == 200, response.content
    assert response["ETag"] == 'W/"2"' and spec[-1]() == 2


@pytest.mark.parametrize("name", RESOURCES)
def test_stale_etags_are_412_with_the_current_etag(api_as, owner, teammate, resources, name):
    spec = resources[name]
    assert _write(api_as(owner), spec, 0, HTTP_IF_MATCH='W/"1"').status_code == 200
    for stale in ('W/"1"', '"1"', 'W/"1", "3"', '"answer-1-v1"'):
        response = _write(api_as(teammate), spec, 1, HTTP_IF_MATCH=stale)
        assert response.status_code == 412, stale
        error = response.json()["error"]
        assert error["code"] == "precondition_failed" and error["current_version"] == 2
        assert response["ETag"] == 'W/"2"'
    assert spec[-1]() == 2


@pytest.mark.parametrize("name", RESOURCES)
def test_star_writes_over_any_current_version(api_as, owner, teammate, resources, name):
    spec = resources[name]
    assert _write(api_as(owner), spec, 0, HTTP_IF_MATCH='W/"1"').status_code == 200
    response = _write(api_as(teammate), spec, 1, HTTP_IF_MATCH="*")
    assert response.status_code == 200 and response["ETag"] == 'W/"3"'
    response = _write(api_as(teammate), spec, 2, HTTP_IF_MATCH=" * ")
    assert response.status_code == 200 and spec[-1]() == 4


@pytest.mark.parametrize("name", RESOURCES)
def test_star_does_not_open_what_the_caller_may_not_change(api_as, outsider, resources, name):
    spec = resources[name]
    assert _write(api_as(outsider), spec, 0, HTTP_IF_MATCH="*").status_code in (403, 404)
    assert spec[-1]() == 1
