from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from incidents import selectors, services, sources
from incidents.filters import ActionItemFilterSet, IncidentFilterSet, PostmortemFilterSet
from incidents.forms import (
    ActionItemForm,
    ActionItemStatusForm,
    CommentForm,
    FactorFormSet,
    IncidentForm,
    IncidentStateForm,
    PostmortemForm,
    PublishForm,
    SubmitForReviewForm,
    TimelineEntryForm,
    factors_from,
)
from incidents.history import conflicting_sections, revision_diff
from incidents.models import (
    POSTMORTEM_SECTIONS,
    SECTION_FIELDS,
    ActionItem,
    FactorCategory,
    Incident,
    OrgSettings,
    Postmortem,
    Severity,
)
from opsx.conflicts import conflicting_fields
from opsx.htmx import hx_redirect, is_partial
from opsx.limits import text_too_long, too_large
from opsx.throttling import throttle
from opsx.views import form_page, list_page, render_form_page
from teams import permissions
from teams import selectors as team_selectors
from teams.models import Team
from teams.permissions import Action

# --- incidents -------------------------------------------------------------------------------


@vary_on_headers("HX-Request")
def incident_list(request: HttpRequest) -> HttpResponse:
    filterset = IncidentFilterSet(request.GET, queryset=selectors.incident_list(user=request.user), request=request)  # type: ignore[arg-type]
    context = {"can_create": permissions.can_create_somewhere(request.user)}
    return list_page(request, "incidents/incident_list.html", filterset, context)


@vary_on_headers("HX-Request")
@require_http_methods(["GET", "POST"])
def incident_create(request: HttpRequest) -> HttpResponse:
    if not permissions.can_create_somewhere(request.user):
        raise PermissionDenied("Only members of a team can declare incidents.")

    def save(data: dict[str, Any]) -> Incident:
        permissions.check_create(request.user, Incident, [data["team"].pk])
        return services.incident_create(actor=request.user, **data)  # type: ignore[arg-type]

    teams = team_selectors.creatable_teams(user=request.user)  # type: ignore[arg-type]
    can_restrict = permissions.can_create(request.user, Incident, teams.values_list("pk", flat=True), Action.RESTRICT)
    return form_page(
        request, IncidentForm(request.POST or None, team_choices=teams, can_restrict=can_restrict), save=save,
        title="Declare an incident", cancel_url=reverse("incidents:incident-list"),
        message="Incident #{obj.pk} declared.",
    )  # fmt: skip


def _incident_context(request: HttpRequest, incident: Incident, **extra: Any) -> dict[str, Any]:
    postmortems = selectors.postmortem_list(user=request.user)  # type: ignore[arg-type]
    return {
        "incident": incident,
        "timeline": selectors.timeline_for(incident=incident),
        "timeline_form": TimelineEntryForm(),
        "can": permissions.allowed_actions(request.user, incident),
        "postmortem": postmortems.filter(incident=incident).first(),
        "has_postmortem": Postmortem.objects.filter(incident=incident).exists(),
        "status_choices": Incident.Status.choices,
        "severities": Severity.objects.all(),
        **extra,
    }


def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = selectors.incident_get_for(user=request.user, pk=pk)  # type: ignore[arg-type]
    context = _incident_context(
        request,
        incident,
        action_items=selectors.action_item_list(user=request.user).filter(incident=incident),  # type: ignore[arg-type]
    )
    return render(request, "incidents/incident_detail.html", context)


@require_POST
def incident_state(request: HttpRequest, pk: int) -> HttpResponse:
    """One-click status or severity change from the incident page, at the version the page showed.

    The service checks the permission and the version; a stale click changes nothing and says what
    the incident is now (the refreshed controls carry the new version, so a second click applies it).
    """
    incident = selectors.incident_get_for(user=request.user, pk=pk)  # type: ignore[arg-type]
    form = IncidentStateForm(request.POST)
    notice = ""
    if not form.is_valid():
        notice = " ".join(msg for errors in form.errors.values() for msg in errors)
    else:
        try:
            incident = services.incident_update(
                incident=incident,
                actor=request.user,  # type: ignore[arg-type]
                data=form.changes(),
                expected_version=form.cleaned_data["version"],
            )
        except services.StaleVersion as exc:
            incident = selectors.incident_get_for(user=request.user, pk=pk)  # type: ignore[arg-type]
            notice = (
                f"Not changed: someone else changed this incident since the page loaded (it is now "
                f"{exc.current.get_status_display()}, {exc.current.severity.name}). Click again to make your change."
            )
        except ValidationError as exc:
            notice = " ".join(exc.messages)
    if not is_partial(request):
        if notice:
            messages.error(request, notice)
        return redirect(incident)
    context = _incident_context(request, incident, notice=notice, oob=True)
    return render(request, "incidents/incident_detail.html#state-changed", context)


