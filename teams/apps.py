from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "teams"
    verbose_name = "Organization"

    def ready(self) -> None:
        from teams import auth, schema  # noqa: F401 - the OpenAPI auth extension, the failed sign-in counter
