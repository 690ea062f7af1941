import sys
from pathlib import Path

from django.core.management.base import CommandParser

from audit.commands import AuditedCommand
from opsx import export


class Command(AuditedCommand):
    help = "Export every record (teams, services, lenses, reviews, incidents, postmortems, ...) as JSON Lines."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", type=Path, help="File to write (default: standard output).")

    def handle(self, *args: object, output: Path | None = None, **options: object) -> None:
        if output is None:
            counts = export.export(sys.stdout)
            return
        with open(output, "w", encoding="utf-8") as handle:
            counts = export.export(handle)
        self.stdout.write(self.style.SUCCESS(f"Exported {sum(counts.values()):,} records to {output}."))
