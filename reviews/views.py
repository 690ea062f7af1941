"""Browser views for lenses and readiness reviews: thin, permission-checked, htmx-aware."""

from typing import Any

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import reswap, retarget

from incidents.models import ActionItem
from incidents.services import action_items_for_source
from opsx.htmx import hx_redirect, is_partial
from opsx.throttling import throttle
from opsx.views import add_service_errors
from reviews import lensfile, selectors, services
from reviews.filters import ReviewFilterSet
from reviews.forms import (
    AcceptRiskForm,
    AnswerForm,
    FindingForm,
    GameDayForm,
    LensCompareForm,
    LensUpgradeForm,
    LensUploadForm,
    MilestoneForm,
    NoteForm,
    PlanActionForm,
    ReviewForm,
    ScenarioForm,
)
from reviews.lens_cache import lens_of, questions_by_id
from reviews.models import (
    Answer,
    Decision,
    GameDay,
    GameDayFinding,
    Lens,
    LensUpgrade,
    Milestone,
    Review,
    ReviewLens,
)
from teams import permissions
from teams.models import System
from teams.permissions import Action

PAGE_SIZE = 25


def _review(request: HttpRequest, pk: int, action: Action = Action.VIEW) -> Review:
    reviews = Review.objects.with_launch_status().select_related("system", "team")
    return permissions.get_for(request.user, reviews, action, pk=pk)


def _review_context(request: HttpRequest, review: Review, tab: str) -> dict[str, Any]:
    can = permissions.allowed_actions(request.user, review)
    editable = can["change"] and review.launch_status != Review.Status.APPROVED
    return {"review": review, "tab": tab, "can": can, "editable": editable}


# --- lenses ---------------------------------------------------------------------------------


def lens_list(request: HttpRequest) -> HttpResponse:
    context = {
        "lenses": selectors.lens_list(user=request.user),  # type: ignore[arg-type]
        "can_import": selectors.can_import_lens(request.user),
        "form": LensUploadForm(),
    }
    return render(request, "reviews/lens_list.html", context)


@require_POST
@throttle("import")
def lens_upload(request: HttpRequest) -> HttpResponse:
    if not selectors.can_import_lens(request.user):
        raise PermissionDenied("Only admins and team leads import lenses.")
    form = LensUploadForm(request.POST, request.FILES)
    status = 400
    if form.is_valid() and form.cleaned_data["file"].size > lensfile.MAX_FILE_BYTES:
        form.add_error("file", str(lensfile.too_large_issue(form.cleaned_data["file"].size)))
        status = 413  # nothing of it is read
    elif form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = services.lens_import(
                data=upload.read(),
                actor=request.user,  # type: ignore[arg-type]
                filename=upload.name,
                fmt=form.cleaned_data["format"] or None,
                strict=form.cleaned_data["strict"],
            )
        except lensfile.LensFormatError as exc:
            for line in str(exc).splitlines():
                form.add_error("file", line)
        else:
            repairs = f"; {len(result.warnings)} repairs, listed below" if result.warnings else ""
            messages.success(
                request, f"{result.lens.name}: {result.outcome} (version {result.version.number}){repairs}."
            )
            for warning in result.warnings:
                messages.warning(request, warning)
            return hx_redirect(request, result.lens.get_absolute_url())
    context = {
        "lenses": selectors.lens_list(user=request.user),  # type: ignore[arg-type]
        "can_import": True,
        "form": form,
    }
    return render(request, "reviews/lens_list.html", context, status=200 if is_partial(request) else status)


def lens_detail(request: HttpRequest, slug: str) -> HttpResponse:
    lens = permissions.get_for(request.user, Lens, slug=slug)
    versions = list(lens.versions.order_by("-number"))
    number = request.GET.get("version")
    version = next((v for v in versions if str(v.number) == number), versions[0] if versions else None)
    if version is None:
        raise Http404("This lens has no versions.")
    context = {"lens": lens, "versions": versions, "version": version, "parsed": lens_of(version)}
    return render(request, "reviews/lens_detail.html", context)


