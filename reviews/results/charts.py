"""Geometry of the dot-and-whisker charts the summary pages draw as SVG in their templates: each row a share
with its 95% interval, against a vertical line at the national share. Drawn on the server, so the chart needs no
JavaScript; the templates always print the same figures as a table beside it."""

from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import Truncator

from reviews.results.statistics import Share

WIDTH = 720
LABEL_WIDTH = 260
RIGHT_MARGIN = 24
TOP = 36
ROW_HEIGHT = 26
BOTTOM = 12
TICKS = (0, 20, 40, 60, 80, 100)
LABEL_LENGTH = 34  # characters of a row's label shown; the whole label is its title
NATIONAL_MARK = 9  # half the height of the bar across a row at its own national share

# One row's marks. Written here rather than in the template: four charts of 43 rows are most of the national page's
# drawing, and a coordinate needs printing as Python writes it, not through the template's number formatting.
ROW_SVG = (
    '<g class="app-chart__row{modifier}">\n'
    '      <text class="app-chart__label" x="{label_x}" y="{y}" dy="0.35em" text-anchor="end">{title}{label}</text>\n'
    '      <line class="app-chart__whisker" x1="{x_lower}" x2="{x_upper}" y1="{y}" y2="{y}"></line>\n'
    "      {national_mark}\n"
    '      <circle class="app-chart__dot" cx="{x}" cy="{y}" r="5"></circle>\n'
    "    </g>"
)
NATIONAL_MARK_SVG = '<line class="app-chart__national-mark" x1="{x}" x2="{x}" y1="{top}" y2="{bottom}"></line>'
ROW_MODIFIERS = {"higher": " app-chart__row--higher", "lower": " app-chart__row--lower"}


@dataclass(frozen=True)
class ChartRow:
    label: str
    share: Share
    compared: str
    y: float
    x: float
    x_lower: float
    x_upper: float
    national: Share | None = None
    national_x: float | None = None

    @property
    def svg(self) -> SafeString:
        """The row's label, whisker, dot and (if it has one) its own national mark, as the chart draws them."""
        y = int(self.y)
        national_mark = (
            format_html(NATIONAL_MARK_SVG, x=self.national_x, top=y - NATIONAL_MARK, bottom=y + NATIONAL_MARK)
            if self.national_x is not None
            else ""
        )
        return format_html(
            ROW_SVG,
            modifier=ROW_MODIFIERS.get(self.compared, ""),
            label_x=LABEL_WIDTH - 10,
            y=self.y,
            title=format_html("<title>{}</title>", self.label) if len(self.label) > LABEL_LENGTH else "",
            label=Truncator(self.label).chars(LABEL_LENGTH),
            x_lower=self.x_lower,
            x_upper=self.x_upper,
            national_mark=national_mark,
            x=self.x,
        )


@dataclass(frozen=True)
class IntervalChart:
    title: str
    rows: list[ChartRow]
    national: Share | None
    national_x: float | None
    height: int
    ticks: list[tuple[float, int]]

    width: int = WIDTH
    plot_left: int = LABEL_WIDTH
    plot_right: int = WIDTH - RIGHT_MARGIN
    top: int = TOP

    @property
    def plot_bottom(self) -> float:
        return self.height - BOTTOM

    @property
    def label_x(self) -> int:
        return LABEL_WIDTH - 10


def _x(fraction: float) -> float:
    return round(LABEL_WIDTH + fraction * (WIDTH - RIGHT_MARGIN - LABEL_WIDTH), 1)


def interval_chart(
    *, title: str, items: list[tuple[str, Share, str, Share | None]], national: Share | None = None
) -> IntervalChart:
    """A chart of `items` (label, share, how it compares with the national share, and that row's own national
    share when rows differ, as a force's categories do), in the order given. One `national` share draws a line
    across every row. Rows with nothing judged are left out: they have no share to draw."""
    rows = []
    for label, share, compared, row_national in items:
        if not share.exists:
            continue
        lower, upper = share.interval
        has_row_national = row_national is not None and row_national.exists
        rows.append(
            ChartRow(
                label=label,
                share=share,
                compared=compared,
                y=TOP + ROW_HEIGHT * len(rows) + ROW_HEIGHT / 2,
                x=_x(share.fraction),
                x_lower=_x(lower),
                x_upper=_x(upper),
                national=row_national if has_row_national else None,
                national_x=_x(row_national.fraction) if has_row_national else None,
            )
        )
    has_national = national is not None and national.exists
    return IntervalChart(
        title=title,
        rows=rows,
        national=national if has_national else None,
        national_x=_x(national.fraction) if has_national else None,
        height=TOP + ROW_HEIGHT * max(len(rows), 1) + BOTTOM,
        ticks=[(_x(tick / 100), tick) for tick in TICKS],
    )
