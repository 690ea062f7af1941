from pathlib import Path

from django.core.management.base import CommandError, CommandParser

from audit.commands import AuditedCommand
from reviews import lensfile, services


class Command(AuditedCommand):
    help = (
        "Import a lens file (opsx YAML or AWS Well-Architected custom lens JSON). A new name creates a lens, a "
        "changed lens under a known name a new version, an identical one changes nothing. What a published AWS "
        "file needs repairing is repaired as the AWS tool reads it, one warning line per repair; --strict refuses "
        "such files instead. Invalid files are refused with one line per problem and nothing is saved."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="Lens file (.yaml/.yml or .json).")
        parser.add_argument("--format", choices=lensfile.FORMATS, default=None, help="Override format detection.")
        parser.add_argument(
            "--strict", action="store_true", help="Refuse a file that needs any repair instead of warning."
        )

    def handle(
        self,
        *args: object,
        path: Path,
        format: lensfile.Format | None,  # noqa: A002
        strict: bool,
        **options: object,
    ) -> None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"{path}: cannot read the file ({exc.strerror or exc}).") from exc
        try:
            result = services.lens_import(data=data, actor=None, filename=path.name, fmt=format, strict=strict)
        except lensfile.LensFormatError as exc:
            raise CommandError(f"{path} was not imported:\n{exc}") from exc
        for warning in result.warnings:
            self.stderr.write(f"warning: {warning}")
        repaired = f"; {len(result.warnings)} warning(s) above" if result.warnings else ""
        self.stdout.write(
            f"{result.outcome}: {result.lens.name} (version {result.version.number}, "
            f"{result.version.question_count} questions{repaired})"
        )