def lens_compare(request: HttpRequest, slug: str) -> HttpResponse:
    lens = permissions.get_for(request.user, Lens, slug=slug)
    numbers = list(lens.versions.order_by("-number").values_list("number", flat=True))
    form = LensCompareForm(request.GET, lens_name=lens.name, numbers=numbers)
    comparison = None
    if form.is_valid():
        comparison = selectors.lens_compare(lens=lens, before=form.cleaned_data["from"], after=form.cleaned_data["to"])
    context = {"lens": lens, "form": form, "comparison": comparison, "version_count": len(numbers)}
    return render(request, "reviews/lens_compare.html", context, status=400 if form.errors else 200)


@throttle("export")
def lens_export(request: HttpRequest, slug: str) -> HttpResponse:
    lens = permissions.get_for(request.user, Lens, slug=slug)
    fmt = request.GET.get("fmt", "yaml")
    version = lens.versions.filter(number=request.GET.get("version") or 0).first() or selectors.latest_version(lens)
    if fmt not in lensfile.FORMATS or version is None:
        raise Http404("Unknown format or version.")
    try:
        text = services.lens_export(version=version, fmt=fmt)  # type: ignore[arg-type]
    except lensfile.LensFormatError as exc:
        messages.error(request, f"This lens cannot be written as {fmt}: {exc}")
        return redirect(lens.get_absolute_url())
    return lens_download(lens, version, text, fmt)


def lens_download(lens: Lens, version: Any, text: str, fmt: str) -> HttpResponse:
    """A lens file as an attachment (shared with the API's export action)."""
    suffix, mime = ("json", "application/json") if fmt == "aws" else ("yaml", "application/yaml")
    response = HttpResponse(text, content_type=f"{mime}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{lens.slug}-v{version.number}.{suffix}"'
    return response


# --- review list and creation ---------------------------------------------------------------


@vary_on_headers("HX-Request")
def review_list(request: HttpRequest) -> HttpResponse:
    filterset = ReviewFilterSet(request.GET, queryset=selectors.review_list(user=request.user).order_by("-created_at"))  # type: ignore[arg-type]
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "filter": filterset,
        "page": page,
        "objects": page.object_list,
        "can_create": permissions.can_create_somewhere(request.user),
    }
    if is_partial(request):
        return render(request, "reviews/review_list.html#results", context)
    return render(request, "reviews/review_list.html", context)


def _creatable_systems(request: HttpRequest) -> Any:
    systems = System.objects.select_related("team").order_by("name")
    if permissions.is_admin(request.user):
        return systems
    return systems.filter(team_id__in=list(permissions.team_roles(request.user)))


@require_http_methods(["GET", "POST"])
def review_create(request: HttpRequest) -> HttpResponse:
    systems = _creatable_systems(request)
    if not systems.exists():
        raise PermissionDenied("Only members of a team that owns a service can start a review.")
    selectors.builtin_version()
    versions = selectors.latest_versions()
    initial = {
        "system": systems.filter(slug=request.GET.get("service")).first(),
        "lenses": [v.pk for v in versions if v.lens.builtin],
    }
    form = ReviewForm(request.POST or None, systems=systems, versions=versions, initial=initial)
    if request.method == "POST" and form.is_valid():
        system = form.cleaned_data["system"]
        permissions.check_create(request.user, Review, [system.team_id])
        review = services.review_create(
            actor=request.user,  # type: ignore[arg-type]
            system=system,
            title=form.cleaned_data["title"],
            lens_versions=list(form.cleaned_data["lenses"]),
        )
        messages.success(request, f"Review started: {review.answers.count()} questions to answer.")
        return hx_redirect(request, review.get_absolute_url())
    context = {"form": form, "title": "New readiness review", "cancel_url": reverse("reviews:review-list")}
    return render(request, "form_page.html#form" if is_partial(request) else "form_page.html", context)


# --- answering ------------------------------------------------------------------------------


