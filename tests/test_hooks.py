"""opsx.hooks: receivers run synchronously, in the caller's transaction."""

import pytest
from django.db import transaction

from incidents.models import Tag
from opsx import hooks


def test_emit_calls_registered_receivers_once_each():
    calls = []

    def receiver(**kwargs):
        calls.append(kwargs)

    hooks.register("test_event", receiver)
    hooks.register("test_event", receiver)
    try:
        hooks.emit("test_event", value=1)
        hooks.emit("other_event", value=2)
    finally:
        hooks.unregister("test_event", receiver)
    hooks.emit("test_event", value=3)
    assert calls == [{"value": 1}]


@pytest.mark.django_db
def test_receiver_writes_roll_back_with_the_caller():
    def receiver(**kwargs):
        Tag.objects.create(name=kwargs["name"])

    hooks.register("test_tag", receiver)
    try:
        with pytest.raises(RuntimeError), transaction.atomic():
            hooks.emit("test_tag", name="written-by-receiver")
            raise RuntimeError("the caller fails after emitting")
    finally:
        hooks.unregister("test_tag", receiver)
    assert not Tag.objects.filter(name="written-by-receiver").exists()
