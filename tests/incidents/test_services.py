from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from incidents import services
from incidents.models import (
    ActionItem,
    IdempotencyKey,
    Incident,
    OrgSettings,
    Postmortem,
    PostmortemRevision,
    TimelineEntry,
    add_business_days,
)

pytestmark = pytest.mark.django_db


def _kinds(incident):
    return list(incident.timeline.values_list("kind", "body"))


def test_declaring_logs_to_the_timeline(incident):
    kinds = _kinds(incident)
    assert kinds == [("status_change", "Incident declared as SEV3, status Investigating.")]


def test_status_and_severity_changes_are_logged(incident, owner, sev):
    version = incident.version
    services.incident_update(
        incident=incident,
        actor=owner,
        data={"status": Incident.Status.IDENTIFIED, "severity": sev[2]},
        expected_version=version,
    )
    bodies = [body for _, body in _kinds(incident)]
    assert "Status changed from Investigating to Identified." in bodies
    assert "Severity changed from SEV3 to SEV2." in bodies
    assert incident.timeline.filter(kind=TimelineEntry.Kind.SEVERITY_CHANGE, author=owner).count() == 1
    incident.refresh_from_db()
    assert incident.version == version + 1


def test_an_edit_without_status_change_logs_nothing(incident, owner):
    before = incident.timeline.count()
    services.incident_update(incident=incident, actor=owner, data={"title": "Checkout errors"}, expected_version=1)
    assert incident.timeline.count() == before


def test_inconsistent_times_save_nothing(incident, owner):
    bad = incident.started_at - timedelta(minutes=5)
    with pytest.raises(ValidationError) as exc:
        services.incident_update(
            incident=Incident.objects.get(pk=incident.pk),
            actor=owner,
            data={"detected_at": bad, "status": Incident.Status.MONITORING},
            expected_version=1,
        )
    assert "detected_at" in exc.value.message_dict
    incident.refresh_from_db()
    assert incident.detected_at is None and incident.status == Incident.Status.INVESTIGATING
    assert not incident.timeline.filter(body__contains="Monitoring").exists()


def test_resolving_without_a_time_records_now(incident, owner):
    incident = services.incident_update(
        incident=incident, actor=owner, data={"status": Incident.Status.RESOLVED}, expected_version=1
    )
    assert incident.resolved_at is not None
    assert abs(incident.resolved_at - timezone.now()) < timedelta(seconds=5)


def test_restricted_incident_names_commander_and_actor(team, owner, teammate, sev):
    incident = services.incident_create(
        actor=owner, team=team, title="Leaked key", severity=sev[2], restricted=True, commander=teammate
    )
    assert set(incident.access_list.all()) == {owner, teammate}


def test_tags_are_created_by_name(team, owner, sev):
    incident = services.incident_create(actor=owner, team=team, title="x", severity=sev[4], tags=["DB", "latency"])
    assert sorted(incident.tags.values_list("name", flat=True)) == ["db", "latency"]


# --- idempotent creation ---------------------------------------------------------------------


def _data(team, sev, **extra):
    return {"team": team, "title": "Pager: checkout 5xx", "severity": sev[2], **extra}


def test_same_key_twice_creates_one_incident(team, owner, sev):
    first, created = services.incident_create_idempotent(
        actor=owner, key="k-1", fingerprint="f1", data=_data(team, sev)
    )
    again, created_again = services.incident_create_idempotent(
        actor=owner, key="k-1", fingerprint="f1", data=_data(team, sev)
    )
    assert created and not created_again
    assert first.pk == again.pk
    assert Incident.objects.count() == 1


def test_same_key_other_body_is_refused(team, owner, sev):
    services.incident_create_idempotent(actor=owner, key="k-1", fingerprint="f1", data=_data(team, sev))
    with pytest.raises(services.IdempotencyConflict):
        services.incident_create_idempotent(actor=owner, key="k-1", fingerprint="f2", data=_data(team, sev))
    assert Incident.objects.count() == 1


def test_keys_are_per_user(team, owner, teammate, sev):
    services.incident_create_idempotent(actor=owner, key="k-1", fingerprint="f1", data=_data(team, sev))
    services.incident_create_idempotent(actor=teammate, key="k-1", fingerprint="f1", data=_data(team, sev))
    assert Incident.objects.count() == 2


def test_same_external_id_twice_creates_one_incident(team, owner, sev):
    data = _data(team, sev, external_id="PD-123")
    first, _ = services.incident_create_idempotent(actor=owner, key=None, fingerprint="a", data=data)
    again, created = services.incident_create_idempotent(actor=owner, key=None, fingerprint="b", data=data)
    assert not created and first.pk == again.pk
    assert Incident.objects.filter(external_id="PD-123").count() == 1


