from typing import Any

from audit.commands import AuditedCommand
from learning.indexing import reindex_all


class Command(AuditedCommand):
    help = "Rebuild the library index (entries, facets, search vectors) from the published postmortems."

    def handle(self, *args: Any, **options: Any) -> None:
        indexed, removed = reindex_all()
        self.stdout.write(f"Library reindexed: {indexed} entries, {removed} stale entries removed.")
