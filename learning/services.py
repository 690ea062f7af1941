"""Writes for the library: follows, useful marks, comments, reads, and bulk import of postmortems.

Callers (views, viewsets, commands) fetch entries through `learning.selectors`, so the permission
rule has already decided the user may read them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.text import slugify

from incidents import selectors as incident_selectors
from incidents import services as incident_services
from incidents.models import (
    POSTMORTEM_SECTIONS,
    ActionItem,
    FactorCategory,
    Incident,
    Postmortem,
    Severity,
    Tag,
)
from learning.indexing import index_postmortem
from learning.models import (
    EntryRead,
    ExternalSource,
    Follow,
    FollowKind,
    LessonComment,
    LibraryEntry,
    UsefulMark,
)
from learning.postmortemfile import (
    ActionItemLine,
    Parsed,
    PostmortemRecord,
    RecordError,
    dump_action_items,
    extract_action_items,
)
from teams import permissions
from teams.models import System, Team, User

# --- follows ---------------------------------------------------------------------------------


def follow_target(*, kind: str, value: str) -> tuple[str, str]:
    """(value, display name) of what `kind`/`value` points at; ValidationError when it cannot be followed.

    Services, teams and factor categories must exist. A tag may be followed before anyone uses it (a
    team that expects "rate-limiting" incidents follows it ahead of time), so any well-formed tag name
    is accepted, spelled as incidents store it; that also keeps a tag that only restricted incidents
    carry indistinguishable from one nobody has used.
    """
    value = value.strip()
    if kind == FollowKind.TAG:
        name = value.lower()
        try:
            Tag(name=name).clean_fields()
        except ValidationError as exc:
            raise ValidationError(
                {"value": "A tag is one word of letters, digits, hyphens or underscores, e.g. rate-limiting."}
            ) from exc
        return name, name
    lookups: dict[str, Any] = {
        FollowKind.SERVICE: lambda: System.objects.filter(slug=value).values_list("name", flat=True).first(),
        FollowKind.TEAM: lambda: Team.objects.filter(slug=value).values_list("name", flat=True).first(),
        FollowKind.CATEGORY: lambda: FactorCategory.objects.filter(slug=value).values_list("name", flat=True).first(),
    }
    if kind not in lookups:
        raise ValidationError({"kind": f"Choose one of: {', '.join(FollowKind.values)}."})
    label = lookups[kind]()
    if label is None:
        raise ValidationError({"value": f"There is no {FollowKind(kind).label.lower()} called {value!r}."})
    return value, label


@transaction.atomic
def follow_add(*, user: User, kind: str, value: str) -> Follow:
    """Follow a tag, service, team or factor category; following twice returns the existing follow."""
    value, label = follow_target(kind=kind, value=value)
    follow, _ = Follow.objects.get_or_create(user=user, kind=kind, value=value, defaults={"label": label})
    return follow


@transaction.atomic
def follow_remove(*, follow: Follow) -> None:
    follow.delete()


# --- useful, comments, reads -----------------------------------------------------------------


def _recount(entry: LibraryEntry) -> LibraryEntry:
    entry.refresh_from_db(fields=["useful_count", "comment_count", "read_count"])
    return entry


@transaction.atomic
def useful_mark(*, entry: LibraryEntry, user: User) -> LibraryEntry:
    """Mark the entry's lessons useful (once per reader)."""
    try:
        with transaction.atomic():
            UsefulMark.objects.create(entry=entry, user=user)
    except IntegrityError:
        return _recount(entry)
    LibraryEntry.objects.filter(pk=entry.pk).update(useful_count=F("useful_count") + 1)
    return _recount(entry)


@transaction.atomic
def useful_unmark(*, entry: LibraryEntry, user: User) -> LibraryEntry:
    deleted, _ = UsefulMark.objects.filter(entry=entry, user=user).delete()
    if deleted:
        LibraryEntry.objects.filter(pk=entry.pk, useful_count__gt=0).update(useful_count=F("useful_count") - 1)
    return _recount(entry)


@transaction.atomic
def comment_add(*, entry: LibraryEntry, author: User, body: str) -> LessonComment:
    comment = LessonComment(entry=entry, author=author, body=body.strip())
    comment.full_clean()
    comment.save()
    LibraryEntry.objects.filter(pk=entry.pk).update(comment_count=F("comment_count") + 1)
    return comment


