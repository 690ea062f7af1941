"""Real races against PostgreSQL: two threads, two connections, one winner."""

import threading

import pytest
from django.db import connection

from incidents import services
from incidents.models import IdempotencyKey, Incident, Postmortem


def _race(target, n=2):
    results, errors = [], []

    def run():
        try:
            results.append(target())
        except Exception as exc:  # noqa: BLE001 - collected and asserted on below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    return results, errors


@pytest.fixture
def both_pass_the_lookup(monkeypatch):
    """Hold each request just before it inserts, until both have looked for an existing incident."""
    barrier = threading.Barrier(2, timeout=10)
    real_create = services.incident_create

    def create_after_both_looked(**kwargs):
        barrier.wait()
        return real_create(**kwargs)

    monkeypatch.setattr(services, "incident_create", create_after_both_looked)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("key,external_id", [("same-key", None), (None, "PD-77")])
def test_concurrent_duplicates_create_one_incident(both_pass_the_lookup, team, owner, sev, key, external_id):
    data = {"team": team, "title": "Pager alert", "severity": sev[2], "external_id": external_id}
    results, errors = _race(
        lambda: services.incident_create_idempotent(actor=owner, key=key, fingerprint="f", data=dict(data))
    )
    assert not errors, errors
    assert Incident.objects.count() == 1
    assert {incident.pk for incident, _ in results} == {Incident.objects.get().pk}
    assert sorted(created for _, created in results) == [False, True]
    assert IdempotencyKey.objects.count() == (1 if key else 0)


def _two_saves_from_version_1(postmortem, owner, summaries, notes=("", "")):
    """Two saves of the given texts, both made from version 1, released at the same moment: each returns
    the version it answered with, or "stale"."""
    barrier = threading.Barrier(2, timeout=10)
    work = iter(zip(summaries, notes, strict=True))

    def save():
        summary, note = next(work)
        stale_copy = Postmortem.objects.get(pk=postmortem.pk)
        barrier.wait()
        try:
            saved = services.postmortem_save(
                postmortem=stale_copy, actor=owner, data={"summary": summary}, expected_version=1, note=note
            )
        except services.StaleVersion:
            return "stale"
        return saved.version

    return _race(save)


@pytest.mark.django_db(transaction=True)
def test_concurrent_saves_of_one_version_let_exactly_one_win(owner, incident):
    postmortem = services.postmortem_start(incident=incident, actor=owner)
    results, errors = _two_saves_from_version_1(postmortem, owner, ["A", "B"])
    assert not errors, errors
    assert sorted(results, key=str) == [2, "stale"]
    postmortem.refresh_from_db()
    assert postmortem.version == 2 and postmortem.summary in {"A", "B"}
    assert postmortem.revisions.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_people_editing_one_incident_version_cannot_both_win(owner, teammate, incident):
    """Two writers read version 1 and change different fields at the same moment: one wins, the other is told."""
    barrier = threading.Barrier(2, timeout=10)
    changes = iter([(owner, {"title": "Checkout down"}), (teammate, {"status": Incident.Status.MONITORING})])

    def edit():
        actor, data = next(changes)
        stale_copy = Incident.objects.get(pk=incident.pk)
        barrier.wait()
        try:
            services.incident_update(incident=stale_copy, actor=actor, data=data, expected_version=1)
        except services.StaleVersion as exc:
            return ("stale", exc.current.version)
        return ("saved", None)

    results, errors = _race(edit)
    assert not errors, errors
    assert sorted(results, key=str) == [("saved", None), ("stale", 2)]
    incident.refresh_from_db()
    assert incident.version == 2
    won_title = incident.title == "Checkout down"
    won_status = incident.status == Incident.Status.MONITORING
    assert won_title != won_status, "exactly one of the two changes is stored"
    assert incident.timeline.filter(kind="status_change", body__contains="Monitoring").exists() is won_status


@pytest.mark.django_db(transaction=True)
def test_an_autosave_and_a_save_of_the_same_text_at_the_same_time_do_not_conflict(owner, incident):
    """The race users hit: autosave and Save of identical text, both from version 1, at the same moment.
    The second waits on the row lock and finds its text already stored: a no-op, not a conflict."""
    postmortem = services.postmortem_start(incident=incident, actor=owner)
    results, errors = _two_saves_from_version_1(postmortem, owner, ["Same text"] * 2, notes=("autosave", ""))
    assert not errors, errors
    assert results == [2, 2], "both answer with the stored version; neither is a conflict"
    assert Postmortem.objects.get(pk=postmortem.pk).revisions.count() == 2
