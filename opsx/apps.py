from django.apps import AppConfig


class OpsxConfig(AppConfig):
    name = "opsx"
    verbose_name = "opsx"

    def ready(self) -> None:
        from opsx import checks  # noqa: F401 - registers the system checks