@transaction.atomic
def comment_delete(*, comment: LessonComment, actor: User) -> None:
    """Authors delete their own comments; leads of the entry's team and admins delete any."""
    if comment.author_id != actor.pk and not permissions.can(actor, permissions.Action.DELETE, comment):
        raise PermissionDenied("Only the author, a lead of the team or an admin may delete this comment.")
    entry_id = comment.entry_id
    comment.delete()
    LibraryEntry.objects.filter(pk=entry_id, comment_count__gt=0).update(comment_count=F("comment_count") - 1)


@transaction.atomic
def entry_record_read(*, entry: LibraryEntry, user: User) -> bool:
    """Count a reader's visit; returns True on their first read (which raises the entry's read count)."""
    updated = EntryRead.objects.filter(entry=entry, user=user).update(times=F("times") + 1, last_read_at=timezone.now())
    if updated:
        return False
    try:
        with transaction.atomic():
            EntryRead.objects.create(entry=entry, user=user)
    except IntegrityError:  # a concurrent first visit won
        return False
    LibraryEntry.objects.filter(pk=entry.pk).update(read_count=F("read_count") + 1)
    return True


# --- import ----------------------------------------------------------------------------------

UNKNOWN_POLICIES = {
    "teams": ("refuse", "create"),
    "services": ("skip", "refuse", "create"),
    "tags": ("create", "skip", "refuse"),
    "categories": ("refuse", "skip", "create"),
}
IMPORTED_FACTOR = "Named in the imported write-up."
_HEADINGS = {heading.lower(): name for name, heading in POSTMORTEM_SECTIONS if name not in ("summary", "lessons")}
FACTORS_HEADING = "Contributing factors"
HEADING_RE = re.compile(r"^##\s+(.+?)\s*#*\s*$")
FACTOR_LINE_RE = re.compile(r"^[-*]\s+(?:\*\*(?P<bold>[^*]+)\*\*|(?P<plain>[^:]+))\s*:\s*(?P<text>.+)$")
NATIVE_KEY_RE = re.compile(r"^opsx-(\d+)$")
# Text before the first known heading of an imported body (e.g. a "What happened" narrative).
PREAMBLE_SECTION = "timeline"


class Refused(Exception):  # noqa: N818 - an outcome reported per record
    pass


@dataclass
class ImportOptions:
    """How to treat what a file names but opsx does not know. Maps are applied first ({name: slug})."""

    default_team: Team | None = None
    default_severity: int = 3
    unknown_teams: str = "refuse"
    unknown_services: str = "skip"
    unknown_tags: str = "create"
    unknown_categories: str = "refuse"
    team_map: dict[str, str] = field(default_factory=dict)
    service_map: dict[str, str] = field(default_factory=dict)
    tag_map: dict[str, str] = field(default_factory=dict)
    category_map: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, allowed in UNKNOWN_POLICIES.items():
            if getattr(self, f"unknown_{name}") not in allowed:
                raise ValueError(f"unknown_{name} must be one of {', '.join(allowed)}")
        if not 1 <= self.default_severity <= 5:
            raise ValueError("default_severity must be 1..5")


@dataclass
class ImportOutcome:
    created: int = 0
    updated: int = 0
    refused: list[RecordError] = field(default_factory=list)
    warnings: list[RecordError] = field(default_factory=list)  # about records that were imported
    incidents: list[int] = field(default_factory=list)

    def summary(self) -> str:
        warned = f", {len(self.warnings)} with warnings" if self.warnings else ""
        return f"{self.created} created, {self.updated} updated, {len(self.refused)} refused{warned}"


