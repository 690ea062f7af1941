from django.http import HttpRequest, HttpResponse
from django_htmx.http import HttpResponseClientRedirect


def is_partial(request: HttpRequest) -> bool:
    """True for an htmx request that wants a fragment (not a boosted full-page navigation)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted


def hx_redirect(request: HttpRequest, url: str) -> HttpResponse:
    """Redirect that works for both plain and htmx form posts."""
    if is_partial(request):
        return HttpResponseClientRedirect(url)
    response = HttpResponse(status=303)
    response["Location"] = url
    return response