def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review(request, pk)
    structure = selectors.review_structure(review)
    counts = selectors.RiskCounts.of([q.answer.risk for lv in structure for p in lv.pillars for q in p.questions])
    context = {
        **_review_context(request, review, "answers"),
        "structure": structure,
        "counts": counts,
        "accepted": selectors.accepted_until(review),
    }
    return render(request, "reviews/review_detail.html", context)


def _answer_response(
    request: HttpRequest, review: Review, answer: Answer, template: str, extra: dict[str, Any]
) -> HttpResponse:
    rollup = selectors.review_rollup(review)
    question = questions_by_id(answer.review_lens.lens_version)[answer.question_id]
    context = {
        **_review_context(request, review, "answers"),
        "q": selectors.QuestionView(question=question, answer=answer, choices=list(question.choices)),
        "counts": rollup.review,
        "lens_counts": rollup.lenses.get(answer.review_lens_id),
        "pillar_counts": rollup.pillars.get((answer.review_lens_id, answer.pillar_id)),
        "oob": True,
        **extra,
    }
    return render(request, template, context)


@require_POST
def answer_save(request: HttpRequest, pk: int, answer_pk: int) -> HttpResponse:
    review = _review(request, pk, Action.CHANGE)
    answer = get_object_or_404(
        Answer.objects.select_related("review_lens__lens_version", "updated_by"), pk=answer_pk, review=review
    )
    question = questions_by_id(answer.review_lens.lens_version)[answer.question_id]
    form = AnswerForm(request.POST, question=question)
    error = ""
    if form.is_valid():
        data = form.cleaned_data
        try:
            answer = services.answer_update(
                answer=answer,
                actor=request.user,  # type: ignore[arg-type]
                version=data["version"],
                selected=data["selected"],
                not_applicable=data["not_applicable"],
                na_reason=data["na_reason"],
                notes=data["notes"],
                evidence_links=data["evidence_links"],
            )
        except services.StaleAnswer as exc:
            stale_message = (
                f"{exc.current.updated_by or 'Someone'} changed this answer while you were editing it. "
                "This is their version; make your change again if it still applies."
            )
            if not is_partial(request):
                messages.warning(request, stale_message)
                return redirect(f"{review.get_absolute_url()}#q-{answer.pk}")
            response = _answer_response(
                request,
                review,
                exc.current,
                "reviews/review_detail.html#question",
                {"stale": stale_message, "oob": False},
            )
            return reswap(retarget(response, f"#q-{answer.pk}"), "outerHTML")
        except ValidationError as exc:
            error = " ".join(exc.messages)
        except services.ReviewStateError as exc:
            error = str(exc)
    else:
        error = " ".join(e for errors in form.errors.values() for e in errors)
    if not is_partial(request):
        if error:
            messages.error(request, f"{question.title}: {error}")
        return redirect(f"{review.get_absolute_url()}#q-{answer.pk}")
    return _answer_response(request, review, answer, "reviews/review_detail.html#saved", {"error": error})


@require_http_methods(["GET", "POST"])
def review_upgrade(request: HttpRequest, pk: int, review_lens_pk: int) -> HttpResponse:
    """GET: what upgrading would carry over, lose and add; POST: upgrade to the version previewed."""
    confirm = request.method == "POST"
    review = _review(request, pk, Action.CHANGE if confirm else Action.VIEW)
    review_lens = get_object_or_404(
        ReviewLens.objects.select_related("lens", "lens_version"), pk=review_lens_pk, review=review
    )
    newer = selectors.newer_versions(review_lens)
    if not newer:
        messages.info(request, f"This review already uses the newest version of {review_lens.lens.name}.")
        return hx_redirect(request, review.get_absolute_url())
    form = LensUpgradeForm(
        request.POST if confirm else request.GET, lens_name=review_lens.lens.name, numbers=[v.number for v in newer]
    )
    context: dict[str, Any] = {**_review_context(request, review, "answers"), "review_lens": review_lens, "form": form}
    if not form.is_valid():
        return render(request, "reviews/review_upgrade.html", context, status=400)
    target = next(v for v in newer if v.number == form.cleaned_data["to"])
    if confirm:
        try:
            upgrade = services.review_lens_upgrade(review_lens=review_lens, actor=request.user, to_version=target)  # type: ignore[arg-type]
        except services.ReviewStateError as exc:
            messages.error(request, str(exc))
            return hx_redirect(request, review.get_absolute_url())
        c = upgrade.changes
        messages.success(
            request,
            f"Upgraded to {upgrade.to_version}: {len(c['added'])} new, {len(c['removed'])} removed, "
            f"{len(c['changed'])} changed questions; {len(c['risk_changed'])} risks changed.",
        )
        return hx_redirect(request, reverse("reviews:review-history", kwargs={"pk": review.pk}))
    context["preview"] = selectors.upgrade_preview(review_lens=review_lens, target=target)
    return render(request, "reviews/review_upgrade.html", context)


