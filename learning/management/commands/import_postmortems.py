"""Import postmortems from Markdown files with YAML front matter and JSON Lines (docs/postmortem-format.md)."""

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError

from audit.commands import AuditedCommand
from learning.postmortemfile import read_path_located
from learning.services import UNKNOWN_POLICIES, import_records
from learning.transfer import OptionError, options_from


class Command(AuditedCommand):
    help = (
        "Import published postmortems from .md (YAML front matter) and .jsonl files or directories. "
        "Re-importing a record with the same id updates it. Bad records are reported as FILE:LINE and skipped; "
        "the command exits non-zero when any record was refused. The size limits of the import API apply "
        "(LIMIT_IMPORT_FILE_BYTES per file, the text limits per section and per postmortem)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="Files or directories to read.")
        parser.add_argument("--team", help="Team (slug) for records that name none, e.g. outside write-ups.")
        parser.add_argument("--severity", default="SEV3", help="Severity for records without one (default SEV3).")
        for name, choices in UNKNOWN_POLICIES.items():
            parser.add_argument(
                f"--unknown-{name}",
                choices=choices,
                default=choices[0],
                help=f"What to do with a {name[:-1]} opsx does not know (default {choices[0]}).",
            )
            parser.add_argument(
                f"--map-{name[:-1] if name != 'categories' else 'category'}",
                action="append",
                default=[],
                metavar="NAME=SLUG",
                help=f"Treat {name} called NAME in the files as SLUG (repeatable).",
            )

    def handle(self, *args: Any, **options: Any) -> None:
        missing = [str(p) for p in options["paths"] if not p.exists()]
        if missing:
            raise CommandError(f"No such file or directory: {', '.join(missing)}")
        try:
            import_options = options_from(options)
        except OptionError as exc:
            raise CommandError(f"--{exc.field.replace('_', '-')}: {exc.message}") from exc
        limit = settings.LIMIT_IMPORT_FILE_BYTES
        records = (item for path in options["paths"] for item in read_path_located(path, max_bytes=limit))
        outcome = import_records(records=records, actor=None, options=import_options)
        for error in outcome.refused:
            self.stderr.write(str(error))
        for warning in outcome.warnings:
            self.stderr.write(f"{warning.file}:{warning.line}: warning: {warning.message}")
        self.stdout.write(f"Imported postmortems: {outcome.summary()}.")
        if outcome.refused:
            raise CommandError(f"{len(outcome.refused)} record(s) refused; see the lines above.")
