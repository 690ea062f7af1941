from django.core.management.base import CommandParser
from django.utils import timezone

from audit.commands import AuditedCommand
from reminders.services import run_reminder_sweep


class Command(AuditedCommand):
    help = "Send the reminders due now (what the hourly beat task does); --dry-run prints them and sends nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Print what would be sent; write nothing.")

    def handle(self, *args: object, dry_run: bool, **options: object) -> None:
        result = run_reminder_sweep(now=timezone.now(), dry_run=dry_run)
        for row in result.notifications:
            self.stdout.write(f"{row.kind:<22} {row.recipient.username:<20} {row.period:<24} {row.text}")
        if result.quiet_teams:
            self.stdout.write(f"Quiet now (sent on the first sweep after): {', '.join(result.quiet_teams)}")
        verb = "Would send" if dry_run else "Sent"
        self.stdout.write(f"{verb} {result.count} reminder{'s' if result.count != 1 else ''}.")
