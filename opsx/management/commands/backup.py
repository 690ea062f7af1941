from pathlib import Path

from django.core.management.base import CommandError, CommandParser

from audit.commands import AuditedCommand
from opsx import backup


class Command(AuditedCommand):
    help = "Back up the whole database (pg_dump custom format; a file copy on SQLite). See docs/backups.md."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", type=Path, help="File to write (default: var/backups/opsx-<time>.dump).")

    def handle(self, *args: object, output: Path | None = None, **options: object) -> None:
        path = output or backup.default_path()
        try:
            backup.backup(path)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Backup written to {path} ({path.stat().st_size:,} bytes)."))
