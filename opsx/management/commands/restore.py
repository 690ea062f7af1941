from pathlib import Path

from django.core.management.base import CommandError, CommandParser

from audit.commands import AuditedCommand
from opsx import backup


class Command(AuditedCommand):
    help = "Restore a backup made by `manage.py backup` into an empty database. See docs/backups.md."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The backup file.")
        parser.add_argument(
            "--replace", action="store_true", help="Drop what the database holds first (it must be empty otherwise)."
        )

    def handle(self, *args: object, file: Path, replace: bool = False, **options: object) -> None:
        try:
            backup.restore(file, replace=replace)
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Restored {file}. Run `manage.py migrate` if the backup is older."))
