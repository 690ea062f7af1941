"""Keeps the library index (LibraryEntry + EntryFacet) in step with postmortems and incidents.

`index_postmortem` is the one place that decides what the library shows for a postmortem:
published ones get an entry, anything else (a draft, a deleted postmortem) gets none. It runs from
the `postmortem_changed` / `incident_changed` hooks (inside the writer's transaction, see
opsx/hooks.py), from the importer, and from `manage.py reindex_library`.
"""

from collections.abc import Iterable

from django.contrib.postgres.search import SearchVector
from django.db import connection, transaction
from django.db.models import F, Func, TextField, Value
from django.db.models.expressions import Combinable

from incidents.models import POSTMORTEM_SECTIONS, FactorCategory, Incident, Postmortem
from learning.models import EntryFacet, FacetKind, LibraryEntry

SEARCH_CONFIG = "english"
# PostgreSQL's default parser reads "s3/dynamodb" or "/var/log/syslog" as one file-path token (lexeme
# 's3/dynamodb'), so a search for S3 would not find it. The stored vector, the query and the headline
# therefore see "/" as a stand-in the parser treats as a blank (a control character that user text does
# not contain): "s3", "dynamodb", "var", "log" become words of their own, adjacent, so phrases still match.
# Snippets turn the stand-in back into "/".
PATH_SEPARATOR = "/"
SEPARATOR_STAND_IN = "\x01"
# Sections that make up the searchable body (summary and lessons have fields of their own).
BODY_SECTIONS = [(name, heading) for name, heading in POSTMORTEM_SECTIONS if name not in ("summary", "lessons")]


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def searchable(expression: Combinable) -> Func:
    """Text as full-text search parses it (a column, a value, a concatenation): path separators become blanks."""
    return Func(
        expression, Value(PATH_SEPARATOR), Value(SEPARATOR_STAND_IN), function="translate", output_field=TextField()
    )


def search_vector_expression() -> SearchVector:
    """title A, summary and lessons B, body C: a title hit outranks a summary hit outranks a body hit."""
    return (
        SearchVector(searchable(F("title")), weight="A", config=SEARCH_CONFIG)
        + SearchVector(searchable(F("summary")), weight="B", config=SEARCH_CONFIG)
        + SearchVector(searchable(F("lessons")), weight="B", config=SEARCH_CONFIG)
        + SearchVector(searchable(F("body")), weight="C", config=SEARCH_CONFIG)
    )


def body_text(postmortem: Postmortem, category_names: dict[str, str]) -> str:
    parts = []
    for name, heading in BODY_SECTIONS:
        text = (getattr(postmortem, name) or "").strip()
        if text:
            parts.append(f"{heading}\n{text}")
    factors = [
        f"{category_names.get(f.get('category', ''), f.get('category', ''))}: {f.get('description', '')}"
        for f in postmortem.factors or []
        if isinstance(f, dict)
    ]
    if factors:
        parts.append("Contributing factors\n" + "\n".join(factors))
    return "\n\n".join(parts)


def _facets(entry: LibraryEntry, incident: Incident, postmortem: Postmortem, categories: dict[str, str]) -> list:
    rows = [
        EntryFacet(entry=entry, kind=FacetKind.TEAM, value=incident.team.slug, label=incident.team.name),
        EntryFacet(
            entry=entry, kind=FacetKind.SEVERITY, value=str(incident.severity.level), label=incident.severity.name
        ),
        EntryFacet(entry=entry, kind=FacetKind.YEAR, value=str(entry.year), label=str(entry.year)),
    ]
    rows += [
        EntryFacet(entry=entry, kind=FacetKind.SERVICE, value=s.slug, label=s.name) for s in incident.services.all()
    ]
    rows += [EntryFacet(entry=entry, kind=FacetKind.TAG, value=t.name, label=t.name) for t in incident.tags.all()]
    seen = set()
    for factor in postmortem.factors or []:
        slug = factor.get("category") if isinstance(factor, dict) else None
        if slug and slug not in seen:
            seen.add(slug)
            rows.append(EntryFacet(entry=entry, kind=FacetKind.CATEGORY, value=slug, label=categories.get(slug, slug)))
    return rows


@transaction.atomic
def index_postmortem(*, postmortem_id: int) -> LibraryEntry | None:
    """Create, refresh or remove the library entry of one postmortem; returns the entry (None if removed)."""
    postmortem = (
        Postmortem.objects.select_related("incident__team", "incident__severity")
        .prefetch_related("incident__services", "incident__tags")
        .filter(pk=postmortem_id)
        .first()
    )
    if postmortem is None or postmortem.status != Postmortem.Status.PUBLISHED:
        LibraryEntry.objects.filter(postmortem_id=postmortem_id).delete()
        return None
    incident = postmortem.incident
    categories = dict(FactorCategory.objects.values_list("slug", "name"))
    source = getattr(incident, "external_source", None)  # None when it was not imported
    started = incident.started_at.date()
    entry, _ = LibraryEntry.objects.update_or_create(
        postmortem=postmortem,
        defaults={
            "incident": incident,
            "team": incident.team,
            "title": incident.title,
            "summary": postmortem.summary,
            "lessons": postmortem.lessons,
            "body": body_text(postmortem, categories),
            "severity_level": incident.severity.level,
            "severity_name": incident.severity.name,
            "occurred_on": started,
            "year": started.year,
            "published_at": postmortem.published_at,
            "restricted": incident.restricted,
            "organization": source.organization if source else "",
        },
    )
    EntryFacet.objects.filter(entry=entry).delete()
    EntryFacet.objects.bulk_create(_facets(entry, incident, postmortem, categories))
    if is_postgres():
        LibraryEntry.objects.filter(pk=entry.pk).update(search_vector=search_vector_expression())
    return entry


def refresh_search_vectors(*, entry_ids: Iterable[int] | None = None) -> None:
    """Recompute stored search vectors (PostgreSQL); used after bulk loads."""
    if not is_postgres():
        return
    queryset = LibraryEntry.objects.all() if entry_ids is None else LibraryEntry.objects.filter(pk__in=entry_ids)
    queryset.update(search_vector=search_vector_expression())


def reindex_all() -> tuple[int, int]:
    """Rebuild every entry from the postmortems; returns (indexed, removed)."""
    indexed = 0
    published = Postmortem.objects.filter(status=Postmortem.Status.PUBLISHED).values_list("pk", flat=True)
    for pk in published.iterator(chunk_size=500):
        indexed += index_postmortem(postmortem_id=pk) is not None
    stale = LibraryEntry.objects.exclude(postmortem__status=Postmortem.Status.PUBLISHED)
    removed = stale.count()
    stale.delete()
    return indexed, removed


# --- hook receivers (registered in LearningConfig.ready) --------------------------------------


def on_postmortem_changed(*, postmortem: Postmortem, **_: object) -> None:
    index_postmortem(postmortem_id=postmortem.pk)


def on_incident_changed(*, incident: Incident, **_: object) -> None:
    postmortem_id = Postmortem.objects.filter(incident_id=incident.pk).values_list("pk", flat=True).first()
    if postmortem_id is not None:
        index_postmortem(postmortem_id=postmortem_id)
