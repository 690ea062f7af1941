"""Walks the v1 router: every viewset declares a required action for each of its actions."""

import pytest
from rest_framework.viewsets import ViewSetMixin

from opsx.api import router
from opsx.api_permissions import TeamRolePermission
from tests.routes import METHODS, api_routes

STANDARD_ACTIONS = {"get": "list", "post": "create", "put": "update", "patch": "partial_update", "delete": "destroy"}


def _viewset_actions(viewset):
    actions = set()
    for name in ("list", "create", "retrieve", "update", "partial_update", "destroy"):
        if hasattr(viewset, name):
            actions.add(name)
    for extra in viewset.get_extra_actions():
        actions.add(extra.__name__)
    return actions


@pytest.mark.parametrize(
    "prefix,viewset", [(p, v) for p, v, _ in router.registry], ids=[p for p, _, _ in router.registry]
)
def test_every_action_has_a_required_permission(prefix, viewset):
    assert issubclass(viewset, ViewSetMixin)
    assert TeamRolePermission in viewset.permission_classes, f"{prefix}: must enforce the permission rule"
    missing = _viewset_actions(viewset) - set(getattr(viewset, "required_actions", {}))
    assert not missing, f"{prefix}: no required action declared for {sorted(missing)}"


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", [p for p, _, _ in router.registry])
def test_every_list_endpoint_refuses_anonymous(client, prefix):
    response = client.get(f"/api/v1/{prefix}/")
    assert response.status_code == 401


ROUTES = api_routes()


@pytest.mark.django_db
@pytest.mark.parametrize("name,kwargs,offered", ROUTES, ids=[r[0] for r in ROUTES])
def test_a_method_a_route_does_not_offer_is_405_not_403(api_as, admin_user, teammate, name, kwargs, offered):
    """DELETE where nothing is deleted (PATCH where nothing is patched...) is 405 for everyone signed in,
    before any permission check; the Allow header names what the route does offer."""
    from django.urls import reverse

    url = reverse(f"api:{name}", kwargs=kwargs)
    missing = [m for m in METHODS if m not in offered]
    for user in (admin_user, teammate):
        for method in missing:
            response = getattr(api_as(user), method)(url)
            assert response.status_code == 405, f"{method.upper()} {url}: {response.status_code}"
            assert response.json()["error"]["code"] == "method_not_allowed"
            allowed = {m.strip().lower() for m in response["Allow"].split(",")}
            assert offered <= allowed and method not in allowed


@pytest.mark.django_db
def test_decisions_are_append_only_405(api_as, owner):
    client = api_as(owner)
    for method in ("put", "patch", "delete"):
        assert getattr(client, method)("/api/v1/decisions/1/").status_code == 405


@pytest.mark.django_db
def test_an_offered_method_without_a_declared_action_still_refuses(api_as, admin_user, monkeypatch):
    from learning.api.views import FollowViewSet

    monkeypatch.setattr(FollowViewSet, "required_actions", {"list": "view"})
    assert api_as(admin_user).post("/api/v1/follows/", {"kind": "tag", "value": "x"}).status_code == 403
    assert api_as(admin_user).get("/api/v1/follows/").status_code == 200


def test_the_metrics_endpoints_are_walked():
    """The dashboards' KPIs (/api/v1/metrics/...) are in the router, so the walk above covers them."""
    prefixes = {prefix for prefix, _, _ in router.registry}
    assert {"metrics", "metrics/teams", "metrics/services"} <= prefixes
