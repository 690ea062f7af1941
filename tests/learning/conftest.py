import pytest

from incidents.models import Incident
from learning.models import LibraryEntry
from tests.factories import SystemFactory, published_postmortem


@pytest.fixture
def make_entry(team):
    """make_entry(title=..., **kwargs) -> LibraryEntry for a published postmortem of `team` (default)."""

    def make(**kwargs) -> LibraryEntry:
        kwargs.setdefault("team", team)
        postmortem = published_postmortem(**kwargs)
        return LibraryEntry.objects.get(postmortem=postmortem)

    return make


@pytest.fixture
def checkout(team):
    return SystemFactory(name="Checkout API", slug="checkout-api", team=team)


@pytest.fixture
def restricted_entry(make_entry, owner):
    """A restricted (security) incident's published postmortem; only `owner` is named on it."""
    entry = make_entry(
        title="Leaked database credentials in build logs",
        summary="A database password appeared in CI logs.",
        restricted=True,
        access_list=(owner,),
        tags=("database", "security"),
    )
    assert Incident.objects.get(pk=entry.incident_id).restricted
    return entry


@pytest.fixture(autouse=True)
def _org_defaults(request):
    """Severities and factor categories come from data migrations; transactional tests elsewhere flush them."""
    if "db" not in request.fixturenames and not request.node.get_closest_marker("django_db"):
        return
    from incidents.defaults import ensure_factor_categories, ensure_severities

    request.getfixturevalue("db")
    ensure_severities()
    ensure_factor_categories()
