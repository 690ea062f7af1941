from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from incidents.models import ActionItem, Incident, add_business_days
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db

T0 = timezone.now() - timedelta(days=1)


def _incident(**times):
    return IncidentFactory.build(team_id=1, **{"started_at": T0, **times})


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("detected_at", T0 - timedelta(minutes=1), "earlier than the start"),
        ("acknowledged_at", T0 - timedelta(seconds=1), "earlier than the start"),
        ("mitigated_at", T0 - timedelta(hours=1), "earlier than the start"),
        ("resolved_at", T0 - timedelta(hours=1), "earlier than the start"),
        ("started_at", timezone.now() + timedelta(hours=1), "future"),
    ],
)
def test_each_timestamp_rule_is_a_field_error(field, value, message):
    incident = _incident(**{field: value})
    with pytest.raises(ValidationError) as exc:
        incident.clean()
    assert field in exc.value.message_dict
    assert message in exc.value.message_dict[field][0]


def test_acknowledged_before_detected_and_resolved_before_mitigated_are_errors():
    incident = _incident(
        detected_at=T0 + timedelta(minutes=10),
        acknowledged_at=T0 + timedelta(minutes=5),
        mitigated_at=T0 + timedelta(minutes=30),
        resolved_at=T0 + timedelta(minutes=20),
    )
    with pytest.raises(ValidationError) as exc:
        incident.clean()
    assert set(exc.value.message_dict) == {"acknowledged_at", "resolved_at"}
    assert "detection" in exc.value.message_dict["acknowledged_at"][0]
    assert "mitigation" in exc.value.message_dict["resolved_at"][0]


def test_resolved_status_needs_resolved_time():
    with pytest.raises(ValidationError) as exc:
        _incident(status=Incident.Status.RESOLVED).clean()
    assert "resolved_at" in exc.value.message_dict


def test_consistent_times_pass_and_durations_derive_from_start():
    incident = _incident(
        detected_at=T0 + timedelta(minutes=4),
        acknowledged_at=T0 + timedelta(minutes=7),
        mitigated_at=T0 + timedelta(minutes=38),
        resolved_at=T0 + timedelta(minutes=55),
        status=Incident.Status.RESOLVED,
    )
    incident.clean()
    assert incident.time_to_detect == timedelta(minutes=4)
    assert incident.time_to_acknowledge == timedelta(minutes=7)
    assert incident.time_to_mitigate == timedelta(minutes=38)
    assert incident.time_to_resolve == timedelta(minutes=55)
    assert not incident.is_open


def test_missing_times_give_no_duration():
    incident = _incident()
    assert incident.time_to_detect is None and incident.time_to_resolve is None
    assert incident.is_open


@pytest.mark.parametrize(
    "start,days,expected",
    [
        (date(2026, 11, 23), 5, date(2026, 11, 30)),  # Monday -> next Monday
        (date(2026, 11, 27), 5, date(2026, 12, 4)),  # Friday -> next Friday
        (date(2026, 11, 28), 1, date(2026, 11, 30)),  # Saturday -> Monday
        (date(2026, 11, 26), 2, date(2026, 11, 30)),  # Thursday -> Monday
    ],
)
def test_business_days_skip_weekends(start, days, expected):
    assert add_business_days(start, days) == expected


def test_action_item_overdue_is_derived():
    yesterday = timezone.localdate() - timedelta(days=1)
    assert ActionItem(due_date=yesterday, status=ActionItem.Status.OPEN).is_overdue
    assert not ActionItem(due_date=yesterday, status=ActionItem.Status.DONE).is_overdue
    assert not ActionItem(due_date=timezone.localdate(), status=ActionItem.Status.OPEN).is_overdue
    assert not ActionItem(due_date=None).is_overdue
