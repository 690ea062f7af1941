"""Writes for incidents, postmortems and action items.

`incident_update`, the action item services and the postmortem review steps (submit, return,
approve, publish, comments) check the actor's permission themselves (a None actor is the system:
commands, importers run by an operator, demo data; the review steps refuse it); for the others callers
check permissions first (views, viewsets).

Every state change is recorded: incident status and severity changes, restricting and lifting a
restriction (and the postmortem a resolution creates) as timeline entries, every postmortem save as
a revision, approvals as rows, and what a publisher confirmed on the postmortem. Beneath that, the
database records every row change with who and from where (docs/audit.md).

Restricting an incident, or lifting its restriction, needs a lead of an owning team or an admin
(`Action.RESTRICT`), whether it is declared so or changed later; the services check it themselves.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import Truncator

from incidents.models import (
    SECTION_FIELDS,
    ActionItem,
    IdempotencyKey,
    Incident,
    OrgSettings,
    Postmortem,
    PostmortemApproval,
    PostmortemComment,
    PostmortemRevision,
    Severity,
    Tag,
    TimelineEntry,
    add_business_days,
)
from notifications.models import Notification
from notifications.services import notify
from opsx.hooks import emit
from opsx.limits import section_limit
from opsx.markdown import html_values
from opsx.services import model_update
from teams import permissions
from teams.models import Membership, System, Team, User
from teams.permissions import Action

INCIDENT_FIELDS = [
    "title",
    "summary",
    "severity",
    "status",
    "team",
    "commander",
    "started_at",
    "detected_at",
    "acknowledged_at",
    "mitigated_at",
    "resolved_at",
    "impact_description",
    "users_affected",
    "requests_affected",
    "external_id",
    "pager_id",
    "ticket_url",
    "restricted",
    "date_only_times",
]
INCIDENT_M2M = ["services", "tags", "access_list"]
CONTENT_FIELDS = [*SECTION_FIELDS, "factors"]
ACTION_ITEM_FIELDS = ["title", "description", "owner", "team", "priority", "due_date", "tracker_url"]


class StaleVersion(Exception):  # noqa: N818 - a domain outcome, not a programming error
    """Someone saved a newer version first; `current` is what is stored now (an incident or a postmortem)."""

    def __init__(self, current: Any) -> None:
        super().__init__(f"version {current.version} was saved in the meantime")
        self.current = current


class IdempotencyConflict(Exception):  # noqa: N818
    """The Idempotency-Key was already used for a different request."""


# --- incidents -------------------------------------------------------------------------------


def _tags(names: Iterable[str | Tag]) -> list[Tag]:
    tags = []
    for name in names:
        if isinstance(name, Tag):
            tags.append(name)
            continue
        tag = Tag(name=name.strip().lower())
        tag.full_clean(validate_unique=False)
        tags.append(Tag.objects.get_or_create(name=tag.name)[0])
    return tags


def _set_m2m(incident: Incident, actor: User | None, m2m: dict[str, Any]) -> None:
    if "services" in m2m:
        incident.services.set(m2m["services"])
    if "tags" in m2m:
        incident.tags.set(_tags(m2m["tags"]))
    if "access_list" in m2m:
        incident.access_list.set(m2m["access_list"])
    if incident.restricted:
        # The commander and whoever restricts it must keep seeing it.
        incident.access_list.add(*[u for u in (incident.commander, actor) if u is not None])


def _log(incident: Incident, actor: User | None, kind: str, body: str) -> TimelineEntry:
    return TimelineEntry.objects.create(incident=incident, author=actor, kind=kind, body=body)


RESTRICTED_NOTE = "Restricted{by}: only the people named on it and admins can see this incident now."
UNRESTRICTED_NOTE = "Restriction lifted{by}: everyone signed in can see this incident again."


def _log_restriction(incident: Incident, actor: User | None) -> None:
    """Restricting and lifting it are on the timeline, which everyone who may still see the incident reads."""
    by = f" by {actor}" if actor is not None else ""
    body = (RESTRICTED_NOTE if incident.restricted else UNRESTRICTED_NOTE).format(by=by)
    _log(incident, actor, TimelineEntry.Kind.ACCESS, body)


def _fill_resolved_at(data: dict[str, Any], current: Incident | None = None) -> None:
    status = data.get("status", current.status if current else None)
    resolved_at = data.get("resolved_at", current.resolved_at if current else None)
    if status in (Incident.Status.RESOLVED, Incident.Status.CLOSED) and resolved_at is None:
        data["resolved_at"] = timezone.now()


@transaction.atomic
def incident_create(
    *,
    actor: User | None,
    team: Team,
    title: str,
    severity: Severity,
    services: Iterable[System] = (),
    tags: Iterable[str | Tag] = (),
    access_list: Iterable[User] = (),
    **fields: Any,
) -> Incident:
    fields = {k: v for k, v in fields.items() if k in INCIDENT_FIELDS}
    fields.setdefault("started_at", timezone.now())
    _fill_resolved_at(fields)
    if fields.get("restricted") and actor is not None:
        permissions.check_create(actor, Incident, [team.pk], Action.RESTRICT)
    incident = Incident(team=team, title=title, severity=severity, created_by=actor, **fields)
    incident.full_clean()
    incident.save()
    _set_m2m(incident, actor, {"services": list(services), "tags": list(tags), "access_list": list(access_list)})
    _log(
        incident,
        actor,
        TimelineEntry.Kind.STATUS_CHANGE,
        f"Incident declared as {severity.name}, status {incident.get_status_display()}.",
    )
    if incident.restricted:
        _log_restriction(incident, actor)
    postmortem_ensure_required(incident=incident, actor=actor)
    # Followers of the team or a service are told (learning owns follows; notify() checks access).
    emit("incident_declared", incident=incident, actor=actor)
    return incident


def request_fingerprint(data: Any) -> str:
    import hashlib
    import json

    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _incident_for_key(*, actor: User, key: str, fingerprint: str) -> Incident | None:
    stored = IdempotencyKey.objects.filter(user=actor, key=key).select_related("incident").first()
    if stored is None:
        return None
    if stored.fingerprint != fingerprint:
        raise IdempotencyConflict("This Idempotency-Key was already used with a different request body.")
    return stored.incident


def incident_create_idempotent(
    *, actor: User, key: str | None, fingerprint: str, data: dict[str, Any]
) -> tuple[Incident, bool]:
    """Create an incident once per `external_id` and per (user, Idempotency-Key).

    Returns (incident, created). A repeat returns the incident the first request made. Concurrent
    repeats are settled by the unique constraints: the loser's transaction rolls back and it
    returns the winner's incident.
    """
    external_id = data.get("external_id") or None
    for _attempt in range(2):
        if key and (existing := _incident_for_key(actor=actor, key=key, fingerprint=fingerprint)):
            return existing, False
        if external_id and (existing := Incident.objects.filter(external_id=external_id).first()):
            if key:
                IdempotencyKey.objects.get_or_create(
                    user=actor, key=key, defaults={"fingerprint": fingerprint, "incident": existing}
                )
            return existing, False
        try:
            with transaction.atomic():
                incident = incident_create(actor=actor, **data)
                if key:
                    IdempotencyKey.objects.create(user=actor, key=key, fingerprint=fingerprint, incident=incident)
        except IntegrityError:
            continue  # a concurrent request won the race: look again and return its incident
        except ValidationError:
            if external_id and Incident.objects.filter(external_id=external_id).exists():
                continue  # created since we looked: return it
            raise
        return incident, True
    raise IdempotencyConflict("A concurrent request with the same key did not finish; retry.")


def _still_date_only(current: Incident, data: dict[str, Any]) -> list[str]:
    """The date-only times that `data` leaves as they are (entering another value makes a time exact)."""
    return [
        name
        for name in current.date_only_times or []
        if name not in data or data[name] is None or data[name] == getattr(current, name)
    ]


def _m2m_differs(incident: Incident, name: str, value: Iterable[Any]) -> bool:
    if name == "tags":
        wanted = {t.name if isinstance(t, Tag) else t.strip().lower() for t in value}
        return wanted != set(incident.tags.values_list("name", flat=True))
    return {obj.pk for obj in value} != set(getattr(incident, name).values_list("pk", flat=True))


def _ensure_postmortem(incident: Incident, actor: User | None) -> Postmortem | None:
    """The required postmortem (created once a resolved incident's severity needs one), announced on the timeline.

    Only changes announce it: an incident declared (or imported) already resolved has no draft moment to log.
    """
    had_one = Postmortem.objects.filter(incident=incident).exists()
    postmortem = postmortem_ensure_required(incident=incident, actor=actor)
    if postmortem is not None and not had_one:
        _log(incident, actor, TimelineEntry.Kind.POSTMORTEM, postmortem_announcement(postmortem))
    return postmortem


def postmortem_announcement(postmortem: Postmortem) -> str:
    due = f", due {postmortem.due_date:%Y-%m-%d}" if postmortem.due_date else ""
    return f"Postmortem draft created{due}."


@transaction.atomic
def incident_update(
    *, incident: Incident, actor: User | None, data: dict[str, Any], expected_version: int | None
) -> Incident:
    """Change fields (and services, tags, access list) of the version the change was based on.

    `expected_version` is that version; None means any version (`If-Match: *`, and trusted callers
    such as the importer), applied to the row locked as it is now. The conditional UPDATE
    (`WHERE version = expected`) lets exactly one of two concurrent writers of one version win; the
    other gets StaleVersion carrying what is stored now. A change that leaves everything as stored
    is a no-op (no new version, no conflict). Status and severity changes go to the timeline, and so
    does the postmortem that resolving a severe incident creates.

    The actor needs change rights on the incident, and create rights on a team it moves to.
    """
    if actor is not None:
        permissions.check(actor, permissions.Action.CHANGE, incident)
    rows = Incident.objects.select_related("severity")
    if expected_version is None:
        current = rows.select_for_update(of=("self",)).get(pk=incident.pk)
        expected_version = current.version
    else:
        current = rows.get(pk=incident.pk)
    data = dict(data)
    _fill_resolved_at(data, current)
    if "date_only_times" not in data:
        data["date_only_times"] = _still_date_only(current, data)
    changed = {name: data[name] for name in INCIDENT_FIELDS if name in data and getattr(current, name) != data[name]}
    m2m = {name: list(data[name]) for name in INCIDENT_M2M if name in data}
    m2m = {name: value for name, value in m2m.items() if _m2m_differs(current, name, value)}
    if not changed and not m2m:
        return current
    if current.version != expected_version:
        raise StaleVersion(current)
    if actor is not None and "team" in changed:
        permissions.check_create(actor, Incident, [changed["team"].pk])
    if actor is not None and "restricted" in changed:
        permissions.check(actor, Action.RESTRICT, current)  # leads and admins only (docs/permissions.md)
    old_status, old_severity = current.status, current.severity
    for name, value in changed.items():
        setattr(current, name, value)
    current.full_clean()
    updated = Incident.objects.filter(pk=current.pk, version=expected_version).update(
        **changed, **html_values(current), version=F("version") + 1, updated_at=timezone.now()
    )
    if updated != 1:
        raise StaleVersion(Incident.objects.get(pk=current.pk))
    current.refresh_from_db(fields=["version", "updated_at"])
    if m2m or current.restricted:
        _set_m2m(current, actor, m2m)
    if "restricted" in changed:
        _log_restriction(current, actor)
    if current.status != old_status:
        _log(
            current,
            actor,
            TimelineEntry.Kind.STATUS_CHANGE,
            f"Status changed from {Incident.Status(old_status).label} to {current.get_status_display()}.",
        )
    if current.severity_id != old_severity.pk:
        _log(
            current,
            actor,
            TimelineEntry.Kind.SEVERITY_CHANGE,
            f"Severity changed from {old_severity.name} to {current.severity.name}.",
        )
    _ensure_postmortem(current, actor)
    emit("incident_changed", incident=current)
    return current


@transaction.atomic
def timeline_entry_add(
    *, incident: Incident, actor: User | None, body: str, kind: str = TimelineEntry.Kind.NOTE, occurred_at: Any = None
) -> TimelineEntry:
    entry = TimelineEntry(
        incident=incident, author=actor, kind=kind, body=body, occurred_at=occurred_at or timezone.now()
    )
    entry.full_clean()
    entry.save()
    return entry


# --- postmortems -----------------------------------------------------------------------------


def postmortem_due_date(incident: Incident) -> date | None:
    if incident.resolved_at is None:
        return None
    days = OrgSettings.current().postmortem_due_business_days
    return add_business_days(timezone.localdate(incident.resolved_at), days)


def timeline_markdown(incident: Incident) -> str:
    """The incident's timeline as a Markdown list, cut to fit a postmortem section (the rest is counted)."""
    limit = section_limit() - 200  # room for the line that says what was left out
    lines: list[str] = []
    size = 0
    entries = list(incident.timeline.order_by("occurred_at", "id"))
    for index, entry in enumerate(entries):
        stamp = timezone.localtime(entry.occurred_at).strftime("%Y-%m-%d %H:%M")
        line = f"- **{stamp}** ({entry.get_kind_display().lower()}): {entry.body}"
        if size + len(line) + 1 > limit:
            lines.append(f"- … {len(entries) - index} more entries are on the incident's page (too long to pull in).")
            break
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines)