def test_a_concurrent_duplicate_key_loses_to_the_unique_constraint(monkeypatch, team, owner, sev):
    """The loser looked before the winner committed; its insert hits the constraint and it returns the winner's."""
    winner, _ = services.incident_create_idempotent(actor=owner, key="race", fingerprint="f", data=_data(team, sev))
    real_lookup = services._incident_for_key
    calls = []

    def lookup_that_missed_the_winner(**kwargs):
        calls.append(kwargs)
        return None if len(calls) == 1 else real_lookup(**kwargs)

    monkeypatch.setattr(services, "_incident_for_key", lookup_that_missed_the_winner)
    incident, created = services.incident_create_idempotent(
        actor=owner, key="race", fingerprint="f", data=_data(team, sev)
    )
    assert not created and incident.pk == winner.pk
    assert len(calls) == 2, "it looked again after the constraint refused the insert"
    assert Incident.objects.count() == 1
    assert IdempotencyKey.objects.filter(key="race").count() == 1


def test_a_concurrent_duplicate_external_id_returns_the_winner(monkeypatch, team, owner, sev):
    winner, _ = services.incident_create_idempotent(
        actor=owner, key=None, fingerprint="f", data=_data(team, sev, external_id="X-1")
    )
    real_filter = Incident.objects.filter
    calls = []

    class Missing:
        def first(self):
            return None

    def filter_that_missed_the_winner(*args, **kwargs):
        if kwargs == {"external_id": "X-1"} and not calls:
            calls.append(1)
            return Missing()
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(Incident.objects, "filter", filter_that_missed_the_winner)
    incident, created = services.incident_create_idempotent(
        actor=owner, key=None, fingerprint="f", data=_data(team, sev, external_id="X-1")
    )
    assert not created and incident.pk == winner.pk
    assert Incident.objects.count() == 1


# --- required postmortems --------------------------------------------------------------------


def test_resolving_a_sev2_opens_a_required_postmortem_due_in_five_business_days(team, owner, sev):
    incident = services.incident_create(
        actor=owner, team=team, title="x", severity=sev[2], started_at=timezone.now() - timedelta(hours=3)
    )
    assert not Postmortem.objects.filter(incident=incident).exists(), "not before resolution"
    resolved = timezone.now() - timedelta(hours=1)
    services.incident_update(
        incident=incident,
        actor=owner,
        data={"status": Incident.Status.RESOLVED, "resolved_at": resolved},
        expected_version=incident.version,
    )
    postmortem = Postmortem.objects.get(incident=incident)
    assert postmortem.required
    assert postmortem.due_date == add_business_days(timezone.localdate(resolved), 5)
    assert postmortem.revisions.count() == 1


def test_sev3_postmortem_is_optional(incident, owner):
    services.incident_update(incident=incident, actor=owner, data={"status": "resolved"}, expected_version=1)
    assert not Postmortem.objects.filter(incident=incident).exists()
    postmortem = services.postmortem_start(incident=incident, actor=owner)
    assert not postmortem.required and postmortem.due_date is None


def test_due_date_follows_the_organization_setting(team, owner, sev):
    OrgSettings.objects.update_or_create(pk=1, defaults={"postmortem_due_business_days": 10})
    resolved = timezone.now() - timedelta(minutes=5)
    incident = services.incident_create(
        actor=owner,
        team=team,
        title="x",
        severity=sev[1],
        status=Incident.Status.RESOLVED,
        started_at=resolved - timedelta(hours=1),
        resolved_at=resolved,
    )
    assert incident.postmortem.due_date == add_business_days(timezone.localdate(resolved), 10)


def test_which_severities_require_one_is_editable(team, owner, sev):
    sev[3].requires_postmortem = True
    sev[3].save()
    incident = services.incident_create(
        actor=owner,
        team=team,
        title="x",
        severity=sev[3],
        status=Incident.Status.CLOSED,
        started_at=timezone.now() - timedelta(hours=1),
    )
    assert incident.postmortem.required


def test_raising_severity_after_resolution_makes_the_postmortem_required(incident, owner, sev):
    incident = services.incident_update(incident=incident, actor=owner, data={"status": "resolved"}, expected_version=1)
    postmortem = services.postmortem_start(incident=incident, actor=owner)
    services.incident_update(incident=incident, actor=owner, data={"severity": sev[1]}, expected_version=2)
    postmortem.refresh_from_db()
    assert postmortem.required and postmortem.due_date is not None


