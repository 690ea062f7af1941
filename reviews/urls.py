from django.urls import path

from reviews import views

app_name = "reviews"

urlpatterns = [
    path("reviews/", views.review_list, name="review-list"),
    path("reviews/new/", views.review_create, name="review-create"),
    path("reviews/lenses/", views.lens_list, name="lens-list"),
    path("reviews/lenses/upload/", views.lens_upload, name="lens-upload"),
    path("reviews/lenses/<slug:slug>/", views.lens_detail, name="lens-detail"),
    path("reviews/lenses/<slug:slug>/export/", views.lens_export, name="lens-export"),
    path("reviews/lenses/<slug:slug>/compare/", views.lens_compare, name="lens-compare"),
    path("reviews/<int:pk>/", views.review_detail, name="review-detail"),
    path("reviews/<int:pk>/answers/<int:answer_pk>/", views.answer_save, name="answer-save"),
    path("reviews/<int:pk>/upgrade/<int:review_lens_pk>/", views.review_upgrade, name="review-upgrade"),
    path("reviews/<int:pk>/history/", views.review_history, name="review-history"),
    path("reviews/<int:pk>/plan/", views.review_plan, name="review-plan"),
    path("reviews/<int:pk>/plan/<int:answer_pk>/action/", views.plan_action, name="plan-action"),
    path("reviews/<int:pk>/milestones/", views.review_milestones, name="review-milestones"),
    path("reviews/<int:pk>/milestones/<int:milestone_pk>/", views.milestone_detail, name="milestone-detail"),
    path("reviews/<int:pk>/launch/", views.review_launch, name="review-launch"),
    path("reviews/<int:pk>/launch/<str:kind>/", views.launch_decide, name="launch-decide"),
    path("reviews/<int:pk>/accept/<int:answer_pk>/", views.risk_accept, name="risk-accept"),
    path("reviews/<int:pk>/exercises/", views.review_exercises, name="review-exercises"),
    path("reviews/<int:pk>/exercises/scenarios/", views.scenario_add, name="scenario-add"),
    path("reviews/<int:pk>/exercises/game-days/", views.game_day_add, name="game-day-add"),
    path("reviews/<int:pk>/exercises/game-days/<int:game_day_pk>/findings/", views.finding_add, name="finding-add"),
]
