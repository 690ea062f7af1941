"""Small parsers shared by the import command and the import API."""

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from learning.services import ImportOptions

SEVERITY_RE = re.compile(r"^(?:sev)?\s*([1-5])$", re.IGNORECASE)


def parse_severity(value: str) -> int:
    match = SEVERITY_RE.match(str(value).strip())
    if not match:
        raise ValueError(f"severity: expected SEV1..SEV5, got {value!r}")
    return int(match.group(1))


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """["old=new", ...] -> {"old": "new"}; ValueError names the malformed pair."""
    mapping = {}
    for pair in pairs:
        name, sep, target = pair.partition("=")
        if not sep or not name.strip() or not target.strip():
            raise ValueError(f"expected NAME=SLUG, got {pair!r}")
        mapping[name.strip()] = target.strip()
    return mapping


class OptionError(ValueError):
    """A bad import option; `field` is the option's name (API field / command flag)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


MAP_NAMES = ("team", "service", "tag", "category")


def options_from(values: dict[str, Any]) -> "ImportOptions":
    """ImportOptions from the command's options or the API's fields (same names); OptionError when bad."""
    from learning.services import UNKNOWN_POLICIES, ImportOptions
    from teams.models import Team

    default_team = None
    if values.get("team"):
        default_team = Team.objects.filter(slug=values["team"]).first()
        if default_team is None:
            raise OptionError("team", f"no team with slug {values['team']!r}")
    try:
        severity = parse_severity(values.get("severity") or "SEV3")
    except ValueError as exc:
        raise OptionError("severity", str(exc)) from exc
    maps = {}
    for name in MAP_NAMES:
        try:
            maps[f"{name}_map"] = parse_mapping(values.get(f"map_{name}") or [])
        except ValueError as exc:
            raise OptionError(f"map_{name}", str(exc)) from exc
    policies = {}
    for name, choices in UNKNOWN_POLICIES.items():
        policy = values.get(f"unknown_{name}") or choices[0]
        if policy not in choices:
            raise OptionError(f"unknown_{name}", f"choose one of {', '.join(choices)}")
        policies[f"unknown_{name}"] = policy
    return ImportOptions(default_team=default_team, default_severity=severity, **policies, **maps)
