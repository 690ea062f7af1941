"""factory_boy factories, one per model. Apps append theirs below."""

import factory
from django.utils import timezone

from incidents.defaults import ensure_severities
from incidents.models import ActionItem, Incident, TimelineEntry
from teams.models import Membership, System, Team, User
from teams.permissions import TeamRole


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    org_role = User.OrgRole.MEMBER
    password = factory.PostGenerationMethodCall("set_password", "pw")

    @factory.post_generation
    def _save(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.save()


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")
    description = "A team."
    timezone = "UTC"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    team = factory.SubFactory(TeamFactory)
    role = TeamRole.MEMBER


class SystemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = System

    name = factory.Sequence(lambda n: f"Service {n}")
    slug = factory.Sequence(lambda n: f"service-{n}")
    team = factory.SubFactory(TeamFactory)
    tier = 2


class IncidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Incident
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Incident {n}")
    severity = factory.LazyFunction(lambda: ensure_severities()[2])
    team = factory.SubFactory(TeamFactory)
    started_at = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(hours=3))


class TimelineEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimelineEntry

    incident = factory.SubFactory(IncidentFactory)
    body = "Something happened."


class ActionItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActionItem

    title = factory.Sequence(lambda n: f"Action {n}")
    team = factory.SubFactory(TeamFactory)


# --- incidents ---


class PostmortemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "incidents.Postmortem"

    incident = factory.SubFactory(IncidentFactory)
    summary = "A cache node failed and the fallback path was slower than we thought."


class PostmortemCommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "incidents.PostmortemComment"

    postmortem = factory.SubFactory(PostmortemFactory)
    body = "Could we say which alert fired first?"


# --- reviews ---