def review_history(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review(request, pk)
    upgrades = (
        LensUpgrade.objects.filter(review_lens__review=review)
        .select_related("from_version__lens", "to_version", "actor")
        .order_by("-created_at")
    )
    context = {**_review_context(request, review, "history"), "upgrades": upgrades}
    return render(request, "reviews/review_history.html", context)


# --- improvement plan -----------------------------------------------------------------------


def review_plan(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review(request, pk)
    people = selectors.team_people(review)
    plan = selectors.improvement_plan(review, user=request.user)  # type: ignore[arg-type]
    for item in plan:
        item["form"] = PlanActionForm(people=people, prefix=f"a{item['answer'].pk}")
    context = {**_review_context(request, review, "plan"), "plan": plan}
    return render(request, "reviews/review_plan.html", context)


@require_POST
def plan_action(request: HttpRequest, pk: int, answer_pk: int) -> HttpResponse:
    review = _review(request, pk, Action.CHANGE)
    answer = get_object_or_404(
        Answer.objects.select_related("review_lens__lens_version", "review_lens__lens", "review__system"),
        pk=answer_pk,
        review=review,
    )
    form = PlanActionForm(request.POST, people=selectors.team_people(review), prefix=f"a{answer.pk}")
    if form.is_valid():
        try:
            services.plan_item_to_action(
                answer=answer,
                actor=request.user,  # type: ignore[arg-type]
                owner=form.cleaned_data["owner"],
                due_date=form.cleaned_data["due_date"],
                priority=form.cleaned_data["priority"] or None,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            form = PlanActionForm(people=selectors.team_people(review), prefix=f"a{answer.pk}")
    if form.errors and not is_partial(request):
        messages.error(request, "; ".join(e for errs in form.errors.values() for e in errs))
    if not is_partial(request):
        return redirect(reverse("reviews:review-plan", kwargs={"pk": review.pk}))
    item = selectors.plan_item(answer)
    item["lens"] = answer.review_lens.lens
    item["action_items"] = list(action_items_for_source(answer).visible_to(request.user).select_related("owner"))
    item["form"] = form
    return render(
        request, "reviews/review_plan.html#plan-item", {**_review_context(request, review, "plan"), "item": item}
    )


# --- milestones -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def review_milestones(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review(request, pk)
    form = MilestoneForm(request.POST or None)
    if request.method == "POST":
        permissions.check(request.user, Action.CHANGE, review)
        if form.is_valid():
            try:
                milestone = services.milestone_create(review=review, actor=request.user, name=form.cleaned_data["name"])  # type: ignore[arg-type]
            except ValidationError as exc:
                form.add_error("name", exc.message_dict.get("name", exc.messages))
            else:
                messages.success(request, f"Milestone “{milestone.name}” saved.")
                return hx_redirect(request, reverse("reviews:review-milestones", kwargs={"pk": review.pk}))
    milestones = list(review.milestones.select_related("created_by"))
    comparison, compare_errors, invalid = None, [], set()
    a, b = request.GET.get("a"), request.GET.get("b")
    if a is not None or b is not None:
        try:
            comparison = selectors.milestone_comparison(user=request.user, a=a, b=b, review=review)  # type: ignore[arg-type]
        except ValidationError as exc:
            sides = {"a": "Before", "b": "After"}
            compare_errors = [f"{sides[k]}: {m}" for k, ms in exc.message_dict.items() for m in ms]
            invalid = set(exc.message_dict)
        except Http404 as exc:
            compare_errors, invalid = [f"{exc} Pick two milestones of this review."], {"a", "b"}
    context = {
        **_review_context(request, review, "milestones"),
        "milestones": milestones,
        "form": form,
        "comparison": comparison,
        "compare_errors": compare_errors,
        "compare_invalid": invalid,
    }
    status = 400 if form.errors or compare_errors else 200
    return render(request, "reviews/review_milestones.html", context, status=status)


def milestone_detail(request: HttpRequest, pk: int, milestone_pk: int) -> HttpResponse:
    review = _review(request, pk)
    milestone = get_object_or_404(Milestone.objects.select_related("created_by"), pk=milestone_pk, review=review)
    context = {**_review_context(request, review, "milestones"), "view": selectors.milestone_view(milestone)}
    return render(request, "reviews/milestone_detail.html", context)


# --- launch decision ------------------------------------------------------------------------


def _launch_context(request: HttpRequest, review: Review, **forms: Any) -> dict[str, Any]:
    high = list(
        review.answers.filter(risk="high")
        .select_related("review_lens__lens_version")
        .prefetch_related("acceptances__accepted_by")
        .order_by("review_lens__position", "position")
    )
    for answer in high:
        answer.title = questions_by_id(answer.review_lens.lens_version)[answer.question_id].title  # type: ignore[attr-defined]
        answer.active_acceptance = next((a for a in answer.acceptances.all() if a.is_active), None)  # type: ignore[attr-defined]
        bound = forms.get("accept_form") if forms.get("accept_for") == answer.pk else None
        answer.accept_form = bound or AcceptRiskForm(prefix=f"r{answer.pk}")  # type: ignore[attr-defined]
    status = review.launch_status
    user: Any = request.user
    return {
        **_review_context(request, review, "launch"),
        "status": status,
        "awaiting": status in Review.AWAITING_SIGNOFF,
        "high_risks": high,
        "blocked": any(a.active_acceptance is None for a in high),  # type: ignore[attr-defined]
        "lapsed": selectors.lapsed_risks(review) if status == Review.Status.REOPENED else [],
        "policy": selectors.tier_policy(review.system),
        "required": selectors.required_signoff_roles(review.system),
        "have": selectors.current_signoff_roles(review),
        "my_role": services.signoff_role(review=review, user=user),
        "signoff_refusal": services.signoff_refusal(review=review, user=user),
        "history": selectors.launch_history(review),
        "note_form": forms.get("note_form") or NoteForm(),
        "accept_for": forms.get("accept_for"),
        "counts": selectors.review_counts(review),
    }


def review_launch(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review(request, pk)
    return render(request, "reviews/review_launch.html", _launch_context(request, review))


@require_POST
def launch_decide(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    review = _review(request, pk, Action.VIEW if kind == Decision.Kind.SIGNED_OFF else Action.CHANGE)
    form = NoteForm(request.POST)
    form.is_valid()
    note = form.cleaned_data.get("note", "")
    actions = {
        Decision.Kind.REQUESTED: services.review_request_launch,
        Decision.Kind.WITHDRAWN: services.review_withdraw_launch,
        Decision.Kind.SIGNED_OFF: services.review_sign_off,
    }
    if kind not in actions:
        raise Http404("Unknown decision.")
    try:
        decision = actions[kind](review=review, actor=request.user, note=note)  # type: ignore[operator]
    except services.ReviewStateError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{decision.get_kind_display()}.")
    return hx_redirect(request, reverse("reviews:review-launch", kwargs={"pk": review.pk}))


@require_POST
def risk_accept(request: HttpRequest, pk: int, answer_pk: int) -> HttpResponse:
    review = _review(request, pk, Action.APPROVE)
    answer = get_object_or_404(Answer, pk=answer_pk, review=review)
    form = AcceptRiskForm(request.POST, prefix=f"r{answer.pk}")
    if form.is_valid():
        try:
            services.risk_accept(
                answer=answer,
                actor=request.user,  # type: ignore[arg-type]
                reason=form.cleaned_data["reason"],
                expires_at=form.expires_at,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Risk on {answer.question_id} accepted until {form.cleaned_data['expires_on']}.")
            return hx_redirect(request, reverse("reviews:review-launch", kwargs={"pk": review.pk}))
    context = _launch_context(request, review, accept_form=form, accept_for=answer.pk)
    return render(request, "reviews/review_launch.html", context, status=400)


# --- pre-mortem and game days ---------------------------------------------------------------


def _items_by_source(request: HttpRequest, model: Any, records: list[Any]) -> list[tuple[Any, list[ActionItem]]]:
    """(record, its action items the user may see) for records of one model, in one query."""
    if not records:
        return []
    items: dict[int, list[ActionItem]] = {}
    ct = ContentType.objects.get_for_model(model)
    queryset = ActionItem.objects.visible_to(request.user).filter(source_type=ct, source_id__in=[r.pk for r in records])
    for item in queryset.select_related("owner"):
        items.setdefault(item.source_id, []).append(item)  # type: ignore[arg-type]
    return [(record, items.get(record.pk, [])) for record in records]


def _exercises_context(request: HttpRequest, review: Review, **forms: Any) -> dict[str, Any]:
    people = selectors.team_people(review)
    game_days = list(review.game_days.prefetch_related("findings"))
    findings = [f for g in game_days for f in g.findings.all()]
    pairs = _items_by_source(request, GameDayFinding, findings) + _items_by_source(request, GameDay, game_days)
    for record, items in pairs:
        record.action_items = items  # type: ignore[attr-defined]
    return {
        **_review_context(request, review, "exercises"),
        "scenarios": review.scenarios.select_related("owner"),
        "game_days": game_days,
        "scenario_form": forms.get("scenario_form") or ScenarioForm(people=people),
        "game_day_form": forms.get("game_day_form") or GameDayForm(),
        "finding_form": FindingForm(),
        "finding_error_for": forms.get("finding_error_for"),
    }


def review_exercises(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review(request, pk)
    return render(request, "reviews/review_exercises.html", _exercises_context(request, review))


def _exercises_url(review: Review, anchor: str = "") -> str:
    return reverse("reviews:review-exercises", kwargs={"pk": review.pk}) + anchor


@require_POST
def scenario_add(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review(request, pk, Action.CHANGE)
    form = ScenarioForm(request.POST, people=selectors.team_people(review))
    if form.is_valid():
        services.scenario_create(review=review, actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        messages.success(request, "Failure scenario added.")
        return hx_redirect(request, _exercises_url(review, "#premortem"))
    context = _exercises_context(request, review, scenario_form=form)
    return render(request, "reviews/review_exercises.html", context, status=400)


@require_POST
def game_day_add(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review(request, pk, Action.CHANGE)
    form = GameDayForm(request.POST)
    if form.is_valid():
        services.game_day_create(review=review, actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        messages.success(request, "Game day recorded.")
        return hx_redirect(request, _exercises_url(review, "#game-days"))
    context = _exercises_context(request, review, game_day_form=form)
    return render(request, "reviews/review_exercises.html", context, status=400)


@require_POST
def finding_add(request: HttpRequest, pk: int, game_day_pk: int) -> HttpResponse:
    review = _review(request, pk, Action.CHANGE)
    game_day = get_object_or_404(GameDay, pk=game_day_pk, review=review)
    form = FindingForm(request.POST)
    if form.is_valid():
        services.finding_create(game_day=game_day, actor=request.user, description=form.cleaned_data["description"])  # type: ignore[arg-type]
    else:
        messages.error(request, "Describe the finding.")
    return hx_redirect(request, _exercises_url(review, f"#gd-{game_day.pk}"))
