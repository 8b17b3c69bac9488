import django_tables2 as tables
from django.utils.formats import number_format

from accounts.models import AccessRecord

DETAIL_LABELS = {
    "table": "Table",
    "filters": "Filters",
    "row_count": "Rows",
    "file_name": "File",
    "file_size": "Size (bytes)",
    "format": "Format",
}


def describe_details(details: dict) -> str:
    """An access record's details as one line of plain text: known keys first, in a fixed order."""
    parts = []
    for key in [*DETAIL_LABELS, *sorted(set(details) - set(DETAIL_LABELS))]:
        if key not in details or details[key] in ("", None, {}, []):
            continue
        value = details[key]
        if isinstance(value, dict):
            value = ", ".join(
                f"{name}={'/'.join(map(str, item)) if isinstance(item, list) else item}" for name, item in value.items()
            )
        elif isinstance(value, int) and not isinstance(value, bool):
            value = number_format(value, force_grouping=True)
        parts.append(f"{DETAIL_LABELS.get(key, key.replace('_', ' ').capitalize())}: {value}")
    return "; ".join(parts)


class AccessRecordTable(tables.Table):
    at = tables.DateTimeColumn(format="j M Y, H:i:s", verbose_name="When")
    username = tables.Column(verbose_name="Who", order_by=("username",))
    action = tables.Column(verbose_name="Action")
    object_label = tables.Column(verbose_name="What", empty_values=(), orderable=False)
    details = tables.Column(verbose_name="Details", orderable=False)
    ip_address = tables.Column(verbose_name="Address", orderable=False)

    class Meta:
        model = AccessRecord
        fields = ["at", "username", "action", "object_label", "details", "ip_address"]
        empty_text = "No access records match."

    def render_username(self, record: AccessRecord) -> str:
        if record.user is not None and record.user.get_full_name():
            return f"{record.user.get_full_name()} ({record.username})"
        return record.username

    def render_object_label(self, record: AccessRecord) -> str:
        if not (record.object_type or record.object_label):
            return "—"
        kind = record.object_type.replace("_", " ").capitalize()
        return f"{kind}: {record.object_label or record.object_id}" if kind else record.object_label

    def render_details(self, value: dict) -> str:
        return describe_details(value) or "—"
