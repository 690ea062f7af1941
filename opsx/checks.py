"""System checks for opsx's own settings."""

from typing import Any

from django.conf import settings
from django.core.checks import Error, register


@register()
def throttle_rates(app_configs: Any, **kwargs: Any) -> list[Error]:
    from opsx.throttling import parse_rate

    errors = []
    for scope, rate in settings.THROTTLE_RATES.items():
        try:
            parse_rate(rate)
        except ValueError as exc:
            errors.append(Error(f"THROTTLE_RATES[{scope!r}]: {exc}", id="opsx.E001"))
    return errors
