"""Store the sanitized HTML of every Markdown text again (after upgrading Markdown or nh3, or the allowlist)."""

from argparse import ArgumentParser
from typing import Any

from django.apps import apps

from audit.commands import AuditedCommand
from opsx.markdown import RENDERER


class Command(AuditedCommand):
    help = (
        "Re-render stored Markdown HTML whose renderer (Markdown and nh3 versions, the allowlist) or source "
        "changed since it was stored; --all renders every text again. Pages show stored HTML only, so run this "
        "after upgrading the sanitizer. Safe to run at any time and more than once."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--all", action="store_true", help="Render every text again, not only stale ones.")

    def handle(self, *args: Any, **options: Any) -> None:
        force: bool = options["all"]
        total = 0
        for model in apps.get_models():
            rerender = getattr(model, "rerender_markdown", None)
            if rerender is None:
                continue
            seen, changed = rerender(force=force)
            total += changed
            self.stdout.write(f"{model._meta.label}: {changed} of {seen} updated")
        self.stdout.write(f"Done: {total} row(s) updated; stored HTML is from {RENDERER}.")
