"""Charts: colours pass WCAG AA against the page, and the geometry says what the data says."""

import re
from datetime import date
from pathlib import Path

import pytest

from dashboards import charts
from dashboards.kpis import SeriesPoint

WHITE = "#ffffff"
CSS = (Path(__file__).resolve().parents[2] / "static" / "css" / "opsx.css").read_text()


def luminance(colour: str) -> float:
    channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_formula():
    assert contrast("#000000", WHITE) == pytest.approx(21)
    assert contrast("#777777", WHITE) == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize(
    "colour",
    [
        *charts.SEVERITY_COLOURS,
        charts.MEDIAN_COLOUR,
        charts.P90_COLOUR,
        charts.OPEN_COLOUR,
        charts.OVERDUE_COLOUR,
        *charts.LINE_COLOURS.values(),
        charts.AXIS_COLOUR,
    ],
)
def test_chart_fills_have_3_to_1_against_the_page(colour):
    assert contrast(colour, WHITE) >= 3.0


def test_heat_map_cells_and_trend_text_have_4_5_to_1():
    cells = re.findall(r"\.heat td\.heat-\d \{ background: (#[0-9a-f]{6}); color: (#[0-9a-f]{6}); \}", CSS)
    assert len(cells) == 5
    for background, text in cells:
        assert contrast(background, text) >= 4.5, background
    for name in ("trend-good", "trend-bad"):
        colour = re.search(rf"\.{name} {{ color: (#[0-9a-f]{{6}}); }}", CSS).group(1)
        assert contrast(colour, WHITE) >= 4.5


def test_severity_columns_scale_to_the_busiest_step():
    points = [
        SeriesPoint(date(2025, 6, 1), date(2025, 6, 7), {"SEV1": 2, "SEV2": 3}, {"SEV1": "/a", "SEV2": "/b"}),
        SeriesPoint(date(2025, 6, 8), date(2025, 6, 14), {"SEV1": 0, "SEV2": 1}, {}),
    ]
    chart = charts.severity_columns(points, ["SEV1", "SEV2"], "week")
    first, second = chart.items
    assert [s["h"] for s in first["segments"]] == [
        pytest.approx(chart.baseline * 0 + 2 / 5 * (chart.baseline - 12), abs=0.1),
        pytest.approx(3 / 5 * (chart.baseline - 12), abs=0.1),
    ]
    assert len(second["segments"]) == 1  # no empty segment for SEV1
    assert first["segments"][0]["url"] == "/a" and "SEV1" in first["segments"][0]["title"]
    assert [t["label"] for t in chart.yticks] == ["0", "5"] and "6 incidents" in chart.summary
    single = [SeriesPoint(date(2025, 6, 1), date(2025, 6, 1), {"SEV1": 1}, {})]
    assert [t["label"] for t in charts.severity_columns(single, ["SEV1"], "day").yticks] == ["0", "1"]
    ten = [SeriesPoint(date(2025, 6, 1), date(2025, 6, 1), {"SEV1": 9}, {})]
    assert [t["label"] for t in charts.severity_columns(ten, ["SEV1"], "day").yticks] == ["0", "5", "10"]
    empty = charts.severity_columns([], ["SEV1"], "day")
    assert empty.items == [] and empty.yticks[-1]["label"] == "1"


def test_nice_scales():
    assert [charts.nice_ceiling(v) for v in (0, 3, 7, 12, 180)] == [1, 5, 10, 20, 200]
    assert charts.nice_duration(2000) == 3600 and charts.nice_duration(5 * 86400) == 604800
