"""Writes for incidents and action items. Callers check permissions first (views, viewsets)."""

from datetime import date

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

from incidents.models import ActionItem, Incident
from teams.models import Team, User


@transaction.atomic
def action_item_create(
    *,
    actor: User | None,
    team: Team,
    title: str,
    origin: str,
    description: str = "",
    owner: User | None = None,
    priority: str = ActionItem.Priority.P3,
    due_date: date | None = None,
    tracker_url: str = "",
    incident: Incident | None = None,
    source: models.Model | None = None,
) -> ActionItem:
    """Create an action item from any origin.

    `source` is the exact record it came from (a postmortem, a review answer, a game-day finding);
    `incident` is set when it comes from an incident or its postmortem, so restriction carries over.
    """
    item = ActionItem(
        title=title,
        description=description,
        team=team,
        owner=owner,
        priority=priority,
        due_date=due_date,
        origin=origin,
        tracker_url=tracker_url,
        incident=incident,
        created_by=actor,
    )
    if source is not None:
        item.source_type = ContentType.objects.get_for_model(source)
        item.source_id = source.pk
    item.full_clean()
    item.save()
    return item


def action_items_for_source(source: models.Model) -> models.QuerySet[ActionItem]:
    """Action items created from `source` (no permission scoping: callers chain `.visible_to(user)`)."""
    return ActionItem.objects.filter(source_type=ContentType.objects.get_for_model(source), source_id=source.pk)
