from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from audit.commands import AuditedCommand
from reminders.models import Digest
from reminders.services import run_digests
from teams.models import Team


class Command(AuditedCommand):
    help = (
        "Build and send this week's digests now, whatever the schedule (each reader once per week); "
        "--dry-run prints them and sends nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Print what would be sent; write nothing.")
        parser.add_argument("--team", action="append", default=[], metavar="SLUG", help="Only this team (repeatable).")
        parser.add_argument("--kind", choices=Digest.Kind.values, default=None, help="Only this kind of digest.")

    def handle(self, *args: object, dry_run: bool, team: list[str], kind: str | None, **options: object) -> None:
        teams = None
        if team:
            teams = list(Team.objects.filter(slug__in=team))
            unknown = sorted(set(team) - {t.slug for t in teams})
            if unknown:
                raise CommandError(f"Unknown team: {', '.join(unknown)}")
            if kind == Digest.Kind.LEADERSHIP:
                raise CommandError("The leadership digest covers every team; leave out --team.")
        result = run_digests(
            now=timezone.now(), kinds={kind} if kind else None, teams=teams, only_due=False, dry_run=dry_run
        )
        for digest in result.digests:
            sections = ", ".join(f"{s['key']} {len(s['items']) + s['more']}" for s in digest.content["sections"])
            self.stdout.write(f"{digest.kind:<10} {digest.recipient.username:<20} {digest.period:<24} {sections}")
        if dry_run:
            self.stdout.write(f"Would send {len(result.digests)} digest{'s' if len(result.digests) != 1 else ''}.")
        else:
            self.stdout.write(f"Sent {result.notified} digest{'s' if result.notified != 1 else ''}.")
