"""Reads for the library, always scoped to a user through the permission rule.

Search runs on the denormalized LibraryEntry table. On PostgreSQL it is full-text search over a
stored, weighted tsvector (GIN index), ranked by proximity (`search_rank`: entries that contain the
query's words as a phrase first, then cover density), with snippets from ts_headline. On
SQLite (the embedded default) it degrades to case-insensitive substring matching with a simple
rank (a title hit above a summary or lessons hit above a body hit) and plain snippets.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import connection
from django.db.models import Case, Count, F, FloatField, IntegerField, Q, QuerySet, TextField, Value, When
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Concat
from django.utils.safestring import SafeString, mark_safe

from learning.indexing import PATH_SEPARATOR, SEARCH_CONFIG, SEPARATOR_STAND_IN, is_postgres, searchable
from learning.models import EntryFacet, EntryRead, FacetKind, Follow, LessonComment, LibraryEntry
from learning.postmortemfile import PostmortemRecord
from teams import permissions
from teams.models import User

if TYPE_CHECKING:
    from incidents.models import ActionItem

# Query-string names of the facet filters, in display order.
FACET_KINDS: list[str] = [
    FacetKind.TEAM,
    FacetKind.SERVICE,
    FacetKind.SEVERITY,
    FacetKind.CATEGORY,
    FacetKind.TAG,
    FacetKind.YEAR,
]
MAX_QUERY_LENGTH = 200
_START, _STOP = "\x02", "\x03"  # headline markers: never in user text, escaped text is then marked up
WORD_RE = re.compile(r"[\w][\w'-]*", re.UNICODE)


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool = False


@dataclass
class SearchResult:
    entries: QuerySet[LibraryEntry]
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)


def entry_list(*, user: User) -> QuerySet[LibraryEntry]:
    """Every entry `user` may read (published postmortems; restricted ones only for named people and admins)."""
    return LibraryEntry.objects.visible_to(user).select_related("team").defer("search_vector", "body")


def entries_by_ids(*, ids: list[int]) -> list[LibraryEntry]:
    """Rows for one page of ids (already permission-scoped by the query that found them), in that order.

    Pages are found as ids first and loaded second: the ranked query then sorts narrow rows and joins
    nothing, which keeps it as fast as a bare full-text query.
    """
    rows = LibraryEntry.objects.select_related("team").defer("search_vector", "body").in_bulk(ids)
    return [rows[pk] for pk in ids if pk in rows]


def entry_get_for(*, user: User, pk: int) -> LibraryEntry:
    queryset = LibraryEntry.objects.select_related("team", "postmortem", "incident__severity", "incident__team")
    return permissions.get_for(user, queryset, pk=pk)


def query_terms(q: str) -> list[str]:
    """The words of a query, without websearch operators (quotes, OR, leading minus)."""
    words = [w.strip("'-") for w in WORD_RE.findall(q[:MAX_QUERY_LENGTH])]
    return [w for w in words if w and w.lower() != "or"]


PHRASE_RE = re.compile(r'(-?)"([^"]+)"|(-?)(\S+)')


def parse_query(q: str) -> tuple[list[str], list[str]]:
    """(required, excluded) terms of a websearch-style query, for the SQLite fallback.

    `"exact phrase"` stays one term, `-word` excludes, `or` is ignored (every term is required).
    """
    required: list[str] = []
    excluded: list[str] = []
    for match in PHRASE_RE.finditer(q[:MAX_QUERY_LENGTH]):
        negative = match.group(1) or match.group(3)
        text = (match.group(2) or match.group(4) or "").strip().strip("'")
        if not text or text.lower() == "or" or not WORD_RE.search(text):
            continue
        (excluded if negative else required).append(text)
    return required, excluded


def _apply_filters(queryset: QuerySet[LibraryEntry], filters: dict[str, list[str]]) -> QuerySet[LibraryEntry]:
    """AND across kinds, OR within a kind. Team, severity and year are columns; the rest are facet rows."""
    for kind in FACET_KINDS:
        values = [v for v in filters.get(kind, []) if v]
        if not values:
            continue
        if kind == FacetKind.TEAM:
            queryset = queryset.filter(team__slug__in=values)
        elif kind == FacetKind.SEVERITY:
            queryset = queryset.filter(severity_level__in=[int(v) for v in values if v.isdigit()])
        elif kind == FacetKind.YEAR:
            queryset = queryset.filter(year__in=[int(v) for v in values if v.isdigit()])
        else:
            matching = EntryFacet.objects.filter(kind=kind, value__in=values).values("entry_id")
            queryset = queryset.filter(pk__in=matching)
    return queryset


def search_query(q: str, search_type: str = "websearch") -> SearchQuery:
    """The tsquery of `q` (websearch syntax by default; "phrase" for its words in order), parsed like the index."""
    return SearchQuery(searchable(Value(q)), search_type=search_type, config=SEARCH_CONFIG)


# Cover density normalised to [0, 1) (rank / (rank + 1)), so the phrase bonus of 1 always dominates it.
COVER_DENSITY_NORMALIZATION = 32


def search_rank(q: str) -> CombinedExpression:
    """How well an entry matches `q`: 1 if it has the query's words as a phrase ("rate limit" next to each
    other, in order), plus ts_rank_cd, which grows with the weight of the fields hit (title A, summary and
    lessons B, body C) and shrinks with the distance between the words. So "rate limit" ranks entries
    that say "rate limit" above entries that say "rate" and "limit" far apart, even in the title."""
    phrase = Case(
        When(search_vector=search_query(q, "phrase"), then=Value(1.0)), default=Value(0.0), output_field=FloatField()
    )
    density = SearchRank(
        F("search_vector"), search_query(q), normalization=COVER_DENSITY_NORMALIZATION, cover_density=True
    )
    return phrase + density


def _text_match(queryset: QuerySet[LibraryEntry], q: str) -> QuerySet[LibraryEntry]:
    if is_postgres():
        return (
            queryset.filter(search_vector=search_query(q))
            .annotate(rank=search_rank(q))
            .order_by("-rank", "-occurred_on", "-id")
        )
    terms, excluded = parse_query(q)
    if not terms:
        return queryset.none()
    for term in excluded:
        queryset = queryset.exclude(_contains(term))
    rank = Value(0, output_field=IntegerField())
    for term in terms:
        queryset = queryset.filter(_contains(term))
        rank = rank + Case(
            When(title__icontains=term, then=Value(4)),
            When(Q(summary__icontains=term) | Q(lessons__icontains=term), then=Value(2)),
            default=Value(1),
            output_field=IntegerField(),
        )
    if len(terms) > 1:  # the words as one phrase outrank them apart (more than any mix of fields can add)
        phrase = Case(When(_contains(" ".join(terms)), then=Value(4 * len(terms))), default=Value(0))
        rank = rank + phrase
    return queryset.annotate(rank=rank).order_by("-rank", "-occurred_on", "-id")


def _contains(text: str) -> Q:
    return Q(title__icontains=text) | Q(summary__icontains=text) | Q(lessons__icontains=text) | Q(body__icontains=text)


def library_search(*, user: User, q: str = "", filters: dict[str, list[str]] | None = None) -> QuerySet[LibraryEntry]:
    """Entries matching the query and facet filters, best first (newest first without a query)."""
    queryset = _apply_filters(LibraryEntry.objects.visible_to(user).defer("search_vector", "body"), filters or {})
    q = q.strip()[:MAX_QUERY_LENGTH]
    if q:
        return _text_match(queryset, q)
    return queryset.order_by("-occurred_on", "-id")


class SearchPage:
    """The (pk, rank) rows of a library search, countable and sliceable for Django's Paginator.

    Search-as-you-type sends a request per keystroke, so the page of ids is the hot path. On
    PostgreSQL, for a text query without facet filters, it runs a statement compiled once per process
    and role (`_statement`) instead of building the ORM query each time; everything else (and the
    count) goes through the ORM queryset. Both run the same SQL, generated from the same selector and
    permission rule.
    """

    def __init__(self, *, user: User, q: str = "", filters: dict[str, list[str]] | None = None) -> None:
        self.user = user
        self.q = q.strip()[:MAX_QUERY_LENGTH]
        self.filters = {k: v for k, v in (filters or {}).items() if v}

    @cached_property
    def queryset(self) -> QuerySet[LibraryEntry]:
        """The ORM query of the same search (for counts, facets, and the paths the statement does not cover)."""
        return library_search(user=self.user, q=self.q, filters=self.filters)

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def facets(self) -> dict[str, list[FacetValue]]:
        """Facet counts for this search. A kind with selected values is counted without its own filter
        (values of one kind combine with OR), so its other values show what choosing them would add."""
        others = {
            kind: library_search(user=self.user, q=self.q, filters={k: v for k, v in self.filters.items() if k != kind})
            for kind in self.filters
        }
        return library_facets(results=self.queryset, filters=self.filters, per_kind_results=others)

    def __getitem__(self, index: slice) -> list[tuple[int, float | None]]:
        start, stop = index.start or 0, index.stop
        if stop is None or index.step not in (None, 1):
            raise TypeError("SearchPage supports plain slices with an end")
        if self.q and not self.filters and is_postgres():
            sql, params = _statement(self.user)
            values = [self.q if p == _PROBE_Q else self.user.pk if p == _PROBE_PK else p for p in params]
            with connection.cursor() as cursor:
                cursor.execute(sql, [*values, stop - start, start])
                return [(pk, rank) for pk, rank in cursor.fetchall()]
        no_rank = Value(None, output_field=FloatField())
        rows = self.queryset.values_list("pk", "rank") if self.q else self.queryset.values_list("pk", no_rank)
        return list(rows[start:stop])


# Stand-ins used to compile the search statement once; real values replace them at run time.
_PROBE_Q = "opsx-search-probe-query"
_PROBE_PK = -7_300_001
_STATEMENTS: dict[tuple[bool, bool], tuple[str, list[object]]] = {}


def _statement(user: User) -> tuple[str, list[object]]:
    """SQL (with LIMIT/OFFSET placeholders) and parameters of `library_search` for users of this role."""
    key = (permissions.is_admin(user), permissions.is_leadership(user))
    if key not in _STATEMENTS:
        role = User.OrgRole.ADMIN if key[0] else User.OrgRole.LEADERSHIP if key[1] else User.OrgRole.MEMBER
        probe = User(pk=_PROBE_PK, org_role=role, is_active=True)
        sql, params = library_search(user=probe, q=_PROBE_Q).values_list("pk", "rank").query.sql_with_params()
        _STATEMENTS[key] = (f"{sql} LIMIT %s OFFSET %s", list(params))
    return _STATEMENTS[key]


def library_facets(
    *,
    results: QuerySet[LibraryEntry],
    filters: dict[str, list[str]] | None = None,
    per_kind_results: dict[str, QuerySet[LibraryEntry]] | None = None,
) -> dict:
    """{kind: [FacetValue]} counted over `results` (so they follow the query, filters and permissions).

    One GROUP BY over the facet rows of the matching entries, plus one per kind given in
    `per_kind_results`, whose values are counted over that queryset instead. Selected values are
    always listed, even when the other filters leave none of them.
    """
    filters = filters or {}
    per_kind_results = per_kind_results or {}
    groups = [EntryFacet.objects.filter(entry__in=results.order_by().values("pk")).exclude(kind__in=per_kind_results)]
    groups += [
        EntryFacet.objects.filter(kind=kind, entry__in=queryset.order_by().values("pk"))
        for kind, queryset in per_kind_results.items()
    ]
    rows = [
        row
        for group in groups
        for row in group.values("kind", "value", "label")
        .annotate(count=Count("entry_id"))
        .order_by("kind", "-count", "label")
    ]
    facets: dict[str, list[FacetValue]] = {kind: [] for kind in FACET_KINDS}
    for row in rows:
        selected = row["value"] in filters.get(row["kind"], [])
        facets.setdefault(row["kind"], []).append(FacetValue(row["value"], row["label"], row["count"], selected))
    for kind, values in facets.items():
        listed = {v.value for v in values}
        values.extend(FacetValue(v, v, 0, True) for v in filters.get(kind, []) if v and v not in listed)
        if kind == FacetKind.SEVERITY:
            values.sort(key=lambda v: v.value)
        elif kind == FacetKind.YEAR:
            values.sort(key=lambda v: v.value, reverse=True)
    return facets


# --- snippets --------------------------------------------------------------------------------


def _marked(text: str) -> SafeString:
    """Escape `text`, then turn the headline markers into <mark> (so no user HTML ever gets through)."""
    escaped = html.escape(text)
    return mark_safe(escaped.replace(_START, "<mark>").replace(_STOP, "</mark>"))  # noqa: S308 - escaped above


def _plain_snippet(text: str, terms: list[str], width: int = 220) -> str:
    """A window of `text` around the first term found, with every term wrapped in markers."""
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        return ""
    lowered = text.lower()
    positions = [lowered.find(t.lower()) for t in terms]
    positions = [p for p in positions if p >= 0]
    start = max(0, min(positions) - width // 3) if positions else 0
    window = text[start : start + width]
    prefix = "… " if start > 0 else ""
    suffix = " …" if start + width < len(text) else ""
    if terms:
        pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.IGNORECASE)
        window = pattern.sub(lambda m: f"{_START}{m.group(0)}{_STOP}", window)
    return f"{prefix}{window}{suffix}"


def _headline(text: Concat, query: SearchQuery) -> SearchHeadline:
    return SearchHeadline(
        searchable(text),
        query,
        config=SEARCH_CONFIG,
        start_sel=_START,
        stop_sel=_STOP,
        max_words=35,
        min_words=15,
        max_fragments=2,
        fragment_delimiter=" … ",
    )


def snippets_for(*, entry_ids: list[int], q: str) -> dict[int, SafeString]:
    """{entry id: highlighted snippet (safe HTML)} for one page of results: one query on either database."""
    if not entry_ids:
        return {}
    q = q.strip()[:MAX_QUERY_LENGTH]
    queryset = LibraryEntry.objects.filter(pk__in=entry_ids)
    if q and is_postgres():
        text = Concat("summary", Value("\n"), "lessons", Value("\n"), "body", output_field=TextField())
        rows = queryset.annotate(snippet=_headline(text, search_query(q))).values_list("pk", "snippet")
        return {pk: _marked((snippet or "").replace(SEPARATOR_STAND_IN, PATH_SEPARATOR)) for pk, snippet in rows}
    terms = parse_query(q)[0]
    out = {}
    for pk, summary, lessons, body in queryset.values_list("pk", "summary", "lessons", "body"):
        source = next((t for t in (summary, lessons, body) if any(w.lower() in t.lower() for w in terms)), summary)
        out[pk] = _marked(_plain_snippet(source or body, terms))
    return out


# --- related incidents -----------------------------------------------------------------------

# Weight of each shared facet kind when ranking related entries.
RELATED_WEIGHTS = {FacetKind.SERVICE: 3, FacetKind.CATEGORY: 2, FacetKind.TAG: 1}
SIMILAR_TEXT_WEIGHT = 2
STOP_WORDS = {"the", "and", "for", "with", "from", "that", "this", "after", "during", "when", "into", "over", "our"}


@dataclass
class Related:
    entry: LibraryEntry
    score: float
    reasons: list[str]


def _similar_text_ids(*, entry: LibraryEntry, candidates: QuerySet[LibraryEntry], limit: int) -> dict[int, float]:
    words = [w.lower() for w in query_terms(entry.title) if len(w) >= 4 and w.lower() not in STOP_WORDS][:8]
    if not words:
        return {}
    if is_postgres():
        query = SearchQuery(words[0], config=SEARCH_CONFIG)
        for word in words[1:]:
            query = query | SearchQuery(word, config=SEARCH_CONFIG)
        rows = (
            candidates.filter(search_vector=query)
            .annotate(rank=SearchRank(F("search_vector"), query))
            .order_by("-rank", "-id")
            .values_list("pk", "rank")[:limit]
        )
        return {pk: min(float(rank) * 10, 1.0) for pk, rank in rows}
    match = Q()
    for word in words:
        match |= Q(title__icontains=word)
    return {pk: 1.0 for pk in candidates.filter(match).order_by("-occurred_on").values_list("pk", flat=True)[:limit]}


def related_entries(*, user: User, entry: LibraryEntry, limit: int = 6) -> list[Related]:
    """Other entries that share services, factor categories or tags with `entry`, or use similar words.

    Best first: each shared service counts 3, each shared category 2, each shared tag 1, similar
    wording up to 2. Every result says why it is related.
    """
    candidates = LibraryEntry.objects.visible_to(user).exclude(pk=entry.pk)
    mine = list(EntryFacet.objects.filter(entry=entry, kind__in=list(RELATED_WEIGHTS)).values_list("kind", "value"))
    shared: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    if mine:
        match = Q()
        for kind, value in mine:
            match |= Q(kind=kind, value=value)
        for entry_id, kind, label in (
            EntryFacet.objects.filter(match, entry__in=candidates.values("pk"))
            .values_list("entry_id", "kind", "label")
            .order_by("entry_id", "kind", "label")
        ):
            shared[entry_id][kind].append(label)
    scores: dict[int, float] = {
        entry_id: sum(RELATED_WEIGHTS[kind] * len(labels) for kind, labels in kinds.items())
        for entry_id, kinds in shared.items()
    }
    similar = _similar_text_ids(entry=entry, candidates=candidates, limit=limit * 2)
    for entry_id, strength in similar.items():
        scores[entry_id] = scores.get(entry_id, 0) + SIMILAR_TEXT_WEIGHT * strength
    best = sorted(scores, key=lambda pk: (-scores[pk], -pk))[:limit]
    entries = LibraryEntry.objects.select_related("team").defer("search_vector", "body").in_bulk(best)
    labels = {FacetKind.SERVICE: "service", FacetKind.CATEGORY: "contributing factor", FacetKind.TAG: "tag"}
    out = []
    for pk in best:
        reasons = []
        for kind in RELATED_WEIGHTS:
            names = shared.get(pk, {}).get(kind, [])
            if names:
                noun = labels[kind] + ("s" if len(names) > 1 else "")
                reasons.append(f"same {noun}: {', '.join(names)}")
        if pk in similar:
            reasons.append("similar wording")
        out.append(Related(entry=entries[pk], score=round(scores[pk], 2), reasons=reasons))
    return out


# --- follows, "for you", reading -------------------------------------------------------------


def follow_list(*, user: User) -> QuerySet[Follow]:
    return Follow.objects.filter(user=user)


def for_you(*, user: User) -> QuerySet[LibraryEntry]:
    """Entries matching anything the user follows, newest first (empty when they follow nothing)."""
    follows = list(follow_list(user=user).values_list("kind", "value"))
    if not follows:
        return entry_list(user=user).none()
    match = Q()
    for kind, value in follows:
        match |= Q(kind=kind, value=value)
    matching = EntryFacet.objects.filter(match).values("entry_id")
    return entry_list(user=user).filter(pk__in=matching).order_by("-published_at", "-id")


def most_read(*, user: User) -> QuerySet[LibraryEntry]:
    """Entries by distinct readers, most first (leadership and admins; callers check)."""
    return entry_list(user=user).filter(read_count__gt=0).order_by("-read_count", "-useful_count", "-id")


def can_see_reading_stats(user: User) -> bool:
    return permissions.is_leadership(user) or permissions.is_admin(user)


def comments_for(*, user: User, entry: LibraryEntry) -> QuerySet[LessonComment]:
    return LessonComment.objects.visible_to(user).filter(entry=entry).select_related("author")


def comment_list(*, user: User) -> QuerySet[LessonComment]:
    return LessonComment.objects.visible_to(user).select_related("author", "entry")


def read_by(*, user: User, entry_ids: list[int]) -> set[int]:
    return set(EntryRead.objects.filter(user=user, entry_id__in=entry_ids).values_list("entry_id", flat=True))


# --- export ----------------------------------------------------------------------------------


def export_records(
    *, user: User | None, filters: dict[str, list[str]] | None = None, q: str = ""
) -> Iterator[PostmortemRecord]:
    """Published postmortems as file records, oldest first; what `import_postmortems` reads back.

    With a user, exactly what that user may read; without one (the command line), everything
    except restricted incidents.
    """
    from incidents.models import FactorCategory
    from learning.services import join_body

    if user is None:
        queryset = _apply_filters(LibraryEntry.objects.filter(restricted=False), filters or {})
        if q.strip():
            queryset = _text_match(queryset, q.strip()[:MAX_QUERY_LENGTH])
    else:
        queryset = library_search(user=user, q=q, filters=filters)
    ids = list(queryset.values_list("pk", flat=True))
    categories = dict(FactorCategory.objects.values_list("slug", "name"))
    items = _export_action_items(user=user, entry_ids=ids)
    entries = (
        LibraryEntry.objects.filter(pk__in=ids)
        .select_related("postmortem", "incident__external_source", "incident__team", "incident__severity")
        .prefetch_related("incident__services", "incident__tags")
        .order_by("occurred_on", "id")
    )
    for entry in entries.iterator(chunk_size=200):
        incident, postmortem = entry.incident, entry.postmortem
        source = getattr(incident, "external_source", None)
        factor_slugs = [f.get("category") for f in postmortem.factors or [] if isinstance(f, dict)]
        yield PostmortemRecord(
            key=source.key if source else f"opsx-{incident.pk}",
            title=incident.title,
            date=incident.started_at.date(),
            team=incident.team.slug,
            organization=source.organization if source else "",
            services=tuple(s.slug for s in sorted(incident.services.all(), key=lambda s: s.slug)),
            severity=incident.severity.level,
            tags=tuple(sorted(t.name for t in incident.tags.all())),
            categories=tuple(dict.fromkeys(s for s in factor_slugs if s)),
            source_url=source.source_url if source else "",
            summary=postmortem.summary.strip(),
            lessons=postmortem.lessons.strip(),
            body=join_body(postmortem, categories, items.get(incident.pk, [])).strip(),
            explicit_id=True,
        )


def _export_action_items(*, user: User | None, entry_ids: list[int]) -> dict[int, list[ActionItem]]:
    """{incident id: its action items} for exported entries, in one query (what `user` may read)."""
    from incidents.models import ActionItem

    items = ActionItem.objects.filter(incident__library_entry__pk__in=entry_ids)
    if user is not None:
        items = items.visible_to(user)
    by_incident: dict[int, list[ActionItem]] = {}
    for item in items.select_related("owner").order_by("created_at", "id"):
        by_incident.setdefault(item.incident_id, []).append(item)  # type: ignore[arg-type]
    return by_incident
