"""Django admin for every reviews model; history models are read-only there."""

import pytest

pytestmark = pytest.mark.django_db


def test_admin_pages_load_and_history_is_append_only(client, admin_user, service):
    from tests.factories import make_review

    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    review = make_review(system=service)
    client.force_login(admin_user)
    for model in ("lens", "lensversion", "tierpolicy", "review", "reviewlens", "answer", "lensupgrade", "milestone",
                  "riskacceptance", "decision", "failurescenario", "gameday", "gamedayfinding"):  # fmt: skip
        assert client.get(f"/admin/reviews/{model}/").status_code == 200, model
    assert client.get(f"/admin/reviews/review/{review.pk}/change/").status_code == 200
    version = review.review_lenses.get().lens_version
    page = client.get(f"/admin/reviews/lensversion/{version.pk}/change/")
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert client.post(f"/admin/reviews/lensversion/{version.pk}/delete/").status_code == 403
