from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from opsx.views import form_page, list_page
from reminders import selectors, services
from reminders.filters import DigestFilterSet
from reminders.forms import TeamScheduleForm
from reminders.models import TeamSchedule
from teams import permissions
from teams.models import Team
from teams.permissions import Action


@vary_on_headers("HX-Request")
@require_GET
def digest_list(request: HttpRequest) -> HttpResponse:
    filterset = DigestFilterSet(request.GET, queryset=selectors.digest_list(user=request.user))  # type: ignore[arg-type]
    return list_page(request, "reminders/digest_list.html", filterset, {})


@require_GET
def digest_detail(request: HttpRequest, pk: int) -> HttpResponse:
    digest = selectors.digest_get_for(user=request.user, pk=pk)  # type: ignore[arg-type]
    content = selectors.digest_content_for(digest=digest, user=request.user)  # type: ignore[arg-type]
    return render(request, "reminders/digest_detail.html", {"digest": digest, "content": content})


def team_schedule_edit(request: HttpRequest, slug: str) -> HttpResponse:
    team = permissions.get_for(request.user, Team, Action.CHANGE, slug=slug)
    instance = TeamSchedule.objects.filter(team=team).first() or TeamSchedule(team=team)
    return form_page(
        request,
        TeamScheduleForm(request.POST or None, instance=instance),
        save=lambda data: services.team_schedule_update(actor=request.user, team=team, data=data),  # type: ignore[arg-type]
        title=f"Digest and quiet hours of {team}",
        cancel_url=team.get_absolute_url(),
        message="Digest and quiet hours saved.",
        success_url=lambda _: team.get_absolute_url(),
        lead={"text": f"Times are the team's local time ({team.timezone}).", "link_text": "", "url": ""},
    )