def _record_revision(postmortem: Postmortem, actor: User | None, note: str) -> PostmortemRevision:
    return PostmortemRevision.objects.create(
        postmortem=postmortem, version=postmortem.version, author=actor, content=postmortem.snapshot(), note=note
    )


@transaction.atomic
def postmortem_start(*, incident: Incident, actor: User | None, owner: User | None = None) -> Postmortem:
    """The incident's postmortem, created (with the incident's timeline pulled in) if it has none."""
    existing = Postmortem.objects.filter(incident=incident).first()
    if existing is not None:
        return existing
    required = incident.severity.requires_postmortem
    postmortem = Postmortem(
        incident=incident,
        owner=owner or actor or incident.commander,
        required=required,
        due_date=postmortem_due_date(incident) if required else None,
        impact=incident.impact_description,
        timeline=timeline_markdown(incident),
    )
    postmortem.full_clean()
    postmortem.save()
    _record_revision(postmortem, actor, "started")
    return postmortem


@transaction.atomic
def postmortem_ensure_required(*, incident: Incident, actor: User | None) -> Postmortem | None:
    """Once a resolved incident's severity requires a postmortem, it has one, marked required and due."""
    if incident.is_open or not incident.severity.requires_postmortem:
        return None
    postmortem = postmortem_start(incident=incident, actor=actor, owner=incident.commander)
    if not postmortem.required or postmortem.due_date is None:
        Postmortem.objects.filter(pk=postmortem.pk).update(required=True, due_date=postmortem_due_date(incident))
        postmortem.refresh_from_db(fields=["required", "due_date"])
    return postmortem


