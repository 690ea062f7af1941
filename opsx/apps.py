from django.apps import AppConfig


class OpsxConfig(AppConfig):
    name = "opsx"
    verbose_name = "opsx"

    def ready(self) -> None:
        from opsx import checks, middleware  # noqa: F401 - the system checks; the idle clock starts at sign-in
