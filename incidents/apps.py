from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incidents and postmortems"

    def ready(self) -> None:
        from incidents import panels
        from opsx import panels as slots

        slots.register("home", panels.home_open_incidents)
        slots.register("home", panels.home_action_items)
        slots.register("service", panels.service_incidents)