def split_body(body: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Postmortem sections from an imported body, by their `## Heading`; plus factor lines (name, text)."""
    sections: dict[str, list[str]] = {}
    factors: list[tuple[str, str]] = []
    current = PREAMBLE_SECTION
    for line in body.splitlines():
        match = HEADING_RE.match(line)
        heading = match.group(1).strip().lower() if match else None
        if heading in _HEADINGS:
            current = _HEADINGS[heading]
            continue
        if heading == FACTORS_HEADING.lower():
            current = "factors"
            continue
        if current == "factors":
            factor = FACTOR_LINE_RE.match(line.strip())
            if factor:
                name = (factor.group("bold") or factor.group("plain") or "").strip()
                factors.append((name, factor.group("text").strip()))
                continue
            if not line.strip():
                continue
            current = PREAMBLE_SECTION  # free text after the factor list belongs to the narrative
        sections.setdefault(current, []).append(line)
    return {name: "\n".join(lines).strip() for name, lines in sections.items()}, factors


def join_body(postmortem: Postmortem, category_names: dict[str, str], action_items: Iterable[ActionItem] = ()) -> str:
    """The inverse of split_body: every non-empty section under its heading, factors as a list, and the
    incident's action items as an "Action items" table (which the importer reads back)."""
    parts = []
    for name, heading in POSTMORTEM_SECTIONS:
        if name in ("summary", "lessons"):
            continue
        text = (getattr(postmortem, name) or "").strip()
        if text:
            parts.append(f"## {heading}\n\n{text}")
    factors = [f for f in postmortem.factors or [] if isinstance(f, dict)]
    if factors:
        lines = [f"- **{category_names.get(f['category'], f['category'])}**: {f['description']}" for f in factors]
        parts.append(f"## {FACTORS_HEADING}\n\n" + "\n".join(lines))
    if table := dump_action_items(action_item_lines(action_items)):
        parts.append(table)
    return "\n\n".join(parts)


class _Resolver:
    """Finds (or creates, or maps) the teams, services, tags and categories a record names."""

    def __init__(self, options: ImportOptions, actor: User | None) -> None:
        self.options = options
        self.actor = actor
        self.severities = {s.level: s for s in Severity.objects.all()}
        # A tag only incidents hidden from the actor carry is unknown to them, like one nobody has used.
        self.known_tags = Tag.objects.all() if actor is None else incident_selectors.tags_in_use(user=actor)
        self.warnings: list[str] = []  # about the record being resolved; the caller collects them

    def team(self, record: PostmortemRecord) -> Team:
        """The record's team; a record with only `organization` goes to the team the map names, else the default."""
        name = record.team or ""
        organization = record.organization
        if not name and organization and organization in self.options.team_map:
            name = organization
        elif not name:
            default = self.options.default_team
            if default is None and organization:
                raise Refused(
                    f"organization {organization!r} is not a team here: give a default team "
                    f"or map it to one (map_team / --map-team {organization!r}=SLUG)"
                )
            if default is None:
                raise Refused("no team: name one with 'team' or give a default team")
            if organization:
                self.warnings.append(f"organization {organization!r} imported into the default team {default.slug!r}")
            return default
        name = self.options.team_map.get(name, name)
        team = Team.objects.filter(Q(slug=name) | Q(name__iexact=name)).first()
        if team is not None:
            return team
        if self.options.unknown_teams == "create":
            if self.actor is not None and not permissions.is_admin(self.actor):
                raise Refused(f"unknown team {name!r} (only admins may create teams)")
            slug = slugify(name)[:100] or "imported"
            return Team.objects.get_or_create(slug=slug, defaults={"name": name[:100]})[0]
        raise Refused(f"unknown team {name!r} (map it or allow creating teams)")

    def severity(self, record: PostmortemRecord) -> Severity:
        level = record.severity or self.options.default_severity
        if level not in self.severities:
            raise Refused(f"severity SEV{level} is not defined")
        return self.severities[level]

    def services(self, record: PostmortemRecord, team: Team) -> list[System]:
        found = []
        for raw in record.services:
            name = self.options.service_map.get(raw, raw)
            system = System.objects.filter(Q(slug=name) | Q(name__iexact=name)).first()
            if system is None:
                policy = self.options.unknown_services
                if policy == "refuse":
                    raise Refused(f"unknown service {name!r} (map it, skip or create unknown services)")
                if policy == "skip":
                    continue
                slug = slugify(name)[:100] or "service"
                system = System.objects.get_or_create(slug=slug, defaults={"name": name[:100], "team": team})[0]
            found.append(system)
        return found

    def tags(self, record: PostmortemRecord) -> list[str]:
        names = []
        for raw in record.tags:
            name = slugify(self.options.tag_map.get(raw, raw), allow_unicode=True)[:50]
            if not name:
                continue
            if not self.known_tags.filter(name=name).exists():
                if self.options.unknown_tags == "refuse":
                    raise Refused(f"unknown tag {raw!r} (map it, skip or create unknown tags)")
                if self.options.unknown_tags == "skip":
                    continue
            names.append(name)
        return list(dict.fromkeys(names))

    def category(self, raw: str) -> str | None:
        name = self.options.category_map.get(raw, raw)
        slug = slugify(name)
        found = FactorCategory.objects.filter(Q(slug=slug) | Q(name__iexact=name)).values_list("slug", flat=True)
        if found:
            return found[0]
        policy = self.options.unknown_categories
        if policy == "refuse":
            raise Refused(f"unknown contributing-factor category {raw!r} (map it, skip or create unknown categories)")
        if policy == "skip":
            return None
        return FactorCategory.objects.get_or_create(slug=slug[:50], defaults={"name": name[:100]})[0].slug


def _external_id(key: str) -> str:
    value = f"import:{key}"
    return value if len(value) <= 200 else "import:sha256:" + hashlib.sha256(key.encode()).hexdigest()


def _existing_incident(record: PostmortemRecord, actor: User | None) -> Incident | None:
    """The incident a record's key already names, if any.

    Imported keys are unique, so one held by an incident the actor may not see still names it (and the
    import is refused like any other conflict). A native key (`opsx-<id>`) only names an incident the
    actor may see: otherwise it is a new key, as if there were no such incident, so that importing
    `opsx-<id>` never confirms that a hidden incident with that id and date exists.
    """
    source = ExternalSource.objects.filter(key=record.key).select_related("incident").first()
    if source is not None:
        return source.incident
    incident = Incident.objects.filter(external_id=_external_id(record.key)).first()
    if incident is not None:
        return incident
    native = NATIVE_KEY_RE.match(record.key)
    if native:  # exported from this instance: the same incident, if its date still matches
        incidents = Incident.objects.all() if actor is None else Incident.objects.visible_to(actor)
        return incidents.filter(pk=int(native.group(1)), started_at__date=record.date).first()
    return None


def _factors(record: PostmortemRecord, resolver: _Resolver, listed: list[tuple[str, str]], current: list) -> list:
    factors: list[dict[str, str]] = []
    for name, text in listed:
        slug = resolver.category(name)
        if slug:
            factors.append({"category": slug, "description": text})
    described = {f["category"] for f in factors}
    previous = {f.get("category"): f.get("description") for f in current if isinstance(f, dict)}
    for raw in record.categories:
        slug = resolver.category(raw)
        if slug and slug not in described:
            described.add(slug)
            factors.append({"category": slug, "description": previous.get(slug) or IMPORTED_FACTOR})
    return factors


def _import_one(
    *, record: PostmortemRecord, actor: User | None, resolver: _Resolver, where: str, warnings: list[str]
) -> bool:
    """Create or update one imported postmortem (published); returns True when created."""
    team = resolver.team(record)
    severity = resolver.severity(record)
    services = resolver.services(record, team)
    tags = resolver.tags(record)
    # A record has only a date: the incident starts (and is resolved) on that day, at no known time.
    started = dt.datetime.combine(record.date, dt.time(0, 0), tzinfo=dt.UTC)
    incident = _existing_incident(record, actor)
    created = incident is None
    fields = {"title": record.title, "team": team, "severity": severity}
    if created:
        if actor is not None and not permissions.can_create(actor, Incident, [team.pk]):
            raise Refused(f"you may not add postmortems for team {team.slug!r}")
        incident = incident_services.incident_create(
            actor=actor,
            services=services,
            tags=tags,
            status=Incident.Status.CLOSED,
            started_at=started,
            resolved_at=started,
            date_only_times=["started_at", "resolved_at"],
            external_id=_external_id(record.key),
            **fields,
        )
    else:
        if actor is not None and not permissions.can(actor, permissions.Action.CHANGE, incident):
            # The same words whether the incident is shared with the actor or not: nothing about it is told.
            raise Refused(f"id {record.key!r} is already in use by a postmortem you may not change; use another id")
        incident.refresh_from_db()
        data: dict[str, Any] = {**fields, "services": services, "tags": tags}
        date_only = set(incident.date_only_times or [])
        # An exact start on the record's day (an opsx export, or one entered since) stays exact.
        if incident.started_at.astimezone(dt.UTC).date() != record.date or "started_at" in date_only:
            data["started_at"] = started
            date_only.add("started_at")
        if incident.resolved_at is None or incident.resolved_at < data.get("started_at", incident.started_at):
            data["resolved_at"] = started
            date_only.add("resolved_at")
        data["date_only_times"] = sorted(date_only)
        incident = incident_services.incident_update(incident=incident, actor=actor, data=data, expected_version=None)
    ExternalSource.objects.update_or_create(
        incident=incident,
        defaults={
            "key": record.key,
            "organization": record.organization,
            "source_url": record.source_url,
            "source_file": where[:300],
            "imported_by": actor,
        },
    )
    postmortem = incident_services.postmortem_start(incident=incident, actor=actor)
    body, action_lines = extract_action_items(record.body)
    sections, listed_factors = split_body(body)
    content: dict[str, Any] = {name: sections.get(name, "") for name in _HEADINGS.values()}
    content.update(
        summary=record.summary,
        lessons=record.lessons,
        factors=_factors(record, resolver, listed_factors, postmortem.factors),
    )
    postmortem = incident_services.postmortem_save(
        postmortem=postmortem, actor=actor, data=content, expected_version=postmortem.version, note=f"imported {where}"
    )
    if postmortem.status != Postmortem.Status.PUBLISHED:
        Postmortem.objects.filter(pk=postmortem.pk).update(
            status=Postmortem.Status.PUBLISHED, published_at=timezone.now(), updated_at=timezone.now()
        )
    _import_action_items(lines=action_lines, postmortem=postmortem, actor=actor, warnings=warnings)
    index_postmortem(postmortem_id=postmortem.pk)
    return created


def import_records(
    *, records: Iterable[tuple[str, int, Parsed]], actor: User | None, options: ImportOptions
) -> ImportOutcome:
    """Import parsed records (file, line, record or error). Bad ones are refused and reported; the rest import.

    Each record imports in its own transaction (savepoint), so one refusal never undoes another record.
    `actor` None is the command line (the operator may do anything); a user is held to the permission rule.
    """
    outcome = ImportOutcome()
    resolver = _Resolver(options, actor)
    seen: dict[str, str] = {}
    for file, line, parsed in records:
        if isinstance(parsed, RecordError):
            outcome.refused.append(parsed)
            continue
        where = f"{file}:{line}"
        if parsed.key in seen:
            outcome.refused.append(
                RecordError(file, line, f"id {parsed.key!r} repeats the record at {seen[parsed.key]}")
            )
            continue
        seen[parsed.key] = where
        warnings: list[str] = []
        resolver.warnings = warnings  # the resolver's notes and the record's own, together
        try:
            with transaction.atomic():
                created = _import_one(record=parsed, actor=actor, resolver=resolver, where=where, warnings=warnings)
        except Refused as exc:
            outcome.refused.append(RecordError(file, line, str(exc)))
            continue
        except ValidationError as exc:
            messages = (
                [f"{k}: {'; '.join(v)}" if k != NON_FIELD_ERRORS else "; ".join(v) for k, v in exc.message_dict.items()]
                if hasattr(exc, "error_dict")
                else exc.messages
            )
            outcome.refused.append(RecordError(file, line, " ".join(messages)))
            continue
        outcome.warnings += [RecordError(file, line, message) for message in resolver.warnings]
        if created:
            outcome.created += 1
        else:
            outcome.updated += 1
    return outcome


# --- action items of imported write-ups -------------------------------------------------------

IMPORTED_WONT_DO = "Marked won't do in the imported write-up."
MAX_TRACKER_URL = ActionItem._meta.get_field("tracker_url").max_length or 200
# Re-imports move a status forward only: an item closed in opsx stays closed, one closed in the file closes.
STATUS_RANK = {"open": 0, "in_progress": 1, "done": 2, "wont_do": 2}


def _title_key(title: str) -> str:
    return re.sub(r"\W+", " ", title).strip().lower()


def action_item_lines(items: Iterable[ActionItem]) -> list[ActionItemLine]:
    """Action items as the lines of a write-up's "Action items" table (for export)."""
    return [
        ActionItemLine(
            title=item.title,
            owner=item.owner.get_username() if item.owner else "",
            due=item.due_date,
            status=item.status,
            priority=item.priority,
            tracker_url=item.tracker_url,
        )
        for item in items
    ]


def _item_owner(name: str, team: Team, label: str, warnings: list[str]) -> User | None:
    """The user a write-up names (username, e-mail or full name), if unambiguous and in the team."""
    if not name:
        return None
    query = Q(username__iexact=name) | Q(email__iexact=name)
    first, _, last = name.partition(" ")
    if last:
        query |= Q(first_name__iexact=first, last_name__iexact=last.strip())
    users = list(User.objects.filter(query, is_active=True)[:2])
    if len(users) != 1:
        warnings.append(f"{label}: unknown owner {name!r}; left unassigned")
        return None
    if not users[0].memberships.filter(team=team).exists():
        warnings.append(f"{label}: owner {name!r} is not a member of {team.name}; left unassigned")
        return None
    return users[0]


def _tracker(url: str, label: str, warnings: list[str]) -> str:
    if not url:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(url)
        if len(url) > MAX_TRACKER_URL:
            raise ValidationError("too long")
    except ValidationError:
        warnings.append(f"{label}: ticket link {url[:80]!r} is not a URL of at most {MAX_TRACKER_URL} characters")
        return ""
    return url


def _import_action_items(
    *, lines: list[ActionItemLine], postmortem: Postmortem, actor: User | None, warnings: list[str]
) -> None:
    """The write-up's action items as records linked to its postmortem, idempotently.

    An item is the same item as one of the incident's action items with the same title (ignoring case
    and punctuation): re-importing creates no duplicate. Such an item keeps what opsx knows, since
    follow-up happens here: the file fills in an owner, a due date or a ticket only where opsx has
    none, and moves the status forward only. A renamed item is a new one; an item no longer in the
    file is left as it is. Due dates in the past are kept (the write-up is a record of the past). An
    owner who is unknown, ambiguous or not in the team leaves the item unassigned, with a warning.
    """
    if not lines:
        return
    incident = postmortem.incident
    team = incident.team
    existing = {_title_key(item.title): item for item in ActionItem.objects.filter(incident=incident)}
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        label = f"action item {number} ({line.title[:60]!r})"
        warnings += [f"{label}: {problem}" for problem in line.problems]
        key = _title_key(line.title)
        if key in seen:
            warnings.append(f"{label}: listed twice; imported once")
            continue
        seen.add(key)
        owner = _item_owner(line.owner, team, label, warnings)
        tracker = _tracker(line.tracker_url, label, warnings)
        reason = IMPORTED_WONT_DO if line.status == ActionItem.Status.WONT_DO else ""
        item = existing.get(key)
        try:
            if item is None:
                incident_services.action_item_create(
                    actor=actor,
                    team=team,
                    title=line.title,
                    description=line.description,
                    owner=owner,
                    priority=line.priority or ActionItem.Priority.P3,
                    due_date=line.due,
                    tracker_url=tracker,
                    source=postmortem,
                    status=line.status or ActionItem.Status.OPEN,
                    wont_do_reason=reason,
                    allow_past_due=True,
                )
                continue
            data: dict[str, Any] = {}
            if item.owner_id is None and owner is not None:
                data["owner"] = owner
            if item.due_date is None and line.due is not None:
                data["due_date"] = line.due
            if not item.tracker_url and tracker:
                data["tracker_url"] = tracker
            if line.status and STATUS_RANK[line.status] > STATUS_RANK[item.status]:
                data.update(status=line.status, wont_do_reason=reason)
            if data:
                incident_services.action_item_update(item=item, actor=actor, data=data, allow_past_due=True)
        except (ValidationError, PermissionDenied) as exc:
            messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
            warnings.append(f"{label}: not imported: {' '.join(messages)}")


def on_incident_declared(*, incident: Incident, actor: User | None) -> None:
    """Hook `incident_declared`: tell the people following the incident's team or one of its services.

    SEV1-2 by default; each person's preference may widen or narrow that (`severity=` of notify()).
    A restricted incident reaches only followers allowed to read it (notify() asks the rule).
    """
    from notifications.models import Notification
    from notifications.services import notify

    services = list(incident.services.values_list("slug", flat=True))
    follows = Q(kind=FollowKind.TEAM, value=incident.team.slug) | Q(kind=FollowKind.SERVICE, value__in=services)
    followers = User.objects.filter(pk__in=Follow.objects.filter(follows).values("user_id"), is_active=True)
    severity = incident.severity
    notify(
        recipients=followers,
        kind=Notification.Kind.INCIDENT_DECLARED,
        subject=incident,
        text=f"{severity.name} incident declared for {incident.team.name}: “{incident.title[:150]}”",
        link=incident.get_absolute_url(),
        actor=actor,
        severity=severity.level,
    )
