from django.core.management.base import CommandParser

from audit.commands import AuditedCommand
from reviews import selectors, services


class Command(AuditedCommand):
    help = (
        "Reopen approved launches whose accepted high risk has lapsed: record the reopening (status, a decision "
        "by opsx, the notification hook) once per lapse. Beat runs the same sweep every ten minutes; running it "
        "again, or at the same time, records nothing twice."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Only list the approved launches that would be reopened."
        )

    def handle(self, *args: object, dry_run: bool, **options: object) -> None:
        if dry_run:
            pending = selectors.pending_reopenings()
            for review in pending:
                self.stdout.write(f"would reopen: review {review.pk} “{review.title}” ({review.system.name})")
            self.stdout.write(f"{len(pending)} launch(es) to reopen.")
            return
        decisions = services.risk_acceptance_sweep_lapses()
        for decision in decisions:
            review = decision.review
            self.stdout.write(f"reopened: review {review.pk} “{review.title}” ({review.system.name})")
        self.stdout.write(f"{len(decisions)} launch(es) reopened.")