def _team_choices(request: HttpRequest, obj: Any) -> Any:
    """Teams a record may be (re)assigned to: those the user creates for, and its own."""
    return (team_selectors.creatable_teams(user=request.user) | Team.objects.filter(pk=obj.team_id)).distinct()  # type: ignore[arg-type]


def _edit_page(request: HttpRequest, obj: Any, form_class: Any, update: Any, *, title: str) -> HttpResponse:
    """Edit form for a team-owned record; moving it to another team needs create rights there."""
    teams = _team_choices(request, obj)
    form = form_class(request.POST or None, instance=type(obj).objects.get(pk=obj.pk), team_choices=teams)

    def save(data: dict[str, Any]) -> Any:
        if data["team"].pk != obj.team_id:
            permissions.check_create(request.user, type(obj), [data["team"].pk])
        return update(obj, data)

    return form_page(request, form, save=save, title=title, cancel_url=obj.get_absolute_url(), message="Saved.")


@vary_on_headers("HX-Request")
@require_http_methods(["GET", "POST"])
def incident_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit at the version the form was loaded at; a stale save shows both sides and keeps the user's values."""
    incident = selectors.incident_get_for(user=request.user, pk=pk, action=Action.CHANGE)  # type: ignore[arg-type]
    teams = _team_choices(request, incident)
    options = {"team_choices": teams, "can_restrict": permissions.can(request.user, Action.RESTRICT, incident)}
    form = IncidentForm(request.POST or None, instance=Incident.objects.get(pk=pk), **options)
    page = {"title": f"Edit incident #{incident.pk}", "cancel_url": incident.get_absolute_url()}

    def save(data: dict[str, Any]) -> Incident:
        data = dict(data)
        expected = data.pop("version")
        return services.incident_update(incident=incident, actor=request.user, data=data, expected_version=expected)  # type: ignore[arg-type]

    try:
        return form_page(request, form, save=save, message="Saved.", **page)
    except services.StaleVersion:
        stored = Incident.objects.get(pk=pk)
        posted = request.POST.copy()
        posted["version"] = str(stored.version)  # the next save wins, on purpose
        conflict = {
            "version": stored.version,
            "updated_at": stored.updated_at,
            "rows": conflicting_fields(form, IncidentForm(instance=stored, **options)),
        }
        again = IncidentForm(posted, instance=Incident.objects.get(pk=pk), **options)
        status = 200 if is_partial(request) else 409  # htmx swaps only 2xx answers
        return render_form_page(request, again, **page, conflict=conflict, status=status)


