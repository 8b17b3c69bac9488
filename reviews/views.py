from django.contrib.auth.mixins import LoginRequiredMixin
from django_tables2 import SingleTableView

from reviews.selectors import audit_list
from reviews.tables import AuditTable


class HomeView(LoginRequiredMixin, SingleTableView):
    """The start page: the audits the signed-in user may see, with their progress."""

    table_class = AuditTable
    template_name = "reviews/home.html"
    table_pagination = {"per_page": 25}

    def get_queryset(self):
        return audit_list(user=self.request.user)