def make_lens_yaml(*, name: str = "Test Lens", questions: int = 5, description: str = "A lens for tests.") -> str:
    """An opsx YAML lens with `questions` questions (20 per pillar), each with two practices and a none-choice."""
    import yaml

    pillars = []
    for p in range((questions + 19) // 20):
        qs = []
        for i in range(p * 20, min(questions, (p + 1) * 20)):
            qs.append(
                {
                    "id": f"q{i:03d}",
                    "title": f"Question {i}",
                    "description": f"Is practice {i} in place?",
                    "choices": [
                        {"id": f"q{i:03d}_a", "title": "Practice A", "improvement_plan": {"text": f"Adopt A for {i}"}},
                        {"id": f"q{i:03d}_b", "title": "Practice B", "improvement_plan": {"text": f"Adopt B for {i}"}},
                        {"id": f"q{i:03d}_no", "title": "None of these"},
                    ],
                    "risk_rules": [
                        {"condition": f"q{i:03d}_a && q{i:03d}_b", "risk": "NO_RISK"},
                        {"condition": f"q{i:03d}_a", "risk": "MEDIUM_RISK"},
                        {"condition": "default", "risk": "HIGH_RISK"},
                    ],
                }
            )
        pillars.append({"id": f"pillar{p}", "name": f"Pillar {p}", "questions": qs})
    doc = {"format": "opsx-lens/v1", "name": name, "description": description, "pillars": pillars}
    return yaml.safe_dump(doc, sort_keys=False)


#: Warning lines `make_wild_aws_lens()` produces, in order: one per repair the reader makes.
WILD_LENS_WARNINGS = [
    "_release_note: unknown key; ignored",
    "pillars[0].questions[1].title: bare NaN token (not JSON); read as the text 'NaN'",
    "pillars[0].questions[1].helpfulResource.url: spaces around the URL; removed",
    "pillars[0].questions[1].choices[0].helpfulResource.Url: wrong capitalisation; "
    "read as 'url' (keys are case-sensitive)",
    "pillars[0].questions[1].choices[0].helpfulResource.Url: spaces inside the URL; written as %20",
    "pillars[0].questions[1].choices[1].id: 'wild_q2_none' does not end in '_no'; "
    "read as the question's 'None of these' choice, as its title says",
    "pillars[0].questions[0].riskRules: no 'default' rule; an answer that matches none of the rules gets NO_RISK",
]


def make_wild_aws_lens(*, name: str = "Wild Lens") -> str:
    """An AWS custom lens JSON with the quirks of published files, which the AWS tool accepts.

    Two questions: the first has no `default` rule; the second has a bare NaN title, URLs with
    spaces, `Url` capitalised, a choice `description`, `additionalResources`, a question-level
    `helpfulResource` and a "None of these" choice whose id does not end in `_no`.
    """
    import json

    plan = {"displayText": "Write it down."}
    doc = {
        "schemaVersion": "2021-11-01",
        "name": name,
        "description": "Lens files as found in the wild.",
        "_release_note": "not part of the format",
        "pillars": [
            {
                "id": "wild_pillar",
                "name": "Wild",
                "questions": [
                    {
                        "id": "wild_q1",
                        "title": "Is there a runbook?",
                        "description": "",
                        "choices": [
                            {"id": "wild_q1_a", "title": "Runbook exists", "improvementPlan": plan},
                            {"id": "wild_q1_b", "title": "Runbook tested", "improvementPlan": plan},
                        ],
                        "riskRules": [
                            {"condition": "wild_q1_a && wild_q1_b", "risk": "NO_RISK"},
                            {"condition": "!wild_q1_a", "risk": "HIGH_RISK"},
                        ],
                    },
                    {
                        "id": "wild_q2",
                        "title": "__NAN__",
                        "description": "Is there an on-call rota?",
                        "helpfulResource": {"displayText": "Why.", "url": " https://example.com/why "},
                        "choices": [
                            {
                                "id": "wild_q2_a",
                                "title": "Rota published",
                                "description": "Everyone knows who is on call.",
                                "helpfulResource": {"displayText": "Guide", "Url": "https://example.com/on call"},
                                "improvementPlan": plan,
                                "additionalResources": [
                                    {
                                        "type": "HELPFUL_RESOURCE",
                                        "content": [{"displayText": "More", "url": "https://example.com/more"}],
                                    }
                                ],
                            },
                            {"id": "wild_q2_none", "title": "None of these"},
                        ],
                        "riskRules": [
                            {"condition": "wild_q2_a", "risk": "NO_RISK"},
                            {"condition": "default", "risk": "HIGH_RISK"},
                        ],
                    },
                ],
            }
        ],
    }
    return json.dumps(doc, indent=2).replace('"__NAN__"', "NaN")


def make_lens_version(*, name: str = "Test Lens", questions: int = 5, **kwargs):
    from reviews import services as review_services

    return review_services.lens_import(
        data=make_lens_yaml(name=name, questions=questions, **kwargs), actor=None, fmt="yaml"
    ).version


def make_review(*, system, questions: int = 5, lens_name: str = "Test Lens", title: str = "Launch review"):
    from reviews import services as review_services

    version = make_lens_version(name=lens_name, questions=questions)
    return review_services.review_create(actor=None, system=system, title=title, lens_versions=[version])


def approve_with_accepted_risk(review, *, lead, outsider, days: int = 30, question: str = "q002"):
    """Approve a `make_review` review whose `question` stays a high risk, accepted by `lead` for `days`.

    Every other question is answered with both practices (no risk); returns (the high answer, its acceptance).
    """
    from datetime import timedelta

    from django.utils import timezone

    from reviews import services as review_services

    high = None
    for answer in review.answers.select_related("review_lens__lens_version"):
        qid = answer.question_id
        selected = [f"{qid}_no"] if qid == question else [f"{qid}_a", f"{qid}_b"]
        saved = review_services.answer_update(answer=answer, actor=lead, version=answer.version, selected=selected)
        high = saved if qid == question else high
    review_services.review_request_launch(review=review, actor=lead)
    acceptance = review_services.risk_accept(
        answer=high, actor=lead, reason="Failover drill booked", expires_at=timezone.now() + timedelta(days=days)
    )
    review_services.review_sign_off(review=review, actor=lead)
    review_services.review_sign_off(review=review, actor=outsider)
    review.refresh_from_db()
    return high, acceptance


# Each kind of action item source (incidents.sources) and the origin it gives.
ACTION_ITEM_ORIGINS = {
    "incident": "incident",
    "postmortem": "postmortem",
    "review_answer": "review",
    "game_day": "game_day",
    "game_day_finding": "game_day",
}


def action_item_sources(*, system, actor):
    """One record of every kind an action item can come from, all of `system`'s team: an incident and
    its postmortem, an improvement-plan item (a review answer at high risk), a game day and a finding."""
    from incidents import services as incident_services
    from incidents.defaults import ensure_factor_categories
    from reviews import services as review_services
    from reviews.defaults import ensure_defaults

    ensure_defaults()
    ensure_factor_categories()
    incident = incident_services.incident_create(
        actor=actor, team=system.team, title="Pool exhausted", severity=ensure_severities()[3], services=[system]
    )
    postmortem = incident_services.postmortem_start(incident=incident, actor=actor)
    review = make_review(system=system, questions=3)
    answer = review.answers.get(question_id="q001")
    answer = review_services.answer_update(answer=answer, actor=actor, version=answer.version, selected=["q001_no"])
    game_day = review_services.game_day_create(
        review=review, actor=actor, title="Zone drain", held_on=timezone.localdate(), scenario="Drain zone b"
    )
    finding = review_services.finding_create(game_day=game_day, actor=actor, description="Alert fired late\nby 9 min")
    return {
        "incident": incident,
        "postmortem": postmortem,
        "review_answer": answer,
        "game_day": game_day,
        "game_day_finding": finding,
    }


# --- learning ---


def published_postmortem(
    *,
    team: Team,
    title: str = "Checkout outage",
    summary: str = "",
    lessons: str = "",
    response: str = "",
    services: tuple = (),
    tags: tuple = (),
    categories: tuple = (),
    severity: int = 2,
    started_at=None,
    restricted: bool = False,
    access_list: tuple = (),
):
    """An incident with a published postmortem, indexed into the library (through the real services)."""
    from incidents import services as incident_services
    from incidents.defaults import ensure_factor_categories
    from incidents.models import Postmortem
    from opsx.hooks import emit

    severities = ensure_severities()
    ensure_factor_categories()
    started = started_at or timezone.now() - timezone.timedelta(days=2)
    incident = incident_services.incident_create(
        actor=None,
        team=team,
        title=title,
        severity=severities[severity],
        services=services,
        tags=tags,
        access_list=access_list,
        restricted=restricted,
        status=Incident.Status.RESOLVED,
        started_at=started,
        resolved_at=started + timezone.timedelta(hours=1),
    )
    postmortem = incident_services.postmortem_start(incident=incident, actor=None)
    postmortem = incident_services.postmortem_save(
        postmortem=postmortem,
        actor=None,
        data={
            "summary": summary or f"Summary of {title}.",
            "lessons": lessons,
            "response": response,
            "factors": [{"category": c, "description": f"The {c} factor."} for c in categories],
        },
        expected_version=postmortem.version,
    )
    # Published as an import is (reviewed elsewhere): the review rules have their own tests.
    Postmortem.objects.filter(pk=postmortem.pk).update(status=Postmortem.Status.PUBLISHED, published_at=timezone.now())
    postmortem.refresh_from_db()
    emit("postmortem_changed", postmortem=postmortem)
    return postmortem


class PreferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "notifications.Preference"
        django_get_or_create = ["user", "kind"]

    user = factory.SubFactory(UserFactory)
    kind = "postmortem_commented"
    channel = "email"
    timing = "immediate"


class TeamChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "notifications.TeamChannel"
        django_get_or_create = ["team"]

    team = factory.SubFactory(TeamFactory)
    webhook_url = "https://hooks.example.com/services/T000/B000/secretsecret"


class PersonChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "notifications.PersonChannel"
        django_get_or_create = ["user"]

    user = factory.SubFactory(UserFactory)
    webhook_url = "https://hooks.example.com/services/T000/B001/personsecret"
