"""Walks the v1 router: every viewset declares a required action for each of its actions."""

import pytest
from rest_framework.viewsets import ViewSetMixin

from opsx.api import router
from opsx.api_permissions import TeamRolePermission

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


def test_the_metrics_endpoints_are_walked():
    """The dashboards' KPIs (/api/v1/metrics/...) are in the router, so the walk above covers them."""
    prefixes = {prefix for prefix, _, _ in router.registry}
    assert {"metrics", "metrics/teams", "metrics/services"} <= prefixes
