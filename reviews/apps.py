from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Readiness reviews"

    def ready(self) -> None:
        from incidents import sources
        from incidents.models import ActionItem
        from opsx import panels
        from reviews import selectors
        from reviews.panels import home_panel, service_panel

        panels.register("service", service_panel)
        panels.register("home", home_panel)
        # What an action item can come from in a review (incidents.sources): the origin follows from the kind.
        sources.register(
            sources.SourceKind(
                name="review_answer",
                model="reviews.Answer",
                origin=ActionItem.Origin.REVIEW,
                label="Improvement-plan item",
                team=lambda answer: answer.review.team,
                title=selectors.answer_title,
                defaults=selectors.plan_item_action_defaults,
                select_related=("review__team", "review__system", "review_lens__lens_version"),
            )
        )
        sources.register(
            sources.SourceKind(
                name="game_day",
                model="reviews.GameDay",
                origin=ActionItem.Origin.GAME_DAY,
                label="Game day",
                team=lambda game_day: game_day.review.team,
                title=lambda game_day: game_day.title,
                defaults=selectors.game_day_action_defaults,
                select_related=("review__team",),
            )
        )
        sources.register(
            sources.SourceKind(
                name="game_day_finding",
                model="reviews.GameDayFinding",
                origin=ActionItem.Origin.GAME_DAY,
                label="Game-day finding",
                team=lambda finding: finding.game_day.review.team,
                title=lambda finding: (finding.description.splitlines() or [""])[0][:200],
                defaults=selectors.finding_action_defaults,
                select_related=("game_day__review__team",),
            )
        )
