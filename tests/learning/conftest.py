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
