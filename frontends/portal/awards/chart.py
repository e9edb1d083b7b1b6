"""My engagement's breakdown as a bar chart drawn on the server (pure): one horizontal bar
per source of points, its length the source's counted points over the largest, with the
label and the figure written beside it. The template turns the geometry into inline SVG (no
script, no external file; styled by the area's stylesheet through classes, which the page's
Content-Security-Policy allows); the same figures are the table under it.

Points above a source's cap are not counted: the bar's full length is the raw points, its
filled part the counted ones, so a member sees where a cap was reached.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

WIDTH = 640          # the SVG's user units; it scales to the page's width
LABEL = 260          # the labels' column
BAR_HEIGHT = 22
GAP = 12
FIGURE = 60          # room for the figure after the longest bar


@dataclass(frozen=True)
class Bar:
    label: str
    counted: float
    raw: float
    y: int
    counted_width: float
    raw_width: float

    @property
    def text_y(self) -> int:
        return self.y + BAR_HEIGHT - 6


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    width: int
    height: int
    label_width: int = LABEL

    @property
    def plot_x(self) -> int:
        return self.label_width + 8


def bars(rows: Iterable[Mapping[str, Any]], label) -> Chart:
    """``rows``: the breakdown's ``{event_type, raw_points, capped_points}`` (largest first
    as given); ``label(event_type)`` names each bar."""
    rows = [r for r in rows if (r.get("raw_points") or 0) > 0 or (r.get("capped_points") or 0) > 0]
    largest = max((max(r.get("raw_points") or 0, r.get("capped_points") or 0) for r in rows), default=0)
    room = WIDTH - LABEL - 8 - FIGURE
    drawn = []
    for i, row in enumerate(rows):
        counted, raw = float(row.get("capped_points") or 0), float(row.get("raw_points") or 0)
        raw = max(raw, counted)
        drawn.append(Bar(label(row.get("event_type")), counted, raw, i * (BAR_HEIGHT + GAP),
                         room * counted / largest if largest else 0.0, room * raw / largest if largest else 0.0))
    return Chart(drawn, WIDTH, max(len(drawn), 1) * (BAR_HEIGHT + GAP))
