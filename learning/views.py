"""Library pages: search with facets (htmx as you type), reading view, follows, "for you", most read."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from incidents.models import POSTMORTEM_SECTIONS, FactorCategory
from learning import selectors, services
from learning.forms import CommentForm, FollowForm
from learning.models import FacetKind, Follow, FollowKind, LessonComment, UsefulMark
from opsx.htmx import hx_redirect, is_partial
from opsx.throttling import throttle
from teams import permissions

PAGE_SIZE = 20
FACETS_SHOWN = 10  # per kind; the rest fold into "More"
FACET_LABELS = {kind.value: kind.label for kind in FacetKind}


def filters_from(query: QueryDict) -> dict[str, list[str]]:
    return {kind: [v for v in query.getlist(kind) if v][:20] for kind in selectors.FACET_KINDS if query.getlist(kind)}


def _toggle_url(query: QueryDict, kind: str, value: str) -> str:
    query = query.copy()
    query.pop("page", None)
    values = query.getlist(kind)
    query.setlist(kind, [v for v in values if v != value] if value in values else [*values, value])
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


def _page_context(request: HttpRequest, rows, q: str = "") -> dict:  # type: ignore[no-untyped-def]
    """One page of entries; `rows` is a queryset of entries or a selectors.SearchPage of (pk, rank)."""
    if not isinstance(rows, selectors.SearchPage):
        rows = rows.values_list("pk", flat=True)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    ids = [row[0] if isinstance(row, tuple) else row for row in page.object_list]
    entries = selectors.entries_by_ids(ids=ids)
    snippets = selectors.snippets_for(entry_ids=ids, q=q) if q else {}
    read = selectors.read_by(user=request.user, entry_ids=ids)  # type: ignore[arg-type]
    for entry in entries:
        entry.snippet = snippets.get(entry.pk)
        entry.was_read = entry.pk in read
    return {"page": page, "entries": entries}


@vary_on_headers("HX-Request")
@throttle("search")
def library(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    filters = filters_from(request.GET)
    search = selectors.SearchPage(user=request.user, q=q, filters=filters)  # type: ignore[arg-type]
    facets = search.facets()
    facet_groups = []
    for kind in selectors.FACET_KINDS:
        values = facets.get(kind, [])
        for value in values:
            value.url = _toggle_url(request.GET, kind, value.value)
        if values:
            shown = [v for i, v in enumerate(values) if i < FACETS_SHOWN or v.selected]
            more = [v for i, v in enumerate(values) if i >= FACETS_SHOWN and not v.selected]
            facet_groups.append({"kind": kind, "label": FACET_LABELS[kind], "values": shown, "more": more})
    selected = [(kind, v) for kind, values in filters.items() for v in values]
    context = {
        **_page_context(request, search, q),
        "q": q,
        "facet_groups": facet_groups,
        "selected": selected,
        "tab": "all",
        "can_see_stats": selectors.can_see_reading_stats(request.user),  # type: ignore[arg-type]
    }
    if is_partial(request):
        return render(request, "learning/library.html#results", context)
    return render(request, "learning/library.html", context)


def for_you(request: HttpRequest) -> HttpResponse:
    follows = list(selectors.follow_list(user=request.user))  # type: ignore[arg-type]
    context = {
        **_page_context(request, selectors.for_you(user=request.user)),  # type: ignore[arg-type]
        "follows": follows,
        "tab": "for-you",
        "can_see_stats": selectors.can_see_reading_stats(request.user),  # type: ignore[arg-type]
    }
    return render(request, "learning/for_you.html", context)


def most_read(request: HttpRequest) -> HttpResponse:
    if not selectors.can_see_reading_stats(request.user):  # type: ignore[arg-type]
        raise PermissionDenied("Reading statistics are for leadership and admins.")
    context = {
        **_page_context(request, selectors.most_read(user=request.user)),  # type: ignore[arg-type]
        "tab": "most-read",
        "can_see_stats": True,
    }
    return render(request, "learning/most_read.html", context)


def _entry_context(request: HttpRequest, entry) -> dict:  # type: ignore[no-untyped-def]
    user = request.user
    postmortem = entry.postmortem
    categories = dict(FactorCategory.objects.values_list("slug", "name"))
    sections = [(heading, name) for name, heading in POSTMORTEM_SECTIONS if (getattr(postmortem, name) or "").strip()]
    factors = [
        {
            "category": f.get("category"),
            "name": categories.get(f.get("category"), f.get("category")),
            "description": f.get("description"),
        }
        for f in postmortem.factors or []
        if isinstance(f, dict)
    ]
    followed = set(selectors.follow_list(user=user).values_list("kind", "value"))  # type: ignore[arg-type]
    facets = [
        {"kind": f.kind, "value": f.value, "label": f.label, "followed": (f.kind, f.value) in followed}
        for f in entry.facets.all()
    ]
    return {
        "entry": entry,
        "postmortem": postmortem,
        "sections": sections,
        "factors": factors,
        "facets": facets,
        "followable": set(FollowKind.values),
        "related": selectors.related_entries(user=user, entry=entry),  # type: ignore[arg-type]
        "comments": selectors.comments_for(user=user, entry=entry),  # type: ignore[arg-type]
        "comment_form": CommentForm(),
        "is_useful": UsefulMark.objects.filter(entry=entry, user=user).exists(),
        "source": getattr(entry.incident, "external_source", None),
        "can_see_stats": selectors.can_see_reading_stats(user),  # type: ignore[arg-type]
    }


def entry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    entry = selectors.entry_get_for(user=request.user, pk=pk)  # type: ignore[arg-type]
    services.entry_record_read(entry=entry, user=request.user)  # type: ignore[arg-type]
    entry.refresh_from_db(fields=["read_count", "useful_count", "comment_count"])
    return render(request, "learning/entry_detail.html", _entry_context(request, entry))


@require_POST
def entry_useful(request: HttpRequest, pk: int) -> HttpResponse:
    entry = selectors.entry_get_for(user=request.user, pk=pk)  # type: ignore[arg-type]
    if request.POST.get("useful") == "0":
        entry = services.useful_unmark(entry=entry, user=request.user)  # type: ignore[arg-type]
    else:
        entry = services.useful_mark(entry=entry, user=request.user)  # type: ignore[arg-type]
    if is_partial(request):
        is_useful = UsefulMark.objects.filter(entry=entry, user=request.user).exists()  # type: ignore[misc]
        return render(request, "learning/entry_detail.html#useful", {"entry": entry, "is_useful": is_useful})
    return hx_redirect(request, entry.get_absolute_url())


@require_POST
def comment_add(request: HttpRequest, pk: int) -> HttpResponse:
    entry = selectors.entry_get_for(user=request.user, pk=pk)  # type: ignore[arg-type]
    form = CommentForm(request.POST)
    if form.is_valid():
        services.comment_add(entry=entry, author=request.user, body=form.cleaned_data["body"])  # type: ignore[arg-type]
        form = CommentForm()
    elif not is_partial(request):
        messages.error(request, "; ".join(form.errors.get("body", ["Write a comment."])))
    if not is_partial(request):
        return hx_redirect(request, entry.get_absolute_url() + "#comments")
    entry.refresh_from_db(fields=["comment_count"])
    context = {
        "entry": entry,
        "comments": selectors.comments_for(user=request.user, entry=entry),  # type: ignore[arg-type]
        "comment_form": form,
    }
    return render(request, "learning/entry_detail.html#comments", context)


@require_POST
def comment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    comment = permissions.get_for(request.user, LessonComment.objects.select_related("entry"), pk=pk)
    entry = comment.entry
    services.comment_delete(comment=comment, actor=request.user)  # type: ignore[arg-type]
    if is_partial(request):
        entry.refresh_from_db(fields=["comment_count"])
        context = {
            "entry": entry,
            "comments": selectors.comments_for(user=request.user, entry=entry),  # type: ignore[arg-type]
            "comment_form": CommentForm(),
        }
        return render(request, "learning/entry_detail.html#comments", context)
    return hx_redirect(request, entry.get_absolute_url() + "#comments")


def _next_url(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def following(request: HttpRequest) -> HttpResponse:
    follows = selectors.follow_list(user=request.user)  # type: ignore[arg-type]
    return render(request, "learning/following.html", {"follows": follows, "tab": "following", "form": FollowForm()})


@require_POST
def follow_add(request: HttpRequest) -> HttpResponse:
    form = FollowForm(request.POST)
    if form.is_valid():
        try:
            follow = services.follow_add(user=request.user, **form.cleaned_data)  # type: ignore[arg-type]
            messages.success(request, f"You follow {follow.get_kind_display().lower()} {follow.label}.")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, "Choose something to follow.")
    return hx_redirect(request, _next_url(request, reverse("learning:following")))


@require_POST
def follow_remove(request: HttpRequest, pk: int) -> HttpResponse:
    follow = get_object_or_404(Follow, pk=pk, user=request.user)
    services.follow_remove(follow=follow)
    messages.success(request, f"You no longer follow {follow.get_kind_display().lower()} {follow.label}.")
    return hx_redirect(request, _next_url(request, reverse("learning:following")))


@require_POST
def unfollow(request: HttpRequest) -> HttpResponse:
    """Unfollow by kind and value (the reading view's toggle)."""
    form = FollowForm(request.POST)
    if form.is_valid():
        Follow.objects.filter(user=request.user, **form.cleaned_data).delete()
    return hx_redirect(request, _next_url(request, reverse("learning:following")))
