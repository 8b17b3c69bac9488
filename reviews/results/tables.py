"""The national comparison table. One class serves the page and its CSV and XLSX exports, so the files hold
the page's figures: the page shows a category's rate and interval in one cell, and the exports carry the same
rounded numbers in columns of their own (hidden on the page). In the exports a numeric cell holds a number or
nothing, and a status column beside the numbers says why there is nothing ("not audited", "not sampled", "none
judged"), so a spreadsheet or pandas reads every numeric column as numbers."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django_tables2.export import TableExport

from reviews.exchange.cells import escape_dataset
from reviews.models import OffenceCategory
from reviews.results.selectors import NO_ACTIONS, NONE_JUDGED, NONE_TO_TELL, NOT_AUDITED, category_status
from reviews.results.statistics import Share

NATIONAL_ROW = "England and Wales: national rate, pooled"


class CategoryRateColumn(tables.Column):
    """A category's incorrect rate with its 95% interval and counts, or "not audited"; sorts on the rate."""

    def __init__(self, category: str, **kwargs):
        self.category = category
        super().__init__(
            accessor=category,
            verbose_name=OffenceCategory(category).label,
            order_by=(f"{category}__sort_key",),
            exclude_from_export=True,
            empty_values=(),
            attrs={"th": {"class": "govuk-table__header"}, "td": {"class": "govuk-table__cell app-numeric"}},
            **kwargs,
        )

    def render(self, value):
        share = value.incorrect_share
        if not value.reviewed:
            return NOT_AUDITED
        if not share.exists:
            return f"{NONE_JUDGED} ({value.cannot_tell} cannot tell)"
        return format_html(
            '{}%<br><span class="app-interval">({}% to {}%)</span><br>{} incorrect',
            share.percent,
            share.lower_percent,
            share.upper_percent,
            share,
        )


class FigureColumn(tables.Column):
    """One number of a category's figures, for the exports only; empty where there is none (the category's status
    column says why)."""

    def __init__(self, category: str, attribute: str, heading: str):
        self.attribute = attribute
        super().__init__(
            accessor=category,
            verbose_name=f"{OffenceCategory(category).label}: {heading}",
            visible=False,
            orderable=False,
            empty_values=(),
        )

    def value(self, value):
        if not value.reviewed:
            return ""
        for name in self.attribute.split("."):
            value = getattr(value, name)
        return "" if value is None else value


class CategoryStatusColumn(tables.Column):
    """Why a category's numbers are empty in the exports: "not audited", "not sampled", "none judged", or empty."""

    def __init__(self, category: str):
        super().__init__(
            accessor=category,
            verbose_name=f"{OffenceCategory(category).label}: status",
            visible=False,
            orderable=False,
            empty_values=(),
        )

    def value(self, record, value):
        return category_status(value, audited=record.audited)


# (attribute of CategoryFigures, heading) of each export-only column per category.
EXPORT_FIGURES = [
    ("reviewed", "reviewed"),
    ("cannot_tell", "cannot tell"),
    ("judged", "judged"),
    ("incorrect", "incorrect"),
    ("incorrect_share.percent", "incorrect %"),
    ("incorrect_share.lower_percent", "interval from %"),
    ("incorrect_share.upper_percent", "interval to %"),
    ("compared_with_national", "compared with national rate"),
]