def test_postmortem_starts_with_the_incident_timeline(incident, owner):
    services.timeline_entry_add(incident=incident, actor=owner, body="Rolled back build 412.", kind="action")
    postmortem = services.postmortem_start(incident=incident, actor=owner)
    assert "Rolled back build 412." in postmortem.timeline
    assert "(action)" in postmortem.timeline


# --- saving, versions, revisions -------------------------------------------------------------


def test_each_save_bumps_the_version_and_stores_a_revision(postmortem, owner):
    saved = services.postmortem_save(
        postmortem=postmortem, actor=owner, data={"summary": "New summary"}, expected_version=1
    )
    assert saved.version == 2
    revision = PostmortemRevision.objects.get(postmortem=postmortem, version=2)
    assert revision.content["summary"] == "New summary" and revision.author == owner


def test_a_stale_save_is_refused_and_changes_nothing(postmortem, owner, teammate):
    services.postmortem_save(postmortem=postmortem, actor=owner, data={"summary": "Alice's"}, expected_version=1)
    with pytest.raises(services.StaleVersion) as exc:
        services.postmortem_save(postmortem=postmortem, actor=teammate, data={"summary": "Bob's"}, expected_version=1)
    assert exc.value.current.version == 2 and exc.value.current.summary == "Alice's"
    postmortem.refresh_from_db()
    assert postmortem.summary == "Alice's" and postmortem.revisions.count() == 2


def test_two_saves_of_the_same_version_cannot_both_win(postmortem, owner, teammate):
    """Both read version 1; the conditional UPDATE lets exactly one of them write."""
    a = Postmortem.objects.get(pk=postmortem.pk)
    b = Postmortem.objects.get(pk=postmortem.pk)
    services.postmortem_save(postmortem=a, actor=owner, data={"impact": "A"}, expected_version=1)
    with pytest.raises(services.StaleVersion):
        services.postmortem_save(postmortem=b, actor=teammate, data={"impact": "B"}, expected_version=1)
    assert Postmortem.objects.get(pk=postmortem.pk).impact == "A"


def test_saving_identical_content_is_a_no_op(postmortem, owner):
    again = services.postmortem_save(
        postmortem=postmortem, actor=owner, data={"summary": postmortem.summary}, expected_version=1
    )
    assert again.version == 1 and postmortem.revisions.count() == 1


def test_saving_what_is_stored_is_a_no_op_even_from_an_older_version(postmortem, owner):
    """The user's autosave stored their text as version 2; their Save of the same text from version 1 is fine."""
    services.postmortem_save(
        postmortem=postmortem, actor=owner, data={"summary": "Mine"}, expected_version=1, note="autosave"
    )
    again = services.postmortem_save(postmortem=postmortem, actor=owner, data={"summary": "Mine"}, expected_version=1)
    assert again.version == 2 and postmortem.revisions.count() == 2


def test_the_editor_saves_over_the_users_own_newer_versions(postmortem, owner):
    editor = {"expected_version": 1, "over_own_saves": True}
    services.postmortem_save(
        postmortem=postmortem, actor=owner, data={"summary": "Mi"}, expected_version=1, note="autosave"
    )
    services.postmortem_save(
        postmortem=postmortem, actor=owner, data={"summary": "Min"}, expected_version=2, note="autosave"
    )
    saved = services.postmortem_save(postmortem=postmortem, actor=owner, data={"summary": "Mine, all of it"}, **editor)
    assert saved.version == 4 and saved.summary == "Mine, all of it"
    with pytest.raises(services.StaleVersion):  # the API keeps If-Match strict
        services.postmortem_save(postmortem=postmortem, actor=owner, data={"summary": "API"}, expected_version=3)


def test_the_editor_still_refuses_over_another_persons_newer_version(postmortem, owner, teammate):
    services.postmortem_save(
        postmortem=postmortem, actor=owner, data={"summary": "Mine"}, expected_version=1, note="autosave"
    )
    services.postmortem_save(postmortem=postmortem, actor=teammate, data={"impact": "Bob's"}, expected_version=2)
    with pytest.raises(services.StaleVersion) as exc:
        services.postmortem_save(
            postmortem=postmortem, actor=owner, data={"summary": "Mine, more"}, expected_version=2, over_own_saves=True
        )
    assert exc.value.current.version == 3
    assert Postmortem.objects.get(pk=postmortem.pk).summary == "Mine"


