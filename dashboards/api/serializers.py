"""The metrics API's response shapes (output only): what `Kpis.as_dict()` and `Breakdown` rows contain."""

from rest_framework import serializers

from dashboards.kpis import PERIOD_CHOICES


class FigureSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    current = serializers.FloatField(allow_null=True)
    previous = serializers.FloatField(allow_null=True, help_text="The same figure for the previous period.")
    change = serializers.FloatField(allow_null=True, help_text="current − previous.")
    unit = serializers.CharField(help_text="One of: count, seconds, days.")
    url = serializers.CharField(help_text="The list this number counts, with the same filters (may be empty).")
    hidden = serializers.IntegerField(help_text="Counted records (restricted) the caller cannot open in that list.")


class ScopeSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="One of: organization, team, service.")
    slug = serializers.CharField(allow_null=True)
    name = serializers.CharField(allow_null=True)


class PeriodSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="One of: " + ", ".join(key for key, _ in PERIOD_CHOICES) + ".")
    start = serializers.DateField()
    end = serializers.DateField()
    days = serializers.IntegerField()
    bucket = serializers.CharField(help_text="The time-series step: day, week or month.")
    previous_start = serializers.DateField()
    previous_end = serializers.DateField()


class FiltersSerializer(serializers.Serializer):
    team = serializers.ListField(child=serializers.CharField())
    service = serializers.ListField(child=serializers.CharField())
    tier = serializers.ListField(child=serializers.IntegerField())
    severity = serializers.ListField(child=serializers.CharField())


class SeriesPointSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="{severity name: incidents}")
    urls = serializers.DictField(child=serializers.CharField())
    total = serializers.IntegerField()


class IncidentsSerializer(serializers.Serializer):
    total = FigureSerializer()
    severe = FigureSerializer()
    by_severity = FigureSerializer(many=True)
    open_now = FigureSerializer()
    unresolved = FigureSerializer()
    hidden = serializers.IntegerField()
    series = SeriesPointSerializer(many=True)
    severities = serializers.ListField(child=serializers.CharField())


class StageTimesSerializer(serializers.Serializer):
    stage = serializers.CharField(help_text="One of: detect, acknowledge, mitigate, resolve.")
    label = serializers.CharField()
    median = FigureSerializer(help_text="Seconds.")
    p90 = FigureSerializer(help_text="Seconds.")
    measured = FigureSerializer()
    unknown = FigureSerializer(help_text="Incidents of the period without a known time for this step.")


class TrendPointSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    medians = serializers.DictField(child=serializers.FloatField(allow_null=True), help_text="{stage: seconds}")
    url = serializers.CharField()


class PostmortemsSerializer(serializers.Serializer):
    required = FigureSerializer()
    completed = FigureSerializer()
    on_time = FigureSerializer()
    days_to_publish = FigureSerializer()
    overdue = FigureSerializer()
    hidden = serializers.IntegerField()


class OriginRowSerializer(serializers.Serializer):
    origin = serializers.CharField()
    label = serializers.CharField()
    open = FigureSerializer()
    overdue = FigureSerializer()
    closed = FigureSerializer()


class ActionItemsSerializer(serializers.Serializer):
    open = FigureSerializer()
    overdue = FigureSerializer()
    closed = FigureSerializer()
    created = FigureSerializer()
    days_to_close = FigureSerializer()
    by_origin = OriginRowSerializer(many=True)
    hidden = serializers.IntegerField()


class TierRowSerializer(serializers.Serializer):
    tier = serializers.IntegerField()
    label = serializers.CharField()
    interval_days = serializers.IntegerField()
    services = FigureSerializer()
    never_reviewed = FigureSerializer()
    overdue = FigureSerializer()


class AcceptedLaunchSerializer(serializers.Serializer):
    review_id = serializers.IntegerField()
    title = serializers.CharField()
    url = serializers.CharField()
    service = serializers.CharField()
    team = serializers.CharField()
    accepted_risks = serializers.IntegerField()
    next_expiry = serializers.DateTimeField()


class ReadinessSerializer(serializers.Serializer):
    high_risks = FigureSerializer()
    medium_risks = FigureSerializer()
    never_reviewed = FigureSerializer()
    overdue = FigureSerializer()
    accepted_launches = FigureSerializer()
    expiring_soon = FigureSerializer()
    by_tier = TierRowSerializer(many=True)
    launches = AcceptedLaunchSerializer(many=True)


class RepeatRowSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    detail = serializers.CharField()
    incidents = FigureSerializer()


class RepeatsSerializer(serializers.Serializer):
    services = RepeatRowSerializer(many=True)
    categories = RepeatRowSerializer(many=True)


class BreakdownRowSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="One of: team, service.")
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()
    tier = serializers.IntegerField(allow_null=True)
    incidents = serializers.IntegerField()
    incidents_prev = serializers.IntegerField()
    incidents_hidden = serializers.IntegerField()
    severe = serializers.IntegerField()
    severe_prev = serializers.IntegerField()
    resolve_median = serializers.FloatField(allow_null=True, help_text="Seconds.")
    resolve_median_prev = serializers.FloatField(allow_null=True, help_text="Seconds.")
    postmortems_overdue = serializers.IntegerField()
    postmortems_overdue_hidden = serializers.IntegerField()
    actions_open = serializers.IntegerField()
    actions_overdue = serializers.IntegerField()
    actions_overdue_hidden = serializers.IntegerField()
    actions_closed = serializers.IntegerField()
    actions_closed_prev = serializers.IntegerField()
    reviews_overdue = serializers.IntegerField()
    never_reviewed = serializers.IntegerField()
    high_risks = serializers.IntegerField()
    medium_risks = serializers.IntegerField()
    score = serializers.IntegerField(help_text="Needs-attention score (see the KPI definitions).")
    reasons = serializers.ListField(child=serializers.CharField())
    url = serializers.CharField(help_text="This row's dashboard.")
    urls = serializers.DictField(child=serializers.CharField(), help_text="{column: the list it counts}")


class BreakdownSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="One of: team, service.")
    total = serializers.IntegerField()
    rows = BreakdownRowSerializer(many=True)


class KpisSerializer(serializers.Serializer):
    scope = ScopeSerializer()
    period = PeriodSerializer()
    filters = FiltersSerializer()
    headline = FigureSerializer(many=True)
    hidden = serializers.DictField(child=serializers.IntegerField())
    incidents = IncidentsSerializer()
    times = StageTimesSerializer(many=True)
    trend = TrendPointSerializer(many=True)
    postmortems = PostmortemsSerializer()
    action_items = ActionItemsSerializer()
    readiness = ReadinessSerializer()
    repeats = RepeatsSerializer()
    breakdown = BreakdownSerializer(
        allow_null=True,
        help_text="The 20 worst teams (services of a team); every row: /metrics/teams/ or /metrics/services/?team=.",
    )


class BreakdownPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    period = PeriodSerializer()
    results = BreakdownRowSerializer(many=True)