def _saved_since_only_by(current: Postmortem, actor: User | None, expected_version: int) -> bool:
    """Were all versions after `expected_version` saved by `actor` (their own autosave, another tab)?"""
    if actor is None or not 0 < expected_version < current.version:
        return False
    later = PostmortemRevision.objects.filter(postmortem=current, version__gt=expected_version)
    return not later.exclude(author=actor).exists()


@transaction.atomic
def postmortem_save(
    *,
    postmortem: Postmortem,
    actor: User | None,
    data: dict[str, Any],
    expected_version: int | None,
    note: str = "",
    over_own_saves: bool = False,
) -> Postmortem:
    """Save document content made from `expected_version`; raises StaleVersion when it is not current.

    - Content equal to what is stored is a no-op (no new version), whatever version the caller
      started from: an autosave and a Save of the same text never conflict.
    - With `over_own_saves` (the browser editor), versions saved since `expected_version` by the
      actor alone (their own autosave, another tab) are no conflict either: the editor holds their
      newest text, and it is saved on top. Only another person's save in between is.
    - `expected_version` None means any version (`If-Match: *`): saved over whatever is stored.
    - Otherwise a newer version is StaleVersion, and nothing is written (the API's If-Match).

    The row is locked (SELECT ... FOR UPDATE), so concurrent saves are judged one after the other
    against what the first one stored; the UPDATE stays conditional (`WHERE version = n`) so two
    writers can never both win.
    """
    current = Postmortem.objects.select_for_update().get(pk=postmortem.pk)
    expected_version = current.version if expected_version is None else expected_version
    values = {name: data[name] for name in CONTENT_FIELDS if name in data}
    if all(getattr(current, name) == value for name, value in values.items()):
        return current
    if current.version != expected_version:
        if not (over_own_saves and _saved_since_only_by(current, actor, expected_version)):
            raise StaleVersion(current)
        expected_version = current.version
    candidate = Postmortem.objects.get(pk=postmortem.pk)
    for name, value in values.items():
        setattr(candidate, name, value)
    candidate.full_clean()
    updated = Postmortem.objects.filter(pk=postmortem.pk, version=expected_version).update(
        **values, **html_values(candidate), version=F("version") + 1, updated_at=timezone.now()
    )
    if updated != 1:
        raise StaleVersion(Postmortem.objects.get(pk=postmortem.pk))
    postmortem = Postmortem.objects.get(pk=postmortem.pk)
    _record_revision(postmortem, actor, note)
    emit("postmortem_changed", postmortem=postmortem)
    return postmortem


