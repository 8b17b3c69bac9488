from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path
from simple_history.admin import SimpleHistoryAdmin

from accounts.forms import AccountAddForm, AccountChangeForm
from accounts.models import AccessRecord, User, account_history
from accounts.permissions import may_edit_account, may_issue_password_link, may_set_password
from accounts.services import user_set_password_link


@admin.register(User)
class UserAdmin(SimpleHistoryAdmin, BaseUserAdmin):
    """People and their roles. What the signed-in person may change on whose account is decided by the rules
    in accounts.permissions: the forms refuse each change of access they may not make, with the reason; an
    account they may not edit at all is shown read-only, and the password form is a superuser's alone. The
    account's history (the History button) shows every change, and who made it."""

    form = AccountChangeForm
    add_form = AccountAddForm
    add_form_template = "admin/accounts/user/add_form.html"
    list_display = ["username", "first_name", "last_name", "email", "role_names", "force", "is_active"]
    list_filter = ["groups", "is_active", "is_staff", "force"]
    list_select_related = ["force"]
    autocomplete_fields = ["force"]
    fieldsets = (
        *BaseUserAdmin.fieldsets[:2],
        ("Role", {"fields": ("groups", "force")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "user_permissions")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"fields": ("username", "first_name", "last_name", "email")}),
        ("Role", {"fields": ("groups", "force")}),
    )
    readonly_fields = ["last_login", "date_joined"]
    filter_horizontal = ["user_permissions"]

    def get_queryset(self, request):
        # The rules read each account's groups and own permissions: fetched with the accounts, not one by one.
        return super().get_queryset(request).prefetch_related("groups", "user_permissions")

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        # The admin builds a new form class for every request, so it can carry who is signed in.
        form.actor = request.user
        return form

    def save_model(self, request, obj, form, change):
        # The roles are saved after the account (save_related): the two make one entry in its history.
        obj.skip_history_when_saving = True
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        del form.instance.skip_history_when_saving
        account_history.record(form.instance, created=not change)

    def has_change_permission(self, request, obj=None):
        if obj is not None and not may_edit_account(request.user, obj):
            return False
        return super().has_change_permission(request, obj)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["may_issue_password_link"] = obj is not None and may_issue_password_link(request.user, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        return [
            path(
                "<id>/set-password-link/",
                self.admin_site.admin_view(self.set_password_link_view),
                name="accounts_user_set_password_link",
            ),
            *super().get_urls(),
        ]

    def user_change_password(self, request, id, form_url=""):
        person = self.get_object(request, unquote(id))
        if person is not None and not may_set_password(request.user, person):
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)

    def set_password_link_view(self, request, id):
        """Asks, then issues a one-time set-password link for the person and shows it, once: the link is not
        kept anywhere, and the page is not cached."""
        person = self.get_object(request, unquote(id))
        if person is None:
            raise Http404("No such person.")
        if not may_issue_password_link(request.user, person):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": f"Set-password link for {person}",
            "opts": self.opts,
            "original": person,
            "has_usable_password": person.has_usable_password(),
            "link_days": settings.PASSWORD_RESET_TIMEOUT // (24 * 60 * 60),
        }
        if request.method == "POST":
            try:
                context["link"] = request.build_absolute_uri(user_set_password_link(user=person, by=request.user))
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/accounts/user/set_password_link.html", context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # An old version of an account may be read, not saved back: every change goes through the change
        # form, where the rules are checked against the account as it is now.
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def revert_disabled(self, request, obj=None):
        return True

    @admin.display(description="Roles")
    def role_names(self, obj: User) -> str:
        return ", ".join(sorted(group.name for group in obj.groups.all())) or "-"

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups":
            kwargs["widget"] = forms.CheckboxSelectMultiple
            kwargs["help_text"] = (
                "Auditor, Supervisor, Data steward or Force contact. "
                "Only a superuser grants or removes the Data steward role."
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records kept as evidence: the data administration pages show them, and nobody adds, changes or deletes
    one there."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AccessRecord)
class AccessRecordAdmin(ReadOnlyAdmin):
    """Access records are evidence: the data administration pages show them and nothing more."""

    list_display = ["at", "username", "action", "object_type", "object_label", "ip_address"]
    list_filter = ["action", "at"]
    list_select_related = ["user"]
    search_fields = ["username", "object_label", "object_id"]
    date_hierarchy = "at"
    show_full_result_count = False
