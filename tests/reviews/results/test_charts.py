"""The dot-and-whisker charts' rows as drawn in SVG (reviews/results/charts.py)."""

from reviews.results.charts import interval_chart
from reviews.results.statistics import Share


def test_each_row_is_drawn_where_its_share_lies_with_its_comparison_and_its_label_escaped():
    chart = interval_chart(
        title="Rape",
        items=[
            ("Avon & Somerset <Police>", Share(30, 40), "higher", Share(5, 50)),
            ("Kent Police", Share(0, 0), "", None),  # nothing judged: no row
            ("Essex Police", Share(2, 40), "lower", None),
        ],
    )
    avon, essex = chart.rows
    drawn = avon.svg

    assert [row.label for row in chart.rows] == ["Avon & Somerset <Police>", "Essex Police"]
    assert 'class="app-chart__row app-chart__row--higher"' in drawn
    assert ">Avon &amp; Somerset &lt;Police&gt;</text>" in drawn
    # The plot runs from x 260 to 696: 30 of 40 sits three quarters along, on the first row's middle (y 49).
    assert '<circle class="app-chart__dot" cx="587.0" cy="49.0" r="5"></circle>' in drawn
    assert f'x1="{avon.x_lower}" x2="{avon.x_upper}" y1="49.0" y2="49.0"' in drawn
    # Its own national share (5 of 50, a tenth along) is a bar across the row.
    assert '<line class="app-chart__national-mark" x1="303.6" x2="303.6" y1="40" y2="58"></line>' in drawn
    assert "app-chart__national-mark" not in essex.svg
    assert 'class="app-chart__row app-chart__row--lower"' in essex.svg
