import pytest


@pytest.fixture
def draft(team, owner):
    """alice's draft postmortem of a Payments incident (severities and factor categories in place)."""
    from incidents import services
    from incidents.defaults import ensure_factor_categories, ensure_severities

    severities = ensure_severities()
    ensure_factor_categories()
    incident = services.incident_create(actor=owner, team=team, title="Login errors", severity=severities[3])
    return services.postmortem_start(incident=incident, actor=owner)
