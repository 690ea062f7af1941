from rest_framework.routers import DefaultRouter

from reviews.api.views import (
    AnswerViewSet,
    DecisionViewSet,
    FailureScenarioViewSet,
    GameDayFindingViewSet,
    GameDayViewSet,
    LensViewSet,
    MilestoneViewSet,
    ReviewViewSet,
    RiskAcceptanceViewSet,
)


def register(router: DefaultRouter) -> None:
    router.register("lenses", LensViewSet, basename="lens")
    router.register("reviews", ReviewViewSet, basename="review")
    router.register("answers", AnswerViewSet, basename="answer")
    router.register("milestones", MilestoneViewSet, basename="milestone")
    router.register("decisions", DecisionViewSet, basename="decision")
    router.register("risk-acceptances", RiskAcceptanceViewSet, basename="risk-acceptance")
    router.register("failure-scenarios", FailureScenarioViewSet, basename="failure-scenario")
    router.register("game-days", GameDayViewSet, basename="game-day")
    router.register("game-day-findings", GameDayFindingViewSet, basename="game-day-finding")
