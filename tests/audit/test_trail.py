"""Every create, change and delete of the tracked models is an event, with before and after, whatever
wrote it (a service, QuerySet.update(), raw SQL); event rows and their context cannot be rewritten."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from audit import context as audit
from audit.models import AuditContext
from incidents import services as incident_services
from incidents.models import ActionItem, Incident, Postmortem, PostmortemComment, TimelineEntry
from reviews import services as review_services
from reviews.models import Answer, Decision, Lens, Review, RiskAcceptance
from teams.models import Membership, System, Team
from tests.audit.conftest import events
from tests.factories import (
    ActionItemFactory,
    MembershipFactory,
    PostmortemCommentFactory,
    PostmortemFactory,
    SystemFactory,
    TeamFactory,
    TimelineEntryFactory,
    UserFactory,
    approve_with_accepted_risk,
    make_lens_version,
    make_review,
)

pytestmark = pytest.mark.django_db


def _incident(team, sev, **kwargs):
    return incident_services.incident_create(actor=None, team=team, title="Disk full", severity=sev[3], **kwargs)


# Each tracked model from the issue: how to make one, and a field change to record.
def _make(kind, team, sev, lead, other_lead):
    if kind == "team":
        return TeamFactory(), "description", "New words"
    if kind == "membership":
        return MembershipFactory(team=team), "role", "lead"
    if kind == "service":
        return SystemFactory(team=team), "description", "Now with a runbook"
    if kind == "incident":
        return _incident(team, sev), "title", "Disk really full"
    if kind == "timeline entry":
        return TimelineEntryFactory(incident=_incident(team, sev)), "body", "Corrected note"
    if kind == "postmortem":
        return PostmortemFactory(incident=_incident(team, sev)), "summary", "What happened"
    if kind == "comment":
        return PostmortemCommentFactory(postmortem=PostmortemFactory(incident=_incident(team, sev))), "body", "Edited"
    if kind == "action item":
        return ActionItemFactory(team=team), "title", "Add an alert"
    if kind == "lens":
        return make_lens_version(name="Unused lens").lens, "description", "Sharper questions"
    review = make_review(system=SystemFactory(team=team))
    if kind == "review":
        return review, "title", "Launch review, take two"
    if kind == "answer":
        return review.answers.first(), "notes", "We checked"
    high, acceptance = approve_with_accepted_risk(review, lead=lead, outsider=other_lead)
    if kind == "acceptance":
        return acceptance, "reason", "Drill moved"
    return Decision.objects.filter(review=review).first(), "note", "Amended"


KINDS = {
    "team": Team,
    "membership": Membership,
    "service": System,
    "lens": Lens,
    "review": Review,
    "answer": Answer,
    "decision": Decision,
    "acceptance": RiskAcceptance,
    "incident": Incident,
    "timeline entry": TimelineEntry,
    "postmortem": Postmortem,
    "comment": PostmortemComment,
    "action item": ActionItem,
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_create_change_and_delete_are_recorded_with_before_and_after(kind, team, owner, outsider, sev):
    obj, field, value = _make(kind, team, sev, owner, outsider)
    assert isinstance(obj, KINDS[kind])
    before = getattr(obj, field)
    KINDS[kind].objects.filter(pk=obj.pk).update(**{field: value})  # QuerySet.update: no save(), no signal
    pk = obj.pk
    event_model = obj.pgh_event_model
    KINDS[kind].objects.filter(pk=pk).delete()
    recorded = list(event_model.objects.filter(pgh_obj=pk).order_by("pgh_id"))
    assert [e.pgh_label for e in recorded][0] == "insert"
    update = next(e for e in recorded if e.pgh_label == "update" and getattr(e, field) == value)
    previous = [e for e in recorded if e.pgh_id < update.pgh_id][-1]
    assert getattr(previous, field) == before  # the state before the change
    assert recorded[-1].pgh_label == "delete" and getattr(recorded[-1], field) == value  # the row as deleted


def test_raw_sql_is_recorded_too(team):
    system = SystemFactory(team=team, description="old")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE teams_system SET description = 'new' WHERE id = %s", [system.pk])
    assert [(e.pgh_label, e.description) for e in events(system)] == [("insert", "old"), ("update", "new")]


def test_a_save_that_changes_only_timestamps_is_no_event(team):
    system = SystemFactory(team=team)
    System.objects.filter(pk=system.pk).update(updated_at=timezone.now())
    assert [e.pgh_label for e in events(system)] == ["insert"]


def test_many_to_many_links_are_recorded(team, owner, sev):
    person = UserFactory(username="sam")
    incident = _incident(team, sev)
    incident_services.incident_update(
        incident=incident, actor=owner, data={"restricted": True, "access_list": [person]}, expected_version=None
    )
    from incidents.models import IncidentAccessEvent

    added = IncidentAccessEvent.objects.filter(incident_id=incident.pk, pgh_label="add")
    assert {e.user_id for e in added} == {person.pk, owner.pk}
    incident.access_list.remove(person)
    assert IncidentAccessEvent.objects.filter(incident_id=incident.pk, pgh_label="remove").get().user_id == person.pk


def test_event_rows_cannot_be_changed_or_deleted(team):
    system = SystemFactory(team=team)
    event = events(system)[0]
    for statement in ("UPDATE {t} SET name = 'forged'", "DELETE FROM {t}"):
        with (
            pytest.raises(DatabaseError, match="Cannot update or delete rows"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement.format(t=event._meta.db_table))
    assert events(system)[0].name == system.name


def test_a_context_cannot_be_deleted_nor_its_facts_rewritten(team, owner):
    with audit.context(source="command", command="test", **audit.actor_facts(owner)):
        system = SystemFactory(team=team)
    ctx = AuditContext.objects.get(pk=events(system)[0].pgh_context_id)
    assert ctx.metadata["username"] == "alice"
    with pytest.raises(DatabaseError, match="Cannot"), transaction.atomic():
        AuditContext.objects.filter(pk=ctx.pk).update(metadata={**ctx.metadata, "username": "mallory"})
    with pytest.raises(DatabaseError, match="Cannot"), transaction.atomic():
        AuditContext.objects.filter(pk=ctx.pk).delete()
    # Adding a fact an open context did not know yet is allowed (an API token's user, known after auth).
    AuditContext.objects.filter(pk=ctx.pk).update(metadata={**ctx.metadata, "token": "ci"})


def test_a_nested_context_adds_facts_and_never_rewrites_them(team, owner):
    with audit.context(source="browser", url="/x"):
        audit.add(**audit.actor_facts(owner))
        with audit.context(source="task", task="inner"):
            system = SystemFactory(team=team)
    meta = events(system)[0].pgh_context.metadata
    assert meta["source"] == "browser" and meta["task"] == "inner" and meta["username"] == "alice"


def test_review_services_record_answers_and_decisions(team, owner, outsider):
    review = make_review(system=SystemFactory(team=team))
    answer = review.answers.first()
    with audit.context(source="browser", **audit.actor_facts(owner)):
        review_services.answer_update(
            answer=answer, actor=owner, version=answer.version, selected=[f"{answer.question_id}_a"], notes="checked"
        )
    update = events(answer, "update")[-1]
    assert update.notes == "checked" and update.pgh_context.metadata["user"] == owner.pk
