from django.urls import reverse

from accounts.roles import Role
from accounts.selectors import may_read_access_records


def navigation(request) -> dict:
    """Service navigation items for the signed-in user's roles, with the current one marked."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"navigation": []}
    items = [("Home", reverse("home"))]
    if user.is_auditor:
        items.append(("My reviews", reverse("review_queue")))
    if user.is_supervisor:
        items.append(("Plan an audit", reverse("audit_plan")))
        items.append(("Disagreements", reverse("disagreement_list")))
    if user.is_superuser or user.roles & {Role.SUPERVISOR, Role.AUDITOR, Role.DATA_STEWARD}:
        items.append(("National comparison", reverse("national_comparison")))
    elif Role.FORCE_VIEWER in user.roles and user.force_id:
        items.append(("Your force's results", reverse("force_results", args=[user.force.code])))
    if may_read_access_records(user):
        items.append(("Access records", reverse("access_records")))
    if user.is_staff:
        items.append(("Data administration", reverse("admin:index")))
    path = request.path
    return {
        "navigation": [
            {"text": text, "href": href, "current": path == href or (href != "/" and path.startswith(href))}
            for text, href in items
        ]
    }