class NationalTable(tables.Table):
    force = tables.Column(
        accessor="force__name",
        verbose_name="Force",
        linkify=lambda record: reverse("force_results", args=[record.force.code]),
        order_by=("force__name",),
    )
    region = tables.Column(accessor="force__region", order_by=("force__region", "force__name"))
    latest_audit = tables.Column(
        accessor="audit", verbose_name="Latest audit", empty_values=(), order_by=("signed_off_sort",)
    )
    signed_off = tables.Column(accessor="audit__signed_off_at", verbose_name="Signed off", visible=False)
    grade = tables.Column(accessor="grade", verbose_name="Recording grade", empty_values=(), visible=False)
    victims = tables.Column(
        accessor="victims", verbose_name="Victims not told", empty_values=(), order_by=("victims_sort",)
    )
    victims_not_told = tables.Column(accessor="victims__count", verbose_name="Victims not told: number", visible=False)
    victims_should = tables.Column(
        accessor="victims__total", verbose_name="Victims who should have been told", visible=False
    )
    victims_status = tables.Column(accessor="victims", verbose_name="Victims: status", visible=False, empty_values=())
    basis = tables.Column(accessor="basis", verbose_name="Figures", visible=False, empty_values=())
    # Putting findings right (reviews.remedies): the share of each force's actions put right.
    actions_put_right = tables.Column(
        accessor="actions", verbose_name="Actions put right", empty_values=(), order_by=("actions_sort",)
    )
    actions_status = tables.Column(accessor="actions", verbose_name="Actions: status", visible=False, empty_values=())
    actions_overdue = tables.Column(accessor="actions_overdue", verbose_name="Actions overdue", visible=False)

    class Meta:
        attrs = {
            "class": "govuk-table app-national-table",
            "th": {"class": "govuk-table__header"},
            "td": {"class": "govuk-table__cell"},
        }
        empty_text = "No force matches these filters."
        orderable = True

    def __init__(self, data, *, categories: list[str], basis: str, national: dict[str, Share] | None = None, **kwargs):
        self.basis = basis
        self.categories = categories
        self.national = national or {}
        extra = [(category, CategoryRateColumn(category)) for category in categories]
        for category in categories:
            extra.append((f"{category}_status", CategoryStatusColumn(category)))
            extra += [
                (f"{category}_{attribute.replace('.', '_')}", FigureColumn(category, attribute, heading))
                for attribute, heading in EXPORT_FIGURES
            ]
        super().__init__(data, extra_columns=extra, sequence=self._sequence(categories), **kwargs)

    @staticmethod
    def _sequence(categories):
        shown = ["force", "region", "latest_audit", *categories, "victims", "actions_put_right"]
        return [*shown, "..."]

    def national_values(self) -> dict[str, object]:
        """The pooled national rate per category, by export column heading: the exports' last row."""
        values = {"Force": NATIONAL_ROW, "Figures": self.basis}
        for category in self.categories:
            label, share = OffenceCategory(category).label, self.national.get(category, Share(0, 0))
            if not share.exists:
                values[f"{label}: status"] = NOT_AUDITED
                continue
            values |= {
                f"{label}: judged": share.total,
                f"{label}: incorrect": share.count,
                f"{label}: incorrect %": share.percent,
                f"{label}: interval from %": share.lower_percent,
                f"{label}: interval to %": share.upper_percent,
            }
        return values

    # Not audited is not a rate of 0: whichever way a column is sorted, forces without figures go last.
    @property
    def order_by(self):
        return super().order_by

    @order_by.setter
    def order_by(self, value):
        tables.Table.order_by.fset(self, value)
        if not self.order_by or not isinstance(self.data.data, list):
            return
        column, rows = self.order_by[0].bare, self.data.data
        if column in OffenceCategory.values:
            has_figures = [row.categories[column].judged > 0 for row in rows]
        elif column in {"victims", "latest_audit"}:
            has_figures = [row.audited for row in rows]
        elif column == "actions_put_right":
            has_figures = [row.actions is not None for row in rows]
        else:
            return
        pairs = list(zip(rows, has_figures, strict=True))
        self.data.data = [row for row, has in pairs if has] + [row for row, has in pairs if not has]

    def render_latest_audit(self, record):
        if not record.audited:
            return NOT_AUDITED
        audit = record.audit
        signed_off = f"signed off {audit.signed_off_at:%-d %b %Y}" if audit.signed_off_at else "in progress"
        grade = format_html("<br>crime recording: {}", record.grade) if record.grade else ""
        return format_html('{}<br><span class="app-secondary">{}{}</span>', audit.name, signed_off, grade)

    def value_latest_audit(self, record):
        return record.audit.name if record.audited else NOT_AUDITED

    def value_signed_off(self, record):
        return record.audit.signed_off_at.date().isoformat() if record.audited and record.audit.signed_off_at else ""

    def value_grade(self, record):
        return record.grade

    def render_victims(self, record):
        return str(record.victims) if record.victims.exists else self.value_victims_status(record)

    def value_victims(self, record):
        return self.render_victims(record)

    def value_victims_status(self, record):
        if not record.audited:
            return NOT_AUDITED
        return "" if record.victims.exists else NONE_TO_TELL

    def value_victims_not_told(self, record):
        return record.victims.count if record.audited else ""

    def value_victims_should(self, record):
        return record.victims.total if record.audited else ""

    def value_basis(self, record):
        return self.basis

    def render_actions_put_right(self, record):
        if record.actions is None:
            return NO_ACTIONS
        overdue = (
            format_html('<br><strong class="govuk-tag govuk-tag--red">{} overdue</strong>', record.actions_overdue)
            if record.actions_overdue
            else ""
        )
        return format_html("{}% ({}){}", record.actions.percent, record.actions, overdue)

    def value_actions_put_right(self, record):
        return record.actions.percent if record.actions else ""

    def value_actions_status(self, record):
        return "" if record.actions else NO_ACTIONS


class EscapedTableExport(TableExport):
    """The national table as a file: its rows, whose text cells cannot run as spreadsheet formulae (numbers
    stay numbers), then the national rate per category, as the page shows it under "National rates"."""

    def table_to_dataset(self, table, exclude_columns, dataset_kwargs=None):
        dataset = super().table_to_dataset(table, exclude_columns, dataset_kwargs)
        escaped = escape_dataset(dataset)
        national = table.national_values()
        escaped.append([national.get(header, "") for header in dataset.headers])
        return escaped