def test_unknown_factor_category_is_a_field_error(postmortem, owner):
    with pytest.raises(ValidationError) as exc:
        services.postmortem_save(
            postmortem=postmortem,
            actor=owner,
            data={"factors": [{"category": "bad-luck", "description": "x"}]},
            expected_version=1,
        )
    assert "unknown category 'bad-luck'" in exc.value.message_dict["factors"][0]
    postmortem.refresh_from_db()
    assert postmortem.factors == [] and postmortem.version == 1


def test_restore_is_a_new_save_of_old_content(postmortem, owner):
    services.postmortem_save(postmortem=postmortem, actor=owner, data={"summary": "First"}, expected_version=1)
    services.postmortem_save(postmortem=postmortem, actor=owner, data={"summary": "Second"}, expected_version=2)
    old = postmortem.revisions.get(version=2)
    restored = services.postmortem_restore(postmortem=postmortem, actor=owner, revision=old, expected_version=3)
    assert restored.version == 4 and restored.summary == "First"
    assert restored.revisions.get(version=4).note == "Restored version 2"
    assert restored.revisions.count() == 4, "history is kept"


# --- workflow --------------------------------------------------------------------------------


def test_workflow_draft_review_published(postmortem, owner, leader):
    services.postmortem_save(postmortem=postmortem, actor=owner, data={"summary": "What broke."}, expected_version=1)
    with pytest.raises(ValidationError):
        services.postmortem_submit(postmortem=postmortem, actor=owner, reviewers=[])
    with pytest.raises(ValidationError):
        services.postmortem_publish(postmortem=postmortem, actor=owner)
    postmortem = services.postmortem_submit(postmortem=postmortem, actor=owner, reviewers=[leader])
    assert postmortem.status == Postmortem.Status.IN_REVIEW and list(postmortem.reviewers.all()) == [leader]
    postmortem = services.postmortem_return_to_draft(postmortem=postmortem, actor=owner)
    assert postmortem.status == Postmortem.Status.DRAFT
    services.postmortem_submit(postmortem=postmortem, actor=owner, reviewers=[leader])
    services.postmortem_approve(postmortem=postmortem, actor=leader)
    postmortem = services.postmortem_publish(postmortem=postmortem, actor=owner, confirm=True)
    assert postmortem.status == Postmortem.Status.PUBLISHED and postmortem.published_at is not None
    assert postmortem.published_by == owner


def test_publishing_needs_a_summary(postmortem, owner, leader):
    services.postmortem_save(postmortem=postmortem, actor=owner, data={"summary": "  "}, expected_version=1)
    services.postmortem_submit(postmortem=postmortem, actor=owner, reviewers=[leader])
    with pytest.raises(ValidationError) as exc:
        services.postmortem_publish(postmortem=postmortem, actor=owner)
    assert "summary" in exc.value.message_dict
    assert Postmortem.objects.get(pk=postmortem.pk).status == Postmortem.Status.IN_REVIEW


# --- action items ----------------------------------------------------------------------------


def test_wont_do_needs_a_reason(action_item, teammate):
    with pytest.raises(ValidationError) as exc:
        services.action_item_set_status(item=action_item, actor=teammate, status=ActionItem.Status.WONT_DO)
    assert "wont_do_reason" in exc.value.message_dict
    assert ActionItem.objects.get(pk=action_item.pk).status == ActionItem.Status.OPEN


def test_closing_and_reopening_track_completion(action_item, teammate):
    item = services.action_item_set_status(item=action_item, actor=teammate, status=ActionItem.Status.DONE)
    assert item.completed_at is not None
    item = services.action_item_set_status(item=item, actor=teammate, status=ActionItem.Status.OPEN)
    assert item.completed_at is None
    item = services.action_item_set_status(item=item, actor=teammate, status="wont_do", reason=" Covered by X ")
    assert item.wont_do_reason == "Covered by X" and item.completed_at is not None


def test_action_items_for_source_finds_items_from_a_postmortem(postmortem, team, owner):
    item = services.action_item_create(
        actor=owner, team=team, title="Alert on pool", origin="postmortem", source=postmortem
    )
    assert list(services.action_items_for_source(postmortem)) == [item]


def test_declaring_an_already_resolved_incident_without_times_works(team, owner, sev):
    incident = services.incident_create(actor=owner, team=team, title="x", severity=sev[4], status="resolved")
    assert incident.resolved_at >= incident.started_at


# --- versions: one of two writers wins, nothing is lost silently ----------------------------------


