"""Library search on many postmortems: the app's search selector against raw SQL full-text search.

For each query both sides must return the same first page (ids, in order); the app may take at most
1.5 times the raw query. The app's plan must use the GIN index on the stored search vector.
BENCH_SEARCH_POSTMORTEMS sets the size (default 100000).

The app side is what the library page and API run for a page of results (`selectors.SearchPage`);
the raw side is hand-written SQL with the same permission scope (a member: restricted entries only
when named on them), so both return the same rows. The two sides are timed alternately (app, raw,
app, raw...) so that load from other processes hits both alike. The queries range from very
selective (a few hundred matches, ~1.5 ms in PostgreSQL) to broad (tens of thousands of matches).
Both rank the same way: the query's words as a phrase first, then cover density (ts_rank_cd), with
"/" read as a word separator (so "s3" finds "S3/DynamoDB").
"""

import os
import time

from django.core.management import call_command
from django.db import connection

from bench.harness import Report, paired_medians

POSTMORTEMS = int(os.environ.get("BENCH_SEARCH_POSTMORTEMS", "100000"))
PAGE = 20
QUERIES = [
    "kafka cluster stopped answering",
    "connection pool",
    "certificate rotation",
    "retry storm",
    '"read replica" failover',
    "dns resolver -cdn",
    "deadlocked OR deadlock",
    "rate limit",
    "s3",
]
REPEAT = 21
# The app's ranking written out: "/" parsed as a blank (learning.indexing.SEPARATOR_STAND_IN), 1 for the
# words as a phrase plus cover density normalised to [0, 1) (learning.selectors.search_rank).
RAW_SQL = """
    SELECT id FROM learning_libraryentry
    WHERE search_vector @@ websearch_to_tsquery('english', translate(%(q)s, '/', %(sep)s))
      AND (NOT restricted
           OR incident_id IN (SELECT incident_id FROM incidents_incident_access_list WHERE user_id = %(user)s))
    ORDER BY CASE WHEN search_vector @@ phraseto_tsquery('english', translate(%(q)s, '/', %(sep)s)) THEN 1.0::float8
                  ELSE 0.0::float8 END
             + ts_rank_cd(search_vector, websearch_to_tsquery('english', translate(%(q)s, '/', %(sep)s)), 32) DESC,
             occurred_on DESC, id DESC
    LIMIT %(limit)s
"""


def _raw(q: str, user_id: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(RAW_SQL, {"q": q, "sep": "\x01", "user": user_id, "limit": PAGE})
        return [row[0] for row in cursor.fetchall()]


def run(report: Report) -> None:
    from learning import selectors
    from learning.models import LibraryEntry
    from teams.models import Membership, Team, User

    existing = LibraryEntry.objects.count()
    if existing < POSTMORTEMS:
        started = time.monotonic()
        call_command("seed_bench", postmortems=POSTMORTEMS - existing, stdout=open(os.devnull, "w"))  # noqa: SIM115
        print(f"search: seeded {POSTMORTEMS - existing} postmortems in {time.monotonic() - started:.1f}s")
    member = User.objects.create(username="bench-reader")
    Membership.objects.create(user=member, team=Team.objects.order_by("pk").first())
    print(f"search: {LibraryEntry.objects.count()} library entries; first page of {PAGE}, member's view")

    def app(q: str) -> list[int]:
        # What the library page and API run for the first page: permission-scoped, ranked ids.
        return [pk for pk, _rank in selectors.SearchPage(user=member, q=q)[0:PAGE]]

    for q in QUERIES:
        expected = _raw(q, member.pk)
        got = app(q)
        assert got == expected, f"{q!r}: the app returned {got[:5]}..., raw SQL {expected[:5]}..."
        assert expected, f"{q!r} matched nothing: the generated vocabulary no longer covers it"
        subject, baseline = paired_medians(lambda q=q: app(q), lambda q=q: _raw(q, member.pk), repeat=REPEAT)
        report.ratio(f"search {q!r} (first page) vs raw SQL", subject=subject, baseline=baseline, limit=1.5)

    plan = selectors.library_search(user=member, q=QUERIES[0]).values_list("pk", flat=True)[:PAGE].explain()
    print("search: plan of the app's query for", repr(QUERIES[0]))
    print("\n".join(f"    {line}" for line in plan.splitlines()))
    assert "learning_entry_search_gin" in plan, "the app's search does not use the GIN index"
