from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from opsx import panels
from opsx.htmx import hx_redirect
from opsx.throttling import client_ip, consume, throttled_response
from opsx.views import form_page, list_page
from teams import auth, permissions, selectors, services
from teams.filters import SystemFilterSet, TeamFilterSet
from teams.forms import ApiTokenForm, MembershipForm, MembershipRoleForm, PasswordResetForm, SystemForm, TeamForm
from teams.models import ApiToken, Membership, System, Team
from teams.permissions import Action

# --- teams ----------------------------------------------------------------------------------


@vary_on_headers("HX-Request")
def team_list(request: HttpRequest) -> HttpResponse:
    filterset = TeamFilterSet(request.GET, queryset=selectors.team_list(user=request.user))
    can_create = permissions.can_create(request.user, Team, [])
    return list_page(request, "teams/team_list.html", filterset, {"can_create": can_create})


def team_detail(request: HttpRequest, slug: str) -> HttpResponse:
    team = permissions.get_for(request.user, Team, slug=slug)
    memberships = team.memberships.select_related("user").order_by("-role", "user__username")
    context = {
        "team": team,
        "memberships": memberships,
        "systems": team.systems.all(),
        "can": permissions.allowed_actions(request.user, team),
        "membership_form": MembershipForm(team=team),
    }
    return render(request, "teams/team_detail.html", context)


@vary_on_headers("HX-Request")
@require_http_methods(["GET", "POST"])
def team_create(request: HttpRequest) -> HttpResponse:
    permissions.check_create(request.user, Team, [])
    return form_page(
        request, TeamForm(request.POST or None),
        save=lambda data: services.team_create(actor=request.user, **data),  # type: ignore[arg-type]
        title="New team", cancel_url=reverse("teams:team-list"), message="Team {obj} created.",
    )  # fmt: skip


@vary_on_headers("HX-Request")
@require_http_methods(["GET", "POST"])
def team_edit(request: HttpRequest, slug: str) -> HttpResponse:
    team = permissions.get_for(request.user, Team, Action.CHANGE, slug=slug)
    return form_page(
        request, TeamForm(request.POST or None, instance=Team.objects.get(pk=team.pk)),
        save=lambda data: services.team_update(team=team, data=data),
        title=f"Edit {team}", cancel_url=team.get_absolute_url(), message="Team saved.",
    )  # fmt: skip


# --- memberships (htmx fragments on the team page) ------------------------------------------


def _members_fragment(request: HttpRequest, team: Team, form: MembershipForm | None = None) -> HttpResponse:
    context = {
        "team": team,
        "memberships": team.memberships.select_related("user").order_by("-role", "user__username"),
        "can": permissions.allowed_actions(request.user, team),
        "membership_form": form or MembershipForm(team=team),
    }
    return render(request, "teams/team_detail.html#members", context)


@require_POST
def membership_add(request: HttpRequest, slug: str) -> HttpResponse:
    team = permissions.get_for(request.user, Team, slug=slug)
    permissions.check_create(request.user, Membership, [team.pk])
    form = MembershipForm(request.POST, team=team)
    if form.is_valid():
        services.membership_set(team=team, user=form.cleaned_data["user"], role=form.cleaned_data["role"])
        form = None
    return _members_fragment(request, team, form)


@require_POST
def membership_role(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    team = permissions.get_for(request.user, Team, slug=slug)
    membership = permissions.get_for(request.user, Membership.objects.filter(team=team), Action.CHANGE, pk=pk)
    form = MembershipRoleForm(request.POST, instance=membership)
    if form.is_valid():
        services.membership_set(team=team, user=membership.user, role=form.cleaned_data["role"])
    return _members_fragment(request, team)


@require_POST
def membership_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    team = permissions.get_for(request.user, Team, slug=slug)
    membership = permissions.get_for(request.user, Membership.objects.filter(team=team), Action.DELETE, pk=pk)
    services.membership_remove(membership=membership)
    return _members_fragment(request, team)


# --- services -------------------------------------------------------------------------------


@vary_on_headers("HX-Request")
def service_list(request: HttpRequest) -> HttpResponse:
    filterset = SystemFilterSet(request.GET, queryset=selectors.system_list(user=request.user))
    can_create = permissions.can_create_somewhere(request.user)
    return list_page(request, "teams/service_list.html", filterset, {"can_create": can_create})


def service_detail(request: HttpRequest, slug: str) -> HttpResponse:
    system = permissions.get_for(request.user, System.objects.select_related("team"), slug=slug)
    context = {
        "service": system,
        "can": permissions.allowed_actions(request.user, system),
        "panels": panels.collect("service", request, system),
    }
    return render(request, "teams/service_detail.html", context)


@vary_on_headers("HX-Request")
@require_http_methods(["GET", "POST"])
def service_create(request: HttpRequest) -> HttpResponse:
    teams = selectors.creatable_teams(user=request.user)
    if not teams.exists():
        raise PermissionDenied("Only members of a team can create services.")
    initial = {"team": teams.filter(slug=request.GET.get("team")).first()}

    def save(data: dict) -> System:
        permissions.check_create(request.user, System, [data["team"].pk])
        return services.system_create(actor=request.user, **data)  # type: ignore[arg-type]

    return form_page(
        request, SystemForm(request.POST or None, team_choices=teams, initial=initial), save=save,
        title="New service", cancel_url=reverse("teams:service-list"), message="Service {obj} created.",
    )  # fmt: skip


@vary_on_headers("HX-Request")
@require_http_methods(["GET", "POST"])
def service_edit(request: HttpRequest, slug: str) -> HttpResponse:
    system = permissions.get_for(request.user, System, Action.CHANGE, slug=slug)
    teams = (selectors.creatable_teams(user=request.user) | Team.objects.filter(pk=system.team_id)).distinct()

    def save(data: dict) -> System:
        if data["team"].pk != system.team_id:
            permissions.check_create(request.user, System, [data["team"].pk])
        return services.system_update(system=system, data=data)

    form = SystemForm(request.POST or None, instance=System.objects.get(pk=system.pk), team_choices=teams)
    return form_page(
        request, form, save=save, title=f"Edit {system}", cancel_url=system.get_absolute_url(),
        message="Service saved.",
    )  # fmt: skip


# --- API tokens -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        _, secret = services.api_token_create(user=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        form = ApiTokenForm()
    tokens = ApiToken.objects.filter(user=request.user)
    return render(request, "teams/token_list.html", {"form": form, "tokens": tokens, "secret": secret})


@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.api_token_revoke(token=token)
    messages.success(request, f"Token {token.name} revoked.")
    return hx_redirect(request, reverse("teams:token-list"))


# --- signing in and passwords ------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    """Django's sign-in, saying why when an address is slowed down (teams.auth; a locked account is
    answered by django-axes' middleware with teams.auth.lockout_response)."""

    redirect_authenticated_user = True

    def form_invalid(self, form: Any) -> HttpResponse:
        wait = getattr(self.request, "login_throttled_wait", None)
        if wait is not None:
            return auth.login_refused(self.request, auth.ADDRESS_SLOWED.format(seconds=wait), wait, form)
        return super().form_invalid(form)


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a reset link. Throttled per address and per email address (THROTTLE_RATES["password_reset"]),
    so that nobody can flood an inbox; the mail itself is sent by a task."""

    form_class = PasswordResetForm

    def form_valid(self, form: Any) -> HttpResponse:
        email = form.cleaned_data["email"].strip().lower()
        wait = consume("password_reset", [f"ip:{client_ip(self.request)}", f"email:{email}"])
        if wait is not None:
            return throttled_response(self.request, wait)
        return super().form_valid(form)