@transaction.atomic
def postmortem_restore(
    *, postmortem: Postmortem, actor: User | None, revision: PostmortemRevision, expected_version: int | None
) -> Postmortem:
    """Restoring an old revision is a new save of its content (history is never rewritten)."""
    if revision.postmortem_id != postmortem.pk:
        raise ValidationError("That revision belongs to another postmortem.")
    return postmortem_save(
        postmortem=postmortem,
        actor=actor,
        data=revision.content,
        expected_version=expected_version,
        note=f"Restored version {revision.version}",
    )


# --- the review workflow: draft -> in review -> published ----------------------------------------

_S = Postmortem.Status
# Why a step cannot be taken from the state the postmortem is in (the real reason, not "reload").
_STATE_REASONS: dict[tuple[str, str], str] = {
    ("submit", _S.IN_REVIEW): "This postmortem is already in review.",
    ("submit", _S.PUBLISHED): "This postmortem is published; it does not go back to review.",
    ("return", _S.DRAFT): "This postmortem is already a draft.",
    ("return", _S.PUBLISHED): "This postmortem is published; it does not go back to draft.",
    ("approve", _S.DRAFT): "This postmortem is a draft: it can be approved once it is sent for review.",
    ("approve", _S.PUBLISHED): "This postmortem is already published.",
    ("publish", _S.DRAFT): "This postmortem is still a draft: send it for review before publishing it.",
    ("publish", _S.PUBLISHED): "This postmortem is already published.",
}
_STEP_SOURCE = {"submit": _S.DRAFT, "return": _S.IN_REVIEW, "approve": _S.IN_REVIEW, "publish": _S.IN_REVIEW}


def _state_error(step: str, status: str) -> ValidationError:
    return ValidationError(_STATE_REASONS[(step, status)], code="invalid_transition")


def _transition(postmortem: Postmortem, *, step: str, **values: Any) -> Postmortem:
    """Move the postmortem with a conditional UPDATE from the state `step` starts in."""
    source = _STEP_SOURCE[step]
    updated = Postmortem.objects.filter(pk=postmortem.pk, status=source).update(**values, updated_at=timezone.now())
    if updated != 1:
        raise _state_error(step, Postmortem.objects.values_list("status", flat=True).get(pk=postmortem.pk))
    postmortem.refresh_from_db()
    return postmortem


def _title(postmortem: Postmortem) -> str:
    return Truncator(postmortem.incident.title).chars(120)


def _tell(
    recipients: Iterable[User | None], kind: str, postmortem: Postmortem, actor: User, text: str, anchor: str = ""
) -> None:
    """Notify people about the postmortem (the actor and anyone who may not read it are skipped)."""
    link = postmortem.get_absolute_url() + (f"#{anchor}" if anchor else "")
    notify(recipients=recipients, kind=kind, subject=postmortem, text=text, link=link, actor=actor)


