from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Readiness reviews"

    def ready(self) -> None:
        from opsx import panels
        from reviews.panels import home_panel, service_panel

        panels.register("service", service_panel)
        panels.register("home", home_panel)
