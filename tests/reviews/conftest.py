"""Fixtures for readiness reviews: small lenses built in code and a review of the `service` fixture."""

import pytest

from tests.factories import make_lens_version, make_review


@pytest.fixture
def lens_v1(db):
    return make_lens_version(name="Test Lens", questions=5)


@pytest.fixture
def review(service):
    """A 5-question review of the Checkout API (team Payments), status draft."""
    return make_review(system=service, questions=5)


@pytest.fixture
def answers(review):
    return {a.question_id: a for a in review.answers.select_related("review_lens__lens_version")}


@pytest.fixture(autouse=True)
def _review_defaults(db):
    """Tier policies and the built-in lens, as the data migration creates them (flushes remove them)."""
    from reviews.defaults import ensure_defaults

    ensure_defaults()
