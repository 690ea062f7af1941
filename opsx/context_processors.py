from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    return {
        "SITE_NAME": "opsx",
        "DEBUG": settings.DEBUG,
        "sso_enabled": settings.SSO_ENABLED,
        "sso_label": settings.SSO_LABEL,
    }
