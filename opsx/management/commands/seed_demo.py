import secrets
from argparse import ArgumentParser
from importlib import import_module

from django.conf import settings
from django.core.management.base import CommandError
from django.db import transaction

from audit.commands import AuditedCommand

FLAG = "--i-understand-this-is-not-production"

# Apps whose `demo.seed(org)` adds demo data, in dependency order.
DEMO_APPS = ["incidents", "reviews", "learning"]


class Command(AuditedCommand):
    help = (
        "Load demo data (people, teams, services, incidents, postmortems, reviews). Safe to run twice. "
        f"With DEBUG off it refuses unless given {FLAG}, and then gives the demo people a random password "
        "(printed once) instead of the published one."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            FLAG, dest="not_production", action="store_true", help="Load demo data although DEBUG is off."
        )

    def handle(self, *args: object, **options: object) -> None:
        from teams import demo as teams_demo

        if not settings.DEBUG and not options["not_production"]:
            raise CommandError(
                "DEBUG is off, so this looks like production: seed_demo adds people with admin rights and demo "
                f"incidents. Create real accounts with createsuperuser instead, or pass {FLAG} on a throwaway instance."
            )
        password = teams_demo.DEMO_PASSWORD if settings.DEBUG else secrets.token_urlsafe(12)
        with transaction.atomic():
            org = teams_demo.seed(password=password)
            for app_label in DEMO_APPS:
                if app_label not in settings.INSTALLED_APPS:
                    continue
                try:
                    module = import_module(f"{app_label}.demo")
                except ModuleNotFoundError as exc:
                    if exc.name != f"{app_label}.demo":
                        raise
                    continue
                module.seed(org)
                self.stdout.write(f"  {app_label}: demo data ready")
        created = "" if settings.DEBUG else " (people created by this run; earlier ones keep their password)"
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready. Sign in as admin / {password} (or alice, bob, carol, dave, erin, "
                f"frank, grace with the same password){created}."
            )
        )