@transaction.atomic
def postmortem_submit(*, postmortem: Postmortem, actor: User, reviewers: Iterable[User]) -> Postmortem:
    """Draft -> in review, naming the reviewers (not the author); each reviewer is notified."""
    permissions.check(actor, Action.CHANGE, postmortem)
    reviewers = list(dict.fromkeys(reviewers))
    if not reviewers:
        raise ValidationError({"reviewers": "Name at least one reviewer."})
    if postmortem.author_id is not None and any(r.pk == postmortem.author_id for r in reviewers):
        raise ValidationError({"reviewers": "The author does not review their own postmortem; name someone else."})
    postmortem = _transition(postmortem, step="submit", status=Postmortem.Status.IN_REVIEW, submitted_at=timezone.now())
    postmortem.reviewers.set(reviewers)
    blind = [r.display_name for r in reviewers if not permissions.can_view(r, postmortem)]
    if blind:
        raise ValidationError(
            {"reviewers": f"Not allowed to read this restricted incident: {', '.join(blind)}. Add them to its "
             "access list first, or name someone else."}
        )  # fmt: skip
    _tell(
        reviewers,
        Notification.Kind.POSTMORTEM_REVIEW_REQUESTED,
        postmortem,
        actor,
        f"{actor.display_name} asked you to review the postmortem of “{_title(postmortem)}”.",
    )
    return postmortem


@transaction.atomic
def postmortem_return_to_draft(*, postmortem: Postmortem, actor: User) -> Postmortem:
    permissions.check(actor, Action.CHANGE, postmortem)
    return _transition(postmortem, step="return", status=Postmortem.Status.DRAFT)


@transaction.atomic
def postmortem_approve(*, postmortem: Postmortem, actor: User, version: int | None = None) -> PostmortemApproval:
    """A named reviewer (not the author) approves the current version; the author is notified.

    `version` is the version the reviewer read (the page and API clients send it): when someone saved
    a newer one since, the approval is refused (`stale_version`), so nobody approves text they did not
    see. The row lock orders this with saves and publishing. Approving the same version again is one
    approval.
    """
    locked = Postmortem.objects.select_for_update().get(pk=postmortem.pk)
    if not permissions.can_view(actor, locked):
        raise PermissionDenied("You may not view this postmortem.")
    if locked.status != Postmortem.Status.IN_REVIEW:
        raise _state_error("approve", locked.status)
    if actor.pk == locked.author_id:
        raise PermissionDenied("You wrote this postmortem: a named reviewer approves it, not its author.")
    if not locked.reviewers.filter(pk=actor.pk).exists():
        raise PermissionDenied("Only the named reviewers approve this postmortem.")
    if version is not None and version != locked.version:
        raise ValidationError(
            f"Version {locked.version} was saved after the version {version} you read: read it, then approve.",
            code="stale_version",
        )
    approval, created = PostmortemApproval.objects.get_or_create(
        postmortem=locked, reviewer=actor, version=locked.version
    )
    if created:
        _tell(
            [locked.owner],
            Notification.Kind.POSTMORTEM_APPROVED,
            locked,
            actor,
            f"{actor.display_name} approved version {locked.version} of the postmortem of “{_title(locked)}”.",
        )
    return approval


@dataclass(frozen=True)
class PublishCheck:
    """What publishing a postmortem needs now: the one rule the page, the API and the service share.

    `blockers` refuse publishing (each a ValidationError with a code: invalid_transition,
    summary_missing, approvals_required, open_points); `warnings` (unresolved comments, no action
    item) need the publisher's confirmation, or refuse when the settings say so.
    """

    blockers: list[ValidationError]
    warnings: list[str]
    warnings_block: bool
    approvals: list[PostmortemApproval]
    outdated: list[PostmortemApproval]
    required: int

    @property
    def missing(self) -> int:
        return max(self.required - len(self.approvals), 0)

    @property
    def ready(self) -> bool:
        return not self.blockers

    @property
    def needs_confirmation(self) -> bool:
        return bool(self.warnings) and not self.warnings_block

    @property
    def reasons(self) -> list[str]:
        return [message for error in self.blockers for message in error.messages]


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def postmortem_approval_state(*, postmortem: Postmortem) -> tuple[list[PostmortemApproval], list[PostmortemApproval]]:
    """(approvals that count, latest approvals of earlier versions): from named reviewers other than the author."""
    approvals = (
        postmortem.approvals.filter(reviewer__in=postmortem.reviewers.all())
        .exclude(reviewer_id=postmortem.author_id)
        .select_related("reviewer")
        .order_by("reviewer_id", "-version")
    )
    latest: dict[int, PostmortemApproval] = {}
    for approval in approvals:
        latest.setdefault(approval.reviewer_id, approval)
    counting = [a for a in latest.values() if a.version == postmortem.version]
    outdated = [a for a in latest.values() if a.version != postmortem.version]
    return counting, outdated


