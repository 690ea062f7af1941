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
    Postmortem.objects.filter(pk=postmortem.pk).update(status=Postmortem.Status.IN_REVIEW)
    postmortem.refresh_from_db()
    return incident_services.postmortem_publish(postmortem=postmortem, actor=None)
