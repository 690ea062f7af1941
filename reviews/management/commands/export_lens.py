from pathlib import Path

from django.core.management.base import CommandError, CommandParser
from django.db.models import Q

from audit.commands import AuditedCommand
from reviews import lensfile, selectors, services
from reviews.models import Lens


class Command(AuditedCommand):
    help = "Write the latest version of a lens (by name or slug) as opsx YAML or AWS custom lens JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="Lens name or slug.")
        parser.add_argument("--format", choices=lensfile.FORMATS, default="yaml")
        parser.add_argument(
            "--lens-version", dest="number", type=int, default=None, help="Version number (default: latest)."
        )
        parser.add_argument("-o", "--output", type=Path, default=None, help="Write to this file instead of stdout.")

    def handle(
        self,
        *args: object,
        name: str,
        format: lensfile.Format,
        number: int | None,
        output: Path | None,
        **options: object,
    ) -> None:  # noqa: A002
        lens = Lens.objects.filter(Q(name=name) | Q(slug=name)).first()
        if lens is None:
            raise CommandError(
                f"No lens named '{name}'. Known lenses: {', '.join(Lens.objects.values_list('name', flat=True))}"
            )
        version = lens.versions.filter(number=number).first() if number else selectors.latest_version(lens)
        if version is None:
            raise CommandError(f"{lens.name} has no version {number}.")
        try:
            text = services.lens_export(version=version, fmt=format)
        except lensfile.LensFormatError as exc:
            raise CommandError(f"{lens.name} cannot be written as {format}:\n{exc}") from exc
        if output is None:
            self.stdout.write(text, ending="" if text.endswith("\n") else "\n")
        else:
            output.write_text(text, encoding="utf-8")
            self.stderr.write(f"wrote {lens.name} v{version.number} to {output}")
