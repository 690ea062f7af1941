from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

# Apps whose `demo.seed(org)` adds demo data, in dependency order.
DEMO_APPS = ["incidents", "reviews", "learning"]


class Command(BaseCommand):
    help = "Load demo data (people, teams, services, incidents, postmortems, reviews). Safe to run twice."

    def handle(self, *args: object, **options: object) -> None:
        from teams import demo as teams_demo

        with transaction.atomic():
            org = teams_demo.seed()
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
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready. Sign in as admin / {teams_demo.DEMO_PASSWORD} (or alice, bob, carol, dave, erin, "
                f"frank, grace with the same password)."
            )
        )