@require_POST
def timeline_add(request: HttpRequest, pk: int) -> HttpResponse:
    incident = selectors.incident_get_for(user=request.user, pk=pk, action=Action.CHANGE)  # type: ignore[arg-type]
    form = TimelineEntryForm(request.POST)
    if form.is_valid():
        services.timeline_entry_add(incident=incident, actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        form = TimelineEntryForm()
    context = _incident_context(request, incident, timeline_form=form)
    if is_partial(request):
        return render(request, "incidents/incident_detail.html#timeline", context)
    return redirect(incident)


@require_POST
def postmortem_start(request: HttpRequest, pk: int) -> HttpResponse:
    incident = selectors.incident_get_for(user=request.user, pk=pk, action=Action.CHANGE)  # type: ignore[arg-type]
    postmortem = services.postmortem_start(incident=incident, actor=request.user)  # type: ignore[arg-type]
    return hx_redirect(request, reverse("incidents:postmortem-edit", args=[postmortem.pk]))


# --- postmortems -----------------------------------------------------------------------------


@vary_on_headers("HX-Request")
def postmortem_list(request: HttpRequest) -> HttpResponse:
    filterset = PostmortemFilterSet(request.GET, queryset=selectors.postmortem_list(user=request.user))  # type: ignore[arg-type]
    return list_page(request, "incidents/postmortem_list.html", filterset, {})


def _factor_names() -> dict[str, str]:
    return dict(FactorCategory.objects.values_list("slug", "name"))


def _review_rows(postmortem: Postmortem, reviewers: list[Any]) -> list[dict[str, Any]]:
    """Each named reviewer with their approval of the current version, or of an earlier one."""
    counting, outdated = services.postmortem_approval_state(postmortem=postmortem)
    current = {a.reviewer_id: a for a in counting}
    earlier = {a.reviewer_id: a for a in outdated}
    return [{"user": r, "current": current.get(r.pk), "earlier": earlier.get(r.pk)} for r in reviewers]


def _review_context(request: HttpRequest, postmortem: Postmortem) -> dict[str, Any]:
    user = request.user
    reviewers = list(postmortem.reviewers.all())
    rows = _review_rows(postmortem, reviewers)
    is_reviewer = any(r.pk == user.pk for r in reviewers) and user.pk != postmortem.author_id
    approved_now = any(row["user"].pk == user.pk and row["current"] for row in rows)
    return {
        "reviewers": reviewers,
        "review_rows": rows,
        "can_approve": is_reviewer and postmortem.status == Postmortem.Status.IN_REVIEW and not approved_now,
        "publish_check": services.postmortem_publish_check(postmortem=postmortem, actor=user),  # type: ignore[arg-type]
    }


def _detail_context(request: HttpRequest, postmortem: Postmortem, **extra: Any) -> dict[str, Any]:
    org = OrgSettings.current()
    names = _factor_names()
    comments = list(selectors.comments_for(postmortem=postmortem))
    return {
        "postmortem": postmortem,
        "incident": postmortem.incident,
        "sections": [
            {"name": name, "label": label, "text": getattr(postmortem, name), "guidance": org.guidance(name)}
            for name, label in POSTMORTEM_SECTIONS
        ],
        "factors": [{**f, "category_name": names.get(f["category"], f["category"])} for f in postmortem.factors],
        **_review_context(request, postmortem),
        "comments": comments,
        "open_comment_count": sum(not c.is_resolved for c in comments),
        "comment_form": CommentForm(),
        "submit_form": SubmitForReviewForm(candidates=selectors.reviewer_candidates(postmortem=postmortem)),
        "publish_form": PublishForm(),
        "action_items": selectors.action_item_list(user=request.user).filter(incident=postmortem.incident),  # type: ignore[arg-type]
        "can": permissions.allowed_actions(request.user, postmortem),
        **extra,
    }


def postmortem_detail(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = selectors.postmortem_get_for(user=request.user, pk=pk)  # type: ignore[arg-type]
    return render(request, "incidents/postmortem_detail.html", _detail_context(request, postmortem))


def _content(form: PostmortemForm, formset: Any) -> dict[str, Any]:
    return {**{name: form.cleaned_data[name] for name in SECTION_FIELDS}, "factors": factors_from(formset)}


def _editor_forms(request: HttpRequest, postmortem: Postmortem) -> tuple[PostmortemForm, Any]:
    if request.method == "POST":
        return PostmortemForm(request.POST), FactorFormSet(request.POST, prefix="factors")
    initial = {name: getattr(postmortem, name) for name in SECTION_FIELDS}
    form = PostmortemForm(initial={**initial, "version": postmortem.version})
    return form, FactorFormSet(initial=postmortem.factors, prefix="factors")


def _render_editor(
    request: HttpRequest, postmortem: Postmortem, form: PostmortemForm, formset: Any, status: int = 200, **extra: Any
) -> HttpResponse:
    org = OrgSettings.current()
    context = {
        "postmortem": postmortem,
        "incident": postmortem.incident,
        "form": form,
        "formset": formset,
        "sections": [(form[name], org.guidance(name)) for name in SECTION_FIELDS],
        "factors_guidance": org.guidance("factors"),
        "autosave_seconds": org.autosave_seconds,
        # After a conflict the user merges by hand: autosaving their side would overwrite the other one.
        "autosave": postmortem.status != Postmortem.Status.PUBLISHED and not extra.get("conflicts"),
        "version": form.data.get("version") if form.is_bound else postmortem.version,
        **extra,
    }
    return render(request, "incidents/postmortem_edit.html", context, status=status)


@require_http_methods(["GET", "POST"])
def postmortem_edit(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = selectors.postmortem_get_for(user=request.user, pk=pk, action=Action.CHANGE)  # type: ignore[arg-type]
    form, formset = _editor_forms(request, postmortem)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        mine = _content(form, formset)
        try:
            services.postmortem_save(
                postmortem=postmortem,
                actor=request.user,  # type: ignore[arg-type]
                data=mine,
                expected_version=form.cleaned_data["version"],
                over_own_saves=True,
            )
        except services.StaleVersion as exc:
            # Keep every word the user typed, show what was saved meanwhile, and let the next save win.
            data = request.POST.copy()
            data["version"] = str(exc.current.version)
            form, formset = PostmortemForm(data), FactorFormSet(data, prefix="factors")
            conflicts = conflicting_sections(mine, exc.current.snapshot())
            return _render_editor(request, exc.current, form, formset, status=409, conflicts=conflicts)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Postmortem saved.")
            return redirect(postmortem)
    return _render_editor(request, postmortem, form, formset)


@require_GET
def postmortem_timeline_source(request: HttpRequest, pk: int) -> HttpResponse:
    """The timeline section's editor filled with the incident's current timeline (saved only on Save)."""
    postmortem = selectors.postmortem_get_for(user=request.user, pk=pk, action=Action.CHANGE)  # type: ignore[arg-type]
    context = {
        "name": "timeline",
        "textarea_id": "id_timeline",
        "value": services.timeline_markdown(postmortem.incident),
    }
    return render(request, "incidents/_section_textarea.html", context)


@require_POST
def postmortem_autosave(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the editor's content in the background. The answer (the status line) carries the version now
    stored in `data-version`; the editor sends its next save, autosave or Save, from that version."""
    postmortem = selectors.postmortem_get_for(user=request.user, pk=pk, action=Action.CHANGE)  # type: ignore[arg-type]
    form, formset = _editor_forms(request, postmortem)
    org = OrgSettings.current()
    context: dict[str, Any] = {"postmortem": postmortem, "autosave": True, "autosave_seconds": org.autosave_seconds}
    if postmortem.status == Postmortem.Status.PUBLISHED:
        context.update(message="Published postmortems are not autosaved; press Save.", autosave=False)
    elif not (form.is_valid() and formset.is_valid()):
        context["message"] = "Not autosaved: some fields need attention."
    else:
        expected = form.cleaned_data["version"]
        try:
            saved = services.postmortem_save(
                postmortem=postmortem,
                actor=request.user,  # type: ignore[arg-type]
                data=_content(form, formset),
                expected_version=expected,
                note="autosave",
                over_own_saves=True,
            )
        except services.StaleVersion as exc:
            context.update(conflict=exc.current, autosave=False)  # stop; the user merges on Save
        except ValidationError as exc:
            context["message"] = "Not autosaved: " + " ".join(exc.messages)
        else:
            context.update(saved=saved, unchanged=saved.version == expected)
    return render(request, "incidents/postmortem_edit.html#autosave-status", context)


@require_POST
@throttle("preview")
def markdown_preview(request: HttpRequest) -> HttpResponse:
    field = request.POST.get("_field", "text")
    text = request.POST.get(field if field in [*SECTION_FIELDS, "description", "body"] else "text", "")
    limit = settings.LIMIT_PREVIEW_CHARS
    if len(text) > limit:
        return too_large(request, text_too_long(limit, len(text), "The text to preview"))
    return render(request, "incidents/_preview.html", {"text": text})


def _workflow(request: HttpRequest, pk: int, action: Action, func: Any, success: str, **kwargs: Any) -> HttpResponse:
    postmortem = selectors.postmortem_get_for(user=request.user, pk=pk, action=action)  # type: ignore[arg-type]
    try:
        func(postmortem=postmortem, actor=request.user, **kwargs)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, success)
    return hx_redirect(request, postmortem.get_absolute_url())


@require_POST
def postmortem_submit(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = selectors.postmortem_get_for(user=request.user, pk=pk, action=Action.CHANGE)  # type: ignore[arg-type]
    form = SubmitForReviewForm(request.POST, candidates=selectors.reviewer_candidates(postmortem=postmortem))
    if form.is_valid():
        try:
            services.postmortem_submit(postmortem=postmortem, actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except ValidationError as exc:
            form.add_error("reviewers" if hasattr(exc, "error_dict") else None, exc)
        else:
            messages.success(request, "Sent for review: the reviewers were notified.")
            return hx_redirect(request, postmortem.get_absolute_url())
    postmortem.refresh_from_db()
    context = _detail_context(request, postmortem, submit_form=form)
    return render(request, "incidents/postmortem_detail.html", context, status=400)


@require_POST
def postmortem_return(request: HttpRequest, pk: int) -> HttpResponse:
    return _workflow(request, pk, Action.CHANGE, services.postmortem_return_to_draft, "Back to draft.")


@require_POST
def postmortem_approve(request: HttpRequest, pk: int) -> HttpResponse:
    """A named reviewer approves the version they read (the service checks who may, and that it is current)."""
    posted = request.POST.get("version", "")
    version = int(posted) if posted.isdigit() else None  # the page always sends the version it showed
    return _workflow(
        request, pk, Action.VIEW, services.postmortem_approve, "Approved: the author was notified.", version=version
    )


@require_POST
def postmortem_publish(request: HttpRequest, pk: int) -> HttpResponse:
    form = PublishForm(request.POST)
    confirm = form.is_valid() and form.cleaned_data["confirm"]
    return _workflow(
        request,
        pk,
        Action.APPROVE,
        services.postmortem_publish,
        "Published: everyone can read it now.",
        confirm=confirm,
    )


@require_POST
def comment_add(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = selectors.postmortem_get_for(user=request.user, pk=pk)  # type: ignore[arg-type]
    form = CommentForm(request.POST)
    if form.is_valid():
        services.postmortem_comment_add(postmortem=postmortem, actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        form = CommentForm()
    context = _detail_context(request, postmortem, comment_form=form, review_oob=True)
    if is_partial(request):
        return render(request, "incidents/postmortem_detail.html#comments", context)
    return redirect(postmortem)


@require_POST
def comment_resolve(request: HttpRequest, pk: int, comment_pk: int) -> HttpResponse:
    """Resolve (`resolved=1`) or reopen (`resolved=0`) a comment: its author or the owning team."""
    postmortem = selectors.postmortem_get_for(user=request.user, pk=pk)  # type: ignore[arg-type]
    comment = get_object_or_404(postmortem.comments, pk=comment_pk)
    resolved = request.POST.get("resolved", "1") != "0"
    services.postmortem_comment_resolve(comment=comment, actor=request.user, resolved=resolved)  # type: ignore[arg-type]
    if is_partial(request):
        context = _detail_context(request, postmortem, review_oob=True)
        return render(request, "incidents/postmortem_detail.html#comments", context)
    return redirect(f"{postmortem.get_absolute_url()}#comment-{comment.pk}")


def postmortem_history(request: HttpRequest, pk: int) -> HttpResponse:
    postmortem = selectors.postmortem_get_for(user=request.user, pk=pk)  # type: ignore[arg-type]
    revisions = list(selectors.revisions_for(postmortem=postmortem))
    rows = [
        {"revision": rev, "changes": revision_diff(older.content if older else None, rev.content)}
        for rev, older in zip(revisions, [*revisions[1:], None], strict=True)
    ]
    context = {
        "postmortem": postmortem,
        "incident": postmortem.incident,
        "rows": rows,
        "can": permissions.allowed_actions(request.user, postmortem),
    }
    return render(request, "incidents/postmortem_history.html", context)


@require_POST
def postmortem_restore(request: HttpRequest, pk: int, version: int) -> HttpResponse:
    postmortem = selectors.postmortem_get_for(user=request.user, pk=pk, action=Action.CHANGE)  # type: ignore[arg-type]
    revision = get_object_or_404(postmortem.revisions, version=version)
    try:
        expected = int(request.POST.get("version", ""))
    except ValueError:
        expected = -1
    try:
        services.postmortem_restore(
            postmortem=postmortem,
            actor=request.user,  # type: ignore[arg-type]
            revision=revision,
            expected_version=expected,
        )
    except services.StaleVersion:
        messages.error(request, "Someone saved a newer version while you were looking. Check the history again.")
        return redirect("incidents:postmortem-history", pk=postmortem.pk)
    messages.success(request, f"Version {version} restored as a new version.")
    return redirect(postmortem)


# --- action items ----------------------------------------------------------------------------

ACTION_SCOPES = {"all": "All action items", "mine": "My action items", "team": "My teams' action items"}


@vary_on_headers("HX-Request")
def action_item_list(request: HttpRequest, scope: str = "all") -> HttpResponse:
    queryset = selectors.action_item_list(user=request.user)  # type: ignore[arg-type]
    if scope == "mine":
        queryset = queryset.filter(owner=request.user)
    elif scope == "team":
        queryset = queryset.filter(team__in=team_selectors.my_teams(user=request.user))  # type: ignore[arg-type]
    filterset = ActionItemFilterSet(request.GET, queryset=queryset)
    context = {
        "scope": scope,
        "scopes": ACTION_SCOPES,
        "title": ACTION_SCOPES[scope],
        "can_create": permissions.can_create_somewhere(request.user),
        "changeable": selectors.changeable_team_ids(user=request.user),  # type: ignore[arg-type]
        "status_choices": ActionItem.Status.choices,
    }
    return list_page(request, "incidents/action_item_list.html", filterset, context)


def _source_for(request: HttpRequest) -> tuple[sources.SourceKind, Any] | None:
    """The record a new action item comes from: `?<kind>=<id>` on the way in, the form's hidden field on
    every post after. A record the user may not see is a 404, exactly like one that does not exist."""
    for kind in sources.kinds():
        pk = request.POST.get(kind.name) or request.GET.get(kind.name)
        if pk:
            try:
                return kind, sources.resolve(user=request.user, name=kind.name, pk=pk)
            except ValidationError:
                raise Http404(kind.not_found(pk)) from None
    return None


@vary_on_headers("HX-Request")
@require_http_methods(["GET", "POST"])
def action_item_create(request: HttpRequest) -> HttpResponse:
    if not permissions.can_create_somewhere(request.user):
        raise PermissionDenied("Only members of a team can create action items.")
    found = _source_for(request)
    teams = team_selectors.creatable_teams(user=request.user)  # type: ignore[arg-type]
    initial: dict[str, Any] = {}
    if found is not None:
        kind, obj = found
        initial = {**kind.defaults(obj), "team": kind.team(obj) if kind.team(obj) in teams else None}
    form = ActionItemForm(
        request.POST or None,
        team_choices=teams,
        initial=initial,
        source=(found[0].name, found[1].pk) if found else None,
    )

    def save(data: dict[str, Any]) -> ActionItem:
        link = {"source": found[1]} if found else {}
        return services.action_item_create(actor=request.user, **form.item_data(), **link)  # type: ignore[arg-type]

    back = found[1].get_absolute_url() if found else reverse("incidents:action-item-list")
    lead = None
    if found:
        lead = {"text": f"From {found[0].label.lower()}:", "link_text": found[0].title(found[1]), "url": back}
    return form_page(
        request, form, save=save, title="New action item", cancel_url=back, message="Action item created: {obj.title}.",
        success_url=(lambda obj: back) if found else None, lead=lead,
    )  # fmt: skip


def action_item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.action_item_get_for(user=request.user, pk=pk)  # type: ignore[arg-type]
    context = {
        "item": item,
        "source": sources.describe_many([item], request.user)[item.pk],  # type: ignore[arg-type]
        "can": permissions.allowed_actions(request.user, item),
        "status_form": ActionItemStatusForm(initial={"status": item.status, "wont_do_reason": item.wont_do_reason}),
    }
    return render(request, "incidents/action_item_detail.html", context)


@vary_on_headers("HX-Request")
@require_http_methods(["GET", "POST"])
def action_item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = selectors.action_item_get_for(user=request.user, pk=pk, action=Action.CHANGE)  # type: ignore[arg-type]

    def update(obj: ActionItem, data: dict[str, Any]) -> ActionItem:
        return services.action_item_update(item=obj, actor=request.user, data=data)  # type: ignore[arg-type]

    return _edit_page(request, item, ActionItemForm, update, title=f"Edit: {item.title}")


@require_POST
def action_item_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Quick status change (list rows and the detail page). Won't do needs a reason."""
    item = selectors.action_item_get_for(user=request.user, pk=pk, action=Action.CHANGE)  # type: ignore[arg-type]
    form = ActionItemStatusForm(request.POST)
    error = ""
    if form.is_valid():
        item = services.action_item_set_status(
            item=item,
            actor=request.user,  # type: ignore[arg-type]
            status=form.cleaned_data["status"],
            reason=form.cleaned_data["wont_do_reason"],
        )
    else:
        error = " ".join(msg for errors in form.errors.values() for msg in errors)
    if not is_partial(request):
        if error:
            messages.error(request, error)
        return redirect(item)
    context = {
        "item": item,
        "error": error,
        "changeable": selectors.changeable_team_ids(user=request.user),  # type: ignore[arg-type]
        "status_choices": ActionItem.Status.choices,
        "posted": form.data,
    }
    return render(request, "incidents/action_item_list.html#row", context)