def postmortem_follow_ups(postmortem: Postmortem) -> models.QuerySet[ActionItem]:
    """Action items that follow up on the postmortem: its incident's, or created from it."""
    from_it = Q(source_type=ContentType.objects.get_for_model(Postmortem), source_id=postmortem.pk)
    return ActionItem.objects.filter(Q(incident_id=postmortem.incident_id) | from_it)


def postmortem_publish_check(*, postmortem: Postmortem, actor: User | None) -> PublishCheck:
    org = OrgSettings.current()
    blockers: list[ValidationError] = []
    if postmortem.status != Postmortem.Status.IN_REVIEW:
        blockers.append(_state_error("publish", postmortem.status))
    if not postmortem.summary.strip():
        blockers.append(ValidationError("Write a summary before publishing.", code="summary_missing"))
    approvals, outdated = postmortem_approval_state(postmortem=postmortem)
    missing = org.postmortem_approvals_required - len(approvals)
    if missing > 0:
        needed = _plural(missing, "more approval", "more approvals")
        message = f"It needs {needed} from a named reviewer other than the author."
        if outdated:
            names = ", ".join(a.reviewer.display_name for a in outdated)
            message += f" Approved an earlier version: {names} (the text changed since)."
        blockers.append(ValidationError(message, code="approvals_required"))
    elif (
        actor is not None
        and actor.pk == postmortem.author_id
        and not approvals
        and not org.postmortem_author_may_publish_alone
    ):
        blockers.append(
            ValidationError(
                "You wrote this postmortem: publish it once a named reviewer has approved it.",
                code="approvals_required",
            )
        )
    warnings = []
    open_comments = postmortem.comments.filter(resolved_at__isnull=True).count()
    if open_comments:
        warnings.append(f"{_plural(open_comments, 'comment is', 'comments are')} not resolved.")
    if not postmortem_follow_ups(postmortem).exists():
        warnings.append("No action item follows up on it.")
    warnings_block = org.postmortem_publish_warnings == OrgSettings.PublishWarnings.BLOCK
    if warnings_block:
        blockers.extend(ValidationError(w, code="open_points") for w in warnings)
    return PublishCheck(
        blockers=blockers,
        warnings=warnings,
        warnings_block=warnings_block,
        approvals=approvals,
        outdated=outdated,
        required=org.postmortem_approvals_required,
    )


@transaction.atomic
def postmortem_publish(*, postmortem: Postmortem, actor: User, confirm: bool = False) -> Postmortem:
    """In review -> published, when `postmortem_publish_check` finds nothing in the way.

    Refusals are ValidationErrors with a code: a missing summary is a field error; the state, missing
    approvals and (when the settings block them) open points are a list of coded errors; warnings
    without `confirm` are `confirmation_required`. The confirmed warnings are recorded on the postmortem.
    """
    permissions.check(actor, Action.APPROVE, postmortem)
    locked = Postmortem.objects.select_for_update().get(pk=postmortem.pk)
    check = postmortem_publish_check(postmortem=locked, actor=actor)
    state = [e for e in check.blockers if e.code == "invalid_transition"]
    if state:
        raise ValidationError(state)
    if any(e.code == "summary_missing" for e in check.blockers):
        raise ValidationError({"summary": "Write a summary before publishing."})
    if check.blockers:
        raise ValidationError(check.blockers)
    if check.warnings and not confirm:
        raise ValidationError(
            [ValidationError(f"Confirm to publish anyway: {w}", code="confirmation_required") for w in check.warnings]
        )
    postmortem = _transition(
        locked,
        step="publish",
        status=Postmortem.Status.PUBLISHED,
        published_at=timezone.now(),
        published_by=actor,
        publish_confirmed=check.warnings,
    )
    emit("postmortem_changed", postmortem=postmortem)
    return postmortem


@transaction.atomic
def postmortem_comment_add(*, postmortem: Postmortem, actor: User, body: str, section: str = "") -> PostmortemComment:
    """Anyone who may read the postmortem comments; the author is notified of others' comments."""
    if not permissions.can_view(actor, postmortem):
        raise PermissionDenied("You may not view this postmortem.")
    comment = PostmortemComment(postmortem=postmortem, author=actor, body=body, section=section)
    comment.full_clean()
    comment.save()
    where = f" on {comment.get_section_display()}" if section else ""
    _tell(
        [postmortem.owner],
        Notification.Kind.POSTMORTEM_COMMENTED,
        postmortem,
        actor,
        f"{actor.display_name} commented{where} on the postmortem of “{_title(postmortem)}”: "
        f"“{Truncator(body).chars(140)}”",
        anchor=f"comment-{comment.pk}",
    )
    _tell_thread(comment, actor)
    return comment


MENTION = re.compile(r"(?<![\w@])@([\w.+-]{1,150})")


