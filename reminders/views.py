from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from opsx.views import list_page
from reminders import selectors
from reminders.filters import DigestFilterSet


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
