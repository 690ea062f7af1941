from pathlib import Path

from django.core.management.base import CommandError, CommandParser

from audit.commands import AuditedCommand
from opsx import export


class Command(AuditedCommand):
    help = "Import a file written by export_data into an empty instance (all or nothing). See docs/data-export.md."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The JSON Lines export.")

    def handle(self, *args: object, file: Path, **options: object) -> None:
        try:
            with open(file, encoding="utf-8") as handle:
                counts = export.import_(handle)
        except FileNotFoundError:
            raise CommandError(f"{file}: no such file.") from None
        except UnicodeDecodeError:
            raise CommandError(f"{file}: not UTF-8 text; nothing was imported.") from None
        except export.ImportRefused as exc:
            raise CommandError(f"{exc} Nothing was imported.") from exc
        self.stdout.write(self.style.SUCCESS(f"Imported {sum(counts.values()):,} records from {file}."))