def _tell_thread(comment: PostmortemComment, actor: User) -> None:
    """@username mentions are told "you were mentioned"; earlier commenters on the same section (the
    thread) are told of the reply. Only people who may read the postmortem hear anything (notify())."""
    postmortem = comment.postmortem
    names = {m.rstrip(".") for m in MENTION.findall(comment.body)}
    mentioned = list(User.objects.filter(username__in=names, is_active=True)) if names else []
    link = f"comment-{comment.pk}"
    excerpt = Truncator(comment.body).chars(140)
    if mentioned:
        _tell(
            mentioned,
            Notification.Kind.MENTION,
            postmortem,
            actor,
            f"{actor.display_name} mentioned you on the postmortem of “{_title(postmortem)}”: “{excerpt}”",
            anchor=link,
        )
    told = {u.pk for u in mentioned} | {postmortem.owner_id}
    earlier = (
        PostmortemComment.objects.filter(postmortem=postmortem, section=comment.section, author__isnull=False)
        .exclude(pk=comment.pk)
        .exclude(author_id__in=told)
        .values_list("author_id", flat=True)
        .distinct()
    )
    repliers = list(User.objects.filter(pk__in=earlier))
    if repliers:
        _tell(
            repliers,
            Notification.Kind.COMMENT_REPLY,
            postmortem,
            actor,
            f"{actor.display_name} replied on the postmortem of “{_title(postmortem)}”: “{excerpt}”",
            anchor=link,
        )


@transaction.atomic
def postmortem_comment_resolve(*, comment: PostmortemComment, actor: User, resolved: bool = True) -> PostmortemComment:
    """Resolve (or reopen) a comment: its author or a member of the owning team may."""
    postmortem = comment.postmortem
    allowed = permissions.can_view(actor, postmortem) and (
        comment.author_id == actor.pk or permissions.can(actor, Action.CHANGE, postmortem)
    )
    if not allowed:
        raise PermissionDenied("Only the comment's author or the owning team resolves a comment.")
    values: dict[str, Any] = {
        "resolved_at": timezone.now() if resolved else None,
        "resolved_by": actor if resolved else None,
    }
    PostmortemComment.objects.filter(pk=comment.pk, resolved_at__isnull=resolved).update(**values)
    comment.refresh_from_db(fields=["resolved_at", "resolved_by"])
    return comment


# --- action items ----------------------------------------------------------------------------

PAST_DUE = "The due date is in the past."


def _owner_errors(owner: User | None, team: Team) -> dict[str, str]:
    """The owner rule, one for pages, API and imports: an active member of the item's team."""
    if owner is None:
        return {}
    if not owner.is_active:
        return {"owner": f"{owner.get_username()} is no longer active; pick someone else."}
    if not Membership.objects.filter(user=owner, team=team).exists():
        return {"owner": f"{owner.get_username()} is not a member of {team.name}; the owner must belong to the team."}
    return {}


def _due_errors(due_date: date | None) -> dict[str, str]:
    if due_date is not None and due_date < timezone.localdate():
        return {"due_date": PAST_DUE}
    return {}


def _raise_if(errors: dict[str, Any], item: ActionItem | None = None) -> None:
    """Raise the rule errors together with the model's own (full_clean), so a form or the API shows them all."""
    errors = dict(errors)
    if item is not None:
        try:
            item.full_clean()
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors.setdefault(name, messages)
    if errors:
        raise ValidationError(errors)


def _linked(
    *, actor: User | None, origin: str | None, incident: Incident | None, source: models.Model | None
) -> tuple[str, Incident | None, models.Model | None]:
    """(origin, incident, source) of a new item, derived from the record it is linked to.

    A source decides the origin and the incident (a postmortem's incident, say); an incident alone is
    its own source, or, with origin "postmortem", its postmortem is. A given origin that contradicts
    the link is refused, naming `origin`. An item with no link keeps the origin given ("other" by
    default). A record the actor may not see is refused exactly like one that does not exist.
    """
    from incidents import sources

    if incident is not None and actor is not None and not permissions.can_view(actor, incident):
        raise ValidationError({"incident": sources.get("incident").not_found(incident.pk)})  # type: ignore[union-attr]
    if source is None and incident is not None:
        if origin == ActionItem.Origin.POSTMORTEM:
            postmortems = Postmortem.objects.filter(incident=incident)
            source = (postmortems.visible_to(actor) if actor is not None else postmortems).first()
            if source is None:
                raise ValidationError(
                    {"origin": f"Incident #{incident.pk} has no postmortem to link; leave origin out or send incident."}
                )
        else:
            source = incident
    if source is None:
        return origin or ActionItem.Origin.OTHER, None, None
    kind = sources.kind_of(source)
    if actor is not None and not permissions.can_view(actor, source):
        raise ValidationError({kind.name: kind.not_found(source.pk)})
    linked = kind.incident(source)
    if incident is not None and (linked is None or linked.pk != incident.pk):
        where = f"belongs to incident #{linked.pk}" if linked else "is not part of an incident"
        raise ValidationError({"incident": f"The {kind.label.lower()} {where}; leave incident out."})
    if origin and origin != kind.origin:
        expected = ActionItem.Origin(kind.origin)
        raise ValidationError(
            {"origin": f"An item from a {kind.label.lower()} has origin {expected.value!r}; leave origin out."}
        )
    return kind.origin, linked, source


