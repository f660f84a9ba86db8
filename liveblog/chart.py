"""The desk's audience chart: a story's readers per minute as an SVG's geometry, and its
text alternative, in the page's language.

Pure: given the minute rows (store.audience_minutes: the peak of the summed readers in
each minute counted), the story's key events and a language, it returns what
`templates/_audience.html` draws. Minutes between the first and the last row with no
row had no process serving the story, so nobody reading: they are drawn as 0. A long
story is drawn in buckets of several minutes (each the peak within it), so the line has
at most `MAX_POINTS` points and the table `TABLE_ROWS` rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from babel.dates import format_skeleton

from . import i18n

WIDTH, HEIGHT = 600, 200
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 28, 28  # room for the axes' labels and the peak's
MAX_POINTS = 600
TABLE_ROWS = 60
X_LABELS = 4
MINUTE = timedelta(minutes=1)


@dataclass(frozen=True)
class Mark:
    x: float
    y: float
    text: str  # what is shown or said of it (a time, a value, a headline)
    time: str = ""


@dataclass
class Chart:
    width: int = WIDTH
    height: int = HEIGHT
    empty: bool = True
    line: str = ""  # the polyline's points
    area: str = ""  # the path under it
    baseline: float = HEIGHT - BOTTOM
    left: float = LEFT
    right: float = WIDTH - RIGHT
    top: float = TOP
    x_labels: list[Mark] = field(default_factory=list)
    y_labels: list[Mark] = field(default_factory=list)
    ticks: list[Mark] = field(default_factory=list)  # key events: text is the headline, time its time
    peak: Mark | None = None  # text: the peak's value
    peak_value: int = 0
    peak_time: str = ""  # with its date and "UTC", for the sentences
    anchor: str = "middle"  # the peak label's text-anchor, kept inside the frame
    rows: list[tuple[str, str]] = field(default_factory=list)  # (time, readers), for the table


def _buckets(series: list[tuple[datetime, int]], most: int) -> list[tuple[datetime, int]]:
    """At most `most` (start, peak) pairs: consecutive minutes merged, keeping each group's peak."""
    size = max(1, math.ceil(len(series) / most))
    return [(series[i][0], max(v for _, v in series[i:i + size])) for i in range(0, len(series), size)]


def _ceiling(peak: int) -> int:
    """A round top for the value axis at or above the peak, close enough that the line
    fills most of the chart: 1, 2, 3, 4, 5, 6, 8, 10, 20, 30…"""
    top = 1
    while True:
        for step in (1, 2, 3, 4, 5, 6, 8):
            if top * step >= peak:
                return top * step
        top *= 10


def _time(moment: datetime, language: str, with_day: bool) -> str:
    skeleton = "MMMdHm" if with_day else "Hm"
    return i18n.digits(format_skeleton(skeleton, moment, tzinfo=timezone.utc, locale=language), language)


def build(minutes: list[tuple[datetime, int]], key_events: list[tuple[datetime, str]], language: str) -> Chart:
    """The chart of `minutes` (oldest first), with `key_events` ((time, headline)) marked."""
    chart = Chart()
    if not minutes:
        return chart
    chart.empty = False
    start, end = minutes[0][0], minutes[-1][0]
    counted = dict(minutes)
    series, moment = [], start
    while moment <= end:
        series.append((moment, counted.get(moment, 0)))
        moment += MINUTE
    series = _buckets(series, MAX_POINTS)
    span = max((end - start).total_seconds(), 60.0)
    with_day = span > 20 * 3600
    peak_value = max(v for _, v in series)
    top = _ceiling(peak_value)
    plot_w, plot_h = chart.right - LEFT, chart.baseline - TOP

    def x(moment: datetime) -> float:
        return round(LEFT + (moment - start).total_seconds() / span * plot_w, 1)

    def y(value: int) -> float:
        return round(chart.baseline - value / top * plot_h, 1)

    points = [(x(m), y(v)) for m, v in series]
    if len(points) == 1:  # one minute counted: a level line across it
        points.append((chart.right, points[0][1]))
    chart.line = " ".join(f"{px},{py}" for px, py in points)
    chart.area = (f"M{points[0][0]},{chart.baseline} " + " ".join(f"L{px},{py}" for px, py in points)
                  + f" L{points[-1][0]},{chart.baseline} Z")
    for n in range(X_LABELS):
        moment = start + timedelta(seconds=span * n / (X_LABELS - 1))
        chart.x_labels.append(Mark(round(LEFT + plot_w * n / (X_LABELS - 1), 1), chart.baseline + 18,
                                   _time(moment, language, with_day)))
    for value in sorted({0, top // 2, top}):
        chart.y_labels.append(Mark(LEFT - 6, y(value) + 4, i18n.number(value, language)))
    peak_at = next(m for m, v in series if v == peak_value)
    chart.peak_value, chart.peak_time = peak_value, i18n.clock(peak_at, language)
    chart.peak = Mark(x(peak_at), y(peak_value), i18n.number(peak_value, language), _time(peak_at, language, with_day))
    third = plot_w / 3
    chart.anchor = "start" if chart.peak.x < LEFT + third else "end" if chart.peak.x > chart.right - third else "middle"
    for moment, headline in key_events:
        if start <= moment <= end + MINUTE:
            chart.ticks.append(Mark(min(x(moment), chart.right), chart.baseline, headline, i18n.clock(moment, language)))
    chart.rows = [(i18n.clock(m, language), i18n.number(v, language)) for m, v in _buckets(series, TABLE_ROWS)]
    return chart