def test_an_update_from_an_old_version_is_refused_and_changes_nothing(incident, owner, teammate):
    services.incident_update(incident=incident, actor=owner, data={"title": "Alice's title"}, expected_version=1)
    with pytest.raises(services.StaleVersion) as exc:
        services.incident_update(incident=incident, actor=teammate, data={"summary": "Bob's"}, expected_version=1)
    assert exc.value.current.version == 2 and exc.value.current.title == "Alice's title"
    incident.refresh_from_db()
    assert (incident.version, incident.title, incident.summary) == (2, "Alice's title", "")


def test_an_update_that_changes_nothing_is_a_no_op_even_from_an_old_version(incident, owner, service):
    services.incident_update(incident=incident, actor=owner, data={"title": "New"}, expected_version=1)
    same = services.incident_update(
        incident=incident, actor=owner, data={"title": "New", "services": [service], "tags": []}, expected_version=1
    )
    assert same.version == 2


def test_m2m_changes_bump_the_version_and_are_checked_too(incident, owner, teammate):
    incident = services.incident_update(incident=incident, actor=owner, data={"tags": ["db"]}, expected_version=1)
    assert incident.version == 2
    with pytest.raises(services.StaleVersion):
        services.incident_update(incident=incident, actor=teammate, data={"tags": ["dns"]}, expected_version=1)
    assert list(incident.tags.values_list("name", flat=True)) == ["db"]


def test_expected_version_none_writes_over_any_version(incident, owner):
    services.incident_update(incident=incident, actor=owner, data={"title": "One"}, expected_version=1)
    latest = services.incident_update(incident=incident, actor=owner, data={"title": "Two"}, expected_version=None)
    assert (latest.version, latest.title) == (3, "Two")


def test_the_service_checks_permission_itself(incident, outsider, teammate, other_team):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.incident_update(incident=incident, actor=outsider, data={"status": "resolved"}, expected_version=1)
    with pytest.raises(PermissionDenied):  # a member may not hand the incident to a team they are not in
        services.incident_update(incident=incident, actor=teammate, data={"team": other_team}, expected_version=1)
    incident.refresh_from_db()
    assert incident.status == "investigating" and incident.version == 1


def test_resolving_a_severe_incident_announces_its_postmortem_on_the_timeline(team, owner, sev):
    incident = services.incident_create(
        actor=owner, team=team, title="x", severity=sev[2], started_at=timezone.now() - timedelta(hours=1)
    )
    incident = services.incident_update(incident=incident, actor=owner, data={"status": "resolved"}, expected_version=1)
    postmortem = Postmortem.objects.get(incident=incident)
    entry = incident.timeline.get(kind=TimelineEntry.Kind.POSTMORTEM)
    assert entry.body == f"Postmortem draft created, due {postmortem.due_date:%Y-%m-%d}." and entry.author == owner
    services.incident_update(incident=incident, actor=owner, data={"status": "closed"}, expected_version=2)
    assert incident.timeline.filter(kind=TimelineEntry.Kind.POSTMORTEM).count() == 1, "announced once"


# --- times known only to the day --------------------------------------------------------------


def test_date_only_times_give_no_time_to_x(team, owner, sev):
    day = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=3)
    incident = services.incident_create(
        actor=owner, team=team, title="Imported", severity=sev[3], status="closed", started_at=day,
        resolved_at=day, detected_at=day + timedelta(hours=2), date_only_times=["started_at", "resolved_at"],
    )  # fmt: skip
    assert incident.time_to_resolve is None and incident.time_to_detect is None
    exact = services.incident_update(
        incident=incident, actor=owner, data={"started_at": day + timedelta(hours=1)}, expected_version=1
    )
    assert exact.date_only_times == ["resolved_at"], "entering a start time makes it exact"
    assert exact.time_to_detect == timedelta(hours=1) and exact.time_to_resolve is None


def test_date_only_times_are_compared_by_day(team, owner, sev):
    day = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=3)
    incident = services.incident_create(
        actor=owner, team=team, title="Imported", severity=sev[3], status="closed", started_at=day,
        resolved_at=day, date_only_times=["started_at", "resolved_at"],
    )  # fmt: skip
    mitigated = day + timedelta(hours=9)  # later in the day than the date-only "midnight" resolution
    incident = services.incident_update(
        incident=incident, actor=owner, data={"mitigated_at": mitigated}, expected_version=1
    )
    assert incident.mitigated_at == mitigated
    with pytest.raises(ValidationError) as exc:
        services.incident_update(
            incident=incident, actor=owner, data={"mitigated_at": day + timedelta(days=1)}, expected_version=2
        )
    assert "resolved_at" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.incident_update(
            incident=incident, actor=owner, data={"date_only_times": ["sometime"]}, expected_version=2
        )
    assert "date_only_times" in exc.value.message_dict