def _apply_status(item: ActionItem, status: str, reason: str) -> None:
    """Set status, reason and completion time; won't do needs a reason."""
    reason = reason.strip()
    if status == ActionItem.Status.WONT_DO and not reason:
        raise ValidationError({"wont_do_reason": "Say why this will not be done."})
    item.status = status
    item.wont_do_reason = reason if status == ActionItem.Status.WONT_DO else ""
    if status in ActionItem.CLOSED_STATUSES:
        item.completed_at = item.completed_at or timezone.now()
    else:
        item.completed_at = None


@transaction.atomic
def action_item_create(
    *,
    actor: User | None,
    team: Team,
    title: str,
    origin: str | None = None,
    description: str = "",
    owner: User | None = None,
    priority: str = ActionItem.Priority.P3,
    due_date: date | None = None,
    tracker_url: str = "",
    incident: Incident | None = None,
    source: models.Model | None = None,
    status: str = ActionItem.Status.OPEN,
    wont_do_reason: str = "",
    allow_past_due: bool = False,
) -> ActionItem:
    """Create an action item from any origin: the one use case behind pages, API, reviews and imports.

    `actor` must be allowed to create items for `team` (403 otherwise) and to see the record it is
    linked to; `actor=None` is the system (commands, demo data) and skips those checks. `source` is
    the exact record it came from (see `incidents.sources`); origin and incident follow from it. The
    owner must be an active member of `team`, and the due date not in the past (`allow_past_due` is
    for records of the past, such as imported postmortems). Every refusal is a ValidationError with
    field messages; nothing is saved.
    """
    if actor is not None:
        permissions.check_create(actor, ActionItem, [team.pk])
    origin, incident, source = _linked(actor=actor, origin=origin, incident=incident, source=source)
    item = ActionItem(
        title=title,
        description=description,
        team=team,
        owner=owner,
        priority=priority,
        due_date=due_date,
        origin=origin,
        tracker_url=tracker_url,
        incident=incident,
        created_by=actor,
    )
    if source is not None:
        item.source_type = ContentType.objects.get_for_model(source)
        item.source_id = source.pk
    errors = {**_owner_errors(owner, team), **({} if allow_past_due else _due_errors(due_date))}
    try:
        _apply_status(item, status, wont_do_reason)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    _raise_if(errors, item)
    item.save()
    _tell_owner(item, actor)
    return item


def _tell_owner(item: ActionItem, actor: User | None) -> None:
    """The new owner hears of the assignment when a person (not the system, not themselves) made it."""
    if actor is None or item.owner is None:
        return
    notify(
        recipients=[item.owner],
        kind=Notification.Kind.ACTION_ITEM_ASSIGNED,
        subject=item,
        text=f"{actor.display_name} assigned you the action item “{Truncator(item.title).chars(120)}”",
        link=item.get_absolute_url(),
        actor=actor,
    )


def action_items_for_source(source: models.Model) -> models.QuerySet[ActionItem]:
    """Action items created from `source` (no permission scoping: callers chain `.visible_to(user)`)."""
    return ActionItem.objects.filter(source_type=ContentType.objects.get_for_model(source), source_id=source.pk)


@transaction.atomic
def action_item_update(
    *, item: ActionItem, actor: User | None, data: dict[str, Any], allow_past_due: bool = False
) -> ActionItem:
    """Change fields (and the status); the same owner and due-date rules as creation.

    Moving the item to another team needs create rights there; an owner must belong to the team the
    item ends up in. A due date is refused only when it changes to a day in the past, so an overdue
    item can still be edited (`allow_past_due`: for imports, as in `action_item_create`).
    """
    if actor is not None:
        permissions.check(actor, permissions.Action.CHANGE, item)
        if "team" in data and data["team"].pk != item.team_id:
            permissions.check_create(actor, ActionItem, [data["team"].pk])
    team = data.get("team", item.team)
    owner = data.get("owner", item.owner)
    errors: dict[str, str] = {}
    if owner != item.owner or team.pk != item.team_id:
        errors.update(_owner_errors(owner, team))
    if "due_date" in data and data["due_date"] != item.due_date and not allow_past_due:
        errors.update(_due_errors(data["due_date"]))
    _raise_if(errors)
    previous_owner = item.owner_id
    item, changed = model_update(instance=item, fields=ACTION_ITEM_FIELDS, data=data)
    if item.owner_id != previous_owner:
        _tell_owner(item, actor)
    if "status" in data and (data["status"] != item.status or data.get("wont_do_reason", "") != item.wont_do_reason):
        item = action_item_set_status(
            item=item, actor=actor, status=data["status"], reason=data.get("wont_do_reason", "")
        )
    elif changed:
        ActionItem.objects.filter(pk=item.pk).update(version=F("version") + 1)
    return item


@transaction.atomic
def action_item_set_status(*, item: ActionItem, actor: User | None, status: str, reason: str = "") -> ActionItem:
    """Move an item to `status`; won't do needs a reason, done and won't do record when they closed."""
    _apply_status(item, status, reason)
    item.full_clean()
    item.version += 1
    item.save(update_fields=["status", "wont_do_reason", "completed_at", "version", "updated_at"])
    return item
