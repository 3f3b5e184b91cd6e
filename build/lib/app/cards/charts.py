"""Bar charts drawn on the server as SVG geometry: no JavaScript and no style attributes.

`bar_chart` only computes positions; the template `admin/_chart.html` writes the SVG with
presentation attributes (fill, stroke), which the admin's Content-Security-Policy allows.
"""

from dataclasses import dataclass

WIDTH = 640
HEIGHT = 220
LEFT = 44  # room for the value labels
RIGHT = 8
TOP = 14
BOTTOM = 30  # room for the day or week labels
NICE_STEPS = (1, 2, 5)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    label: str  # in full, for the bar's tooltip and the table, e.g. "Mon 3 Mar 2025"


@dataclass(frozen=True)
class Mark:
    x: float
    y: float
    text: str


@dataclass(frozen=True)
class Chart:
    title: str
    summary: str
    bars: list[Bar]
    x_marks: list[Mark]  # labels under some bars
    y_marks: list[Mark]  # value labels with a gridline at each
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right_edge: int = WIDTH - RIGHT
    baseline: int = HEIGHT - BOTTOM


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten at or above `value`: a readable axis top."""
    magnitude = 1
    while True:
        for step in NICE_STEPS:
            if step * magnitude >= value:
                return step * magnitude
        magnitude *= 10


def bar_chart(title: str, points: list[tuple[str, str, int]]) -> Chart:
    """Geometry for `points`, each (label under the bar or "", full label, value)."""
    top = nice_ceiling(max((value for _, _, value in points), default=0))
    plot_width = WIDTH - RIGHT - LEFT
    plot_height = HEIGHT - BOTTOM - TOP
    slot = plot_width / max(len(points), 1)
    gap = min(slot * 0.2, 4.0)
    bars: list[Bar] = []
    x_marks: list[Mark] = []
    for index, (short, full, value) in enumerate(points):
        height = plot_height * value / top
        x = LEFT + index * slot + gap / 2
        bars.append(Bar(x, TOP + plot_height - height, slot - gap, height, value, full))
        if short:
            x_marks.append(Mark(LEFT + (index + 0.5) * slot, HEIGHT - BOTTOM + 18, short))
    y_marks = [
        Mark(LEFT - 6, TOP + plot_height - plot_height * share, str(round(top * share)))
        for share in ((0, 0.5, 1) if top % 2 == 0 else (0, 1))
    ]
    total = sum(value for _, _, value in points)
    busiest = max(points, key=lambda point: point[2], default=None)
    summary = f"{total} scans in all."
    if busiest is not None and busiest[2] > 0:
        summary += f" Most: {busiest[2]} ({busiest[1]})."
    return Chart(title, summary, bars, x_marks, y_marks)
