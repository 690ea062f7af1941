from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incidents and postmortems"

    def ready(self) -> None:
        from incidents import panels, sources
        from incidents.models import ActionItem
        from opsx import panels as slots

        slots.register("home", panels.home_open_incidents)
        slots.register("home", panels.home_action_items)
        slots.register("service", panels.service_incidents)
        sources.register(
            sources.SourceKind(
                name="incident",
                model="incidents.Incident",
                origin=ActionItem.Origin.INCIDENT,
                label="Incident",
                team=lambda incident: incident.team,
                incident=lambda incident: incident,
                select_related=("team",),
            )
        )
        sources.register(
            sources.SourceKind(
                name="postmortem",
                model="incidents.Postmortem",
                origin=ActionItem.Origin.POSTMORTEM,
                label="Postmortem",
                team=lambda postmortem: postmortem.incident.team,
                title=lambda postmortem: postmortem.incident.title,
                incident=lambda postmortem: postmortem.incident,
                select_related=("incident__team",),
            )
        )
