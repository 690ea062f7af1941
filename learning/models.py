"""The lessons-learned library: a search index of published postmortems, and what readers do with it.

`LibraryEntry` is derived data: one row per *published* postmortem, rebuilt by `learning.indexing`
whenever the postmortem or its incident changes (see opsx/hooks.py) or by `manage.py
reindex_library`. It copies what search, facets and lists need (title, text, team, severity,
year, restriction) so that a search reads one table with one GIN index instead of joining the
incident, its services, tags and factors for every query. `EntryFacet` holds one row per facet
value of an entry (team, service, severity, factor category, tag, year): facet counts are a single
GROUP BY, and follows match against the same rows.
"""

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.urls import reverse

from audit.tracking import track
from opsx.models import MarkdownModel
from teams.permissions import AccessPolicy, Action, TeamRole, VisibleQuerySet


class FacetKind(models.TextChoices):
    TEAM = "team", "Team"
    SERVICE = "service", "Service"
    SEVERITY = "severity", "Severity"
    CATEGORY = "category", "Contributing factor"
    TAG = "tag", "Tag"
    YEAR = "year", "Year"


# What a reader may follow (a subset of the facet kinds).
class FollowKind(models.TextChoices):
    TAG = "tag", "Tag"
    SERVICE = "service", "Service"
    TEAM = "team", "Team"
    CATEGORY = "category", "Contributing factor"


class LibraryEntry(models.Model):
    postmortem = models.OneToOneField("incidents.Postmortem", on_delete=models.CASCADE, related_name="library_entry")
    incident = models.OneToOneField("incidents.Incident", on_delete=models.CASCADE, related_name="library_entry")
    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="library_entries")
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    lessons = models.TextField(blank=True)
    body = models.TextField(blank=True, help_text="The other sections and the contributing factors, as text.")
    severity_level = models.PositiveSmallIntegerField(db_index=True)
    severity_name = models.CharField(max_length=16)
    occurred_on = models.DateField(help_text="When the incident started.")
    year = models.PositiveSmallIntegerField(db_index=True)
    published_at = models.DateTimeField()
    restricted = models.BooleanField(default=False, db_index=True, help_text="Copied from the incident.")
    organization = models.CharField(max_length=200, blank=True, help_text="For imported outside write-ups.")
    search_vector = SearchVectorField(null=True, editable=False)
    read_count = models.PositiveIntegerField(default=0, help_text="Distinct readers.")
    useful_count = models.PositiveIntegerField(default=0)
    comment_count = models.PositiveIntegerField(default=0)
    indexed_at = models.DateTimeField(auto_now=True)

    objects = VisibleQuerySet.as_manager()
    access = AccessPolicy(team_path="team", restricted_field="restricted", named_path="incident__access_list")

    class Meta:
        ordering = ["-occurred_on", "-id"]
        verbose_name = "library entry"
        verbose_name_plural = "library entries"
        indexes = [
            models.Index(fields=["-occurred_on", "-id"], name="library_entry_recent"),
            models.Index(fields=["team", "-occurred_on"], name="library_entry_team"),
            models.Index(fields=["-read_count"], name="library_entry_most_read"),
        ]
        # The GIN index on search_vector is created by migration 0002 on PostgreSQL only.

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("learning:entry-detail", kwargs={"pk": self.pk})


class EntryFacet(models.Model):
    entry = models.ForeignKey(LibraryEntry, on_delete=models.CASCADE, related_name="facets")
    kind = models.CharField(max_length=16, choices=FacetKind.choices)
    value = models.CharField(max_length=100, help_text="Slug, level or year: what filters and follows use.")
    label = models.CharField(max_length=200)

    class Meta:
        ordering = ["kind", "label"]
        indexes = [models.Index(fields=["kind", "value", "entry"], name="entry_facet_lookup")]
        constraints = [
            models.UniqueConstraint(fields=["entry", "kind", "value"], name="entry_facet_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.label}"


@track()
class ExternalSource(models.Model):
    """Where an imported postmortem came from; its `key` makes re-imports update, not duplicate."""

    incident = models.OneToOneField("incidents.Incident", on_delete=models.CASCADE, related_name="external_source")
    key = models.CharField(max_length=300, unique=True)
    organization = models.CharField(max_length=200, blank=True)
    source_url = models.URLField(max_length=500, blank=True)
    source_file = models.CharField(max_length=300, blank=True, help_text="File and line of the last import.")
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now=True)

    objects = VisibleQuerySet.as_manager()
    access = AccessPolicy(
        team_path="incident__team", restricted_field="incident__restricted", named_path="incident__access_list"
    )

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class Follow(models.Model):
    """A reader follows a tag, service, team or factor category (by its slug)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="library_follows")
    kind = models.CharField(max_length=16, choices=FollowKind.choices)
    value = models.CharField(max_length=100)
    label = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VisibleQuerySet.as_manager()
    # A follow is private to its user; selectors scope by user, so the rule adds nothing here.
    access = AccessPolicy(team_path=())

    class Meta:
        ordering = ["kind", "label"]
        constraints = [models.UniqueConstraint(fields=["user", "kind", "value"], name="follow_unique")]

    def __str__(self) -> str:
        return f"{self.user} follows {self.get_kind_display().lower()} {self.label}"


_ENTRY_POLICY = {
    "team_path": "entry__team",
    "restricted_field": "entry__restricted",
    "named_path": "entry__incident__access_list",
}


class UsefulMark(models.Model):
    entry = models.ForeignKey(LibraryEntry, on_delete=models.CASCADE, related_name="useful_marks")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VisibleQuerySet.as_manager()
    access = AccessPolicy(**_ENTRY_POLICY)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["entry", "user"], name="useful_mark_unique")]

    def __str__(self) -> str:
        return f"{self.user} found {self.entry_id} useful"


@track(derived=True)
class LessonComment(MarkdownModel):
    MARKDOWN_FIELDS = ("body",)

    entry = models.ForeignKey(LibraryEntry, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    body = models.TextField(max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VisibleQuerySet.as_manager()
    # Authors delete their own comments (checked in the service); team leads moderate their team's entries.
    access = AccessPolicy(**_ENTRY_POLICY, roles={Action.DELETE: TeamRole.LEAD})

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Comment by {self.author} on {self.entry_id}"


class EntryRead(models.Model):
    """A reader opened an entry (one row per reader; `times` counts the visits)."""

    entry = models.ForeignKey(LibraryEntry, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    first_read_at = models.DateTimeField(auto_now_add=True)
    last_read_at = models.DateTimeField(auto_now=True)
    times = models.PositiveIntegerField(default=1)

    objects = VisibleQuerySet.as_manager()
    access = AccessPolicy(**_ENTRY_POLICY)

    class Meta:
        ordering = ["-last_read_at"]
        constraints = [models.UniqueConstraint(fields=["entry", "user"], name="entry_read_unique")]

    def __str__(self) -> str:
        return f"{self.user} read {self.entry_id}"
