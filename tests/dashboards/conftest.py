"""A small fixed organization whose KPIs are computed by hand in test_kpis.py.

Time is frozen at NOW (Monday 30 June 2025, 12:00 UTC); each record is created at the moment it
would have been, so created/closed/published times are realistic. The period under test is the last
30 days (1–30 June 2025); the previous period is 2–31 May 2025.

Teams: payments (alice lead, bob member), search (charlie lead). Services: checkout-api (payments,
tier 1), payouts (payments, tier 2), ledger (payments, tier 3, retired), search-api (search, tier 2).

Incidents (started; times after the start in minutes: detected/acknowledged/mitigated/resolved):
  A payments SEV1 [checkout-api] 10 Jun 10:00   10/20/60/120     resolved; postmortem published 16 Jun (on time)
  B payments SEV2 []             12 Jun 08:00   30/–/90/240      resolved; postmortem published 25 Jun (late)
  C search   SEV3 [checkout-api] 15 Jun 09:00   5/–/–/–          still investigating
  D payments SEV1 [checkout-api] 20 Jun 00:00   20/25/30/60      RESTRICTED (nina named); postmortem overdue
  E search   SEV4 [search-api]   25 Jun 06:00   –/–/–/30         resolved; no postmortem required
  F payments SEV2 [checkout-api] 20 May 12:00   40/50/100/300    previous period; postmortem published 26 May
  G payments SEV3 []              1 Apr 09:00                    still monitoring (outside both periods)

Action items:
  X1 payments postmortem (A) created 11 Jun, due 20 Jun, open          -> overdue
  X2 payments incident   (A) created 11 Jun, due 15 Jul, in progress
  X3 payments postmortem (D) created 21 Jun, due 25 Jun, open          -> overdue, restricted
  X4 payments other          created 10 May, due 20 May, done 5 Jun
  X5 search   review (an answer of search-api's review) created 2 Jun, done 12 Jun
  X6 payments other          created 1 Apr, no due date, open
  X7 payments postmortem (F) created 21 May, won't do 28 May

Readiness: checkout-api's review approved 1 Feb 2025 (tier 1: every 90 days -> overdue), 2 high and
1 medium risk, a high risk accepted until 15 Jul 2025; search-api has only a draft review (1 high),
created 1 Jan 2025 (tier 2: due exactly today, so not overdue yet); payouts never reviewed.
"""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.utils import timezone

from incidents import services as incident_services
from incidents.defaults import ensure_factor_categories, ensure_severities
from incidents.models import ActionItem, Incident, Postmortem
from opsx.hooks import emit
from reviews.models import Answer, Review, RiskAcceptance
from teams.models import System
from tests.factories import SystemFactory, UserFactory, make_review

NOW = datetime(2025, 6, 30, 12, 0, tzinfo=UTC)
M = timedelta(minutes=1)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _defaults(db):
    ensure_factor_categories()
    return ensure_severities()


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _incident(traveller, *, team, title, level, started, times, services=(), status="resolved", **extra):
    sev = ensure_severities()
    names = ("detected_at", "acknowledged_at", "mitigated_at", "resolved_at")
    values = {name: started + minutes * M for name, minutes in zip(names, times, strict=True) if minutes is not None}
    # Declared at the moment it was resolved (or, still open, when detected), so timestamps are realistic.
    traveller.move_to(values.get("resolved_at") or values.get("detected_at") or started)
    incident = incident_services.incident_create(
        actor=None,
        team=team,
        title=title,
        severity=sev[level],
        services=services,
        started_at=started,
        status=status,
        **values,
        **extra,
    )
    return incident


def _publish(traveller, incident, when, categories):
    traveller.move_to(when)
    postmortem = Postmortem.objects.get(incident=incident)
    postmortem = incident_services.postmortem_save(
        postmortem=postmortem,
        actor=None,
        data={
            "summary": f"What happened in {incident.title}.",
            "factors": [{"category": c, "description": f"{c} played a part."} for c in categories],
        },
        expected_version=postmortem.version,
    )
    # Published as an import is (reviewed elsewhere): the review rules have their own tests.
    Postmortem.objects.filter(pk=postmortem.pk).update(status=Postmortem.Status.PUBLISHED, published_at=timezone.now())
    postmortem.refresh_from_db()
    emit("postmortem_changed", postmortem=postmortem)
    return postmortem


