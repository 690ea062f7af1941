"""Export published postmortems as JSON Lines (standard output) or Markdown files (-o DIR)."""

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from audit.commands import AuditedCommand
from learning.postmortemfile import dump_jsonl_line, markdown_files
from learning.selectors import export_records
from teams.models import User


class Command(AuditedCommand):
    help = (
        "Export published postmortems in the format import_postmortems reads. Restricted incidents are left out "
        "unless --user names someone allowed to see them."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--format", choices=["jsonl", "markdown"], default="jsonl", dest="file_format")
        parser.add_argument("-o", "--output", type=Path, help="Directory for Markdown files (required for markdown).")
        parser.add_argument("--user", help="Export what this user may read (username).")
        parser.add_argument("--team", action="append", default=[], help="Only these teams (slug, repeatable).")

    def handle(self, *args: Any, **options: Any) -> None:
        user = None
        if options["user"]:
            user = User.objects.filter(username=options["user"], is_active=True).first()
            if user is None:
                raise CommandError(f"--user: no active user {options['user']!r}")
        filters = {"team": options["team"]} if options["team"] else {}
        records = export_records(user=user, filters=filters)
        if options["file_format"] == "jsonl":
            count = 0
            for record in records:
                self.stdout.write(dump_jsonl_line(record))
                count += 1
            self.stderr.write(f"Exported {count} postmortem(s).")
            return
        directory: Path | None = options["output"]
        if directory is None:
            raise CommandError("--format markdown needs -o DIR")
        directory.mkdir(parents=True, exist_ok=True)
        count = 0
        for name, text in markdown_files(records):
            (directory / name).write_text(text, encoding="utf-8")
            count += 1
        self.stdout.write(f"Exported {count} postmortem(s) to {directory}.")
