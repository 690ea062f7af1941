from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "learning"
    verbose_name = "Lessons-learned library"

    def ready(self) -> None:
        from learning import indexing, services
        from opsx import hooks

        hooks.register("postmortem_changed", indexing.on_postmortem_changed)
        hooks.register("incident_changed", indexing.on_incident_changed)
        hooks.register("incident_declared", services.on_incident_declared)