def _item(traveller, *, created, team, title, origin, due=None, incident=None, source=None, close=None, status=None):
    traveller.move_to(created)
    item = incident_services.action_item_create(
        actor=None, team=team, title=title, origin=origin, due_date=due, incident=incident, source=source
    )
    if close:
        traveller.move_to(close)
        reason = "Covered by another item." if status == ActionItem.Status.WONT_DO else ""
        item = incident_services.action_item_set_status(item=item, actor=None, status=status, reason=reason)
    elif status:
        item = incident_services.action_item_set_status(item=item, actor=None, status=status)
    return item


@pytest.fixture
def org(frozen, team, other_team, owner, teammate, outsider, leader, admin_user):
    """The organization described in the module docstring; returns its records by letter."""
    frozen.move_to(at(2025, 1, 1, 9))
    checkout = SystemFactory(
        name="Checkout API", slug="checkout-api", team=team, tier=1, lifecycle=System.Lifecycle.PRODUCTION
    )
    search_api = SystemFactory(
        name="Search API", slug="search-api", team=other_team, tier=2, lifecycle=System.Lifecycle.PRODUCTION
    )
    frozen.move_to(at(2024, 1, 1, 9))
    ledger = SystemFactory(name="Ledger", slug="ledger", team=team, tier=3, lifecycle=System.Lifecycle.RETIRED)
    frozen.move_to(at(2025, 6, 1, 9))
    payouts = SystemFactory(name="Payouts", slug="payouts", team=team, tier=2, lifecycle=System.Lifecycle.DESIGN)
    nina = UserFactory(username="nina")

    a = _incident(
        frozen,
        team=team,
        title="Checkout down",
        level=1,
        started=at(2025, 6, 10, 10),
        times=(10, 20, 60, 120),
        services=[checkout],
    )
    b = _incident(
        frozen, team=team, title="Refunds slow", level=2, started=at(2025, 6, 12, 8), times=(30, None, 90, 240)
    )
    c = _incident(
        frozen,
        team=other_team,
        title="Search errors on checkout",
        level=3,
        started=at(2025, 6, 15, 9),
        times=(5, None, None, None),
        services=[checkout],
        status=Incident.Status.INVESTIGATING,
    )
    d = _incident(
        frozen,
        team=team,
        title="Card data exposure",
        level=1,
        started=at(2025, 6, 20, 0),
        times=(20, 25, 30, 60),
        services=[checkout],
        restricted=True,
        access_list=[nina],
    )
    e = _incident(
        frozen,
        team=other_team,
        title="Index lag",
        level=4,
        started=at(2025, 6, 25, 6),
        times=(None, None, None, 30),
        services=[search_api],
    )
    f = _incident(
        frozen,
        team=team,
        title="Payment retries",
        level=2,
        started=at(2025, 5, 20, 12),
        times=(40, 50, 100, 300),
        services=[checkout],
    )
    g = _incident(
        frozen,
        team=team,
        title="Slow statements",
        level=3,
        started=at(2025, 4, 1, 9),
        times=(None, None, None, None),
        status=Incident.Status.MONITORING,
    )

    _publish(frozen, a, at(2025, 6, 16, 12), ["change", "detection-gap"])
    _publish(frozen, b, at(2025, 6, 25, 12), ["change"])
    _publish(frozen, f, at(2025, 5, 26, 17), ["configuration"])
    frozen.move_to(NOW)
    Postmortem.objects.filter(incident=d).update(
        factors=[
            {"category": "security", "description": "Too broad access."},
            {"category": "change", "description": "A deploy widened it."},
        ]
    )

    frozen.move_to(at(2025, 1, 15, 9))
    checkout_review = make_review(system=checkout, title="Checkout launch")
    Review.objects.filter(pk=checkout_review.pk).update(status=Review.Status.APPROVED, approved_at=at(2025, 2, 1, 9))
    answers = list(checkout_review.answers.order_by("position"))
    Answer.objects.filter(pk__in=[answers[0].pk, answers[1].pk]).update(risk="high")
    Answer.objects.filter(pk=answers[2].pk).update(risk="medium")
    frozen.move_to(at(2025, 6, 2, 9))
    search_review = make_review(system=search_api, title="Search readiness", lens_name="Test Lens")
    search_answer = search_review.answers.order_by("position").first()
    Answer.objects.filter(pk=search_answer.pk).update(risk="high")
    frozen.move_to(at(2025, 6, 20, 9))
    RiskAcceptance.objects.create(
        answer=answers[0],
        review=checkout_review,
        reason="Failover drill booked.",
        accepted_by=owner,
        expires_at=at(2025, 7, 15, 9),
    )
    # Its other high risk is accepted for longer: an approval with an unaccepted high risk reads as reopened.
    RiskAcceptance.objects.create(
        answer=answers[1],
        review=checkout_review,
        reason="Capacity added in Q4.",
        accepted_by=owner,
        expires_at=at(2025, 12, 1, 9),
    )

    o = ActionItem.Origin
    pm_a, pm_d, pm_f = (Postmortem.objects.get(incident=i) for i in (a, d, f))
    x1 = _item(
        frozen,
        created=at(2025, 6, 11, 9),
        team=team,
        title="Alert on pool saturation",
        origin=o.POSTMORTEM,
        due=at(2025, 6, 20).date(),
        incident=a,
        source=pm_a,
    )
    x2 = _item(
        frozen,
        created=at(2025, 6, 11, 10),
        team=team,
        title="Canary config changes",
        origin=o.INCIDENT,
        due=at(2025, 7, 15).date(),
        incident=a,
        source=a,
        status=ActionItem.Status.IN_PROGRESS,
    )
    x3 = _item(
        frozen,
        created=at(2025, 6, 21, 9),
        team=team,
        title="Rotate exposed keys",
        origin=o.POSTMORTEM,
        due=at(2025, 6, 25).date(),
        incident=d,
        source=pm_d,
    )
    x4 = _item(
        frozen,
        created=at(2025, 5, 10, 12),
        team=team,
        title="Document refunds",
        origin=o.OTHER,
        due=at(2025, 5, 20).date(),
        close=at(2025, 6, 5, 12),
        status=ActionItem.Status.DONE,
    )
    x5 = _item(
        frozen,
        created=at(2025, 6, 2, 12),
        team=other_team,
        title="Improve: Question 0",
        origin=o.REVIEW,
        source=search_answer,
        close=at(2025, 6, 12, 12),
        status=ActionItem.Status.DONE,
    )
    x6 = _item(frozen, created=at(2025, 4, 1, 12), team=team, title="Tidy dashboards", origin=o.OTHER)
    x7 = _item(
        frozen,
        created=at(2025, 5, 21, 12),
        team=team,
        title="Retry budget",
        origin=o.POSTMORTEM,
        incident=f,
        source=pm_f,
        close=at(2025, 5, 28, 12),
        status=ActionItem.Status.WONT_DO,
    )
    frozen.move_to(NOW)
    return SimpleNamespace(
        payments=team,
        search=other_team,
        checkout=checkout,
        search_api=search_api,
        ledger=ledger,
        payouts=payouts,
        a=a,
        b=b,
        c=c,
        d=d,
        e=e,
        f=f,
        g=g,
        x1=x1,
        x2=x2,
        x3=x3,
        x4=x4,
        x5=x5,
        x6=x6,
        x7=x7,
        alice=owner,
        bob=teammate,
        charlie=outsider,
        erin=leader,
        ada=admin_user,
        nina=nina,
        checkout_review=checkout_review,
        search_review=search_review,
    )
