from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import UserChangeForm

from accounts.models import AccessRecord, User
from accounts.roles import Role


class RoleAwareUserChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        groups = cleaned.get("groups")
        is_force_viewer = groups is not None and groups.filter(name=Role.FORCE_VIEWER).exists()
        if is_force_viewer and not cleaned.get("force"):
            self.add_error("force", "A force viewer must be tied to a force.")
        return cleaned


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = RoleAwareUserChangeForm
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
    filter_horizontal = ["user_permissions"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="Roles")
    def role_names(self, obj: User) -> str:
        return ", ".join(sorted(group.name for group in obj.groups.all())) or "-"

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups":
            kwargs["widget"] = forms.CheckboxSelectMultiple
            kwargs["help_text"] = "Auditor, Supervisor, Data steward or Force viewer."
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(AccessRecord)
class AccessRecordAdmin(admin.ModelAdmin):
    """Access records are evidence: the data administration pages show them and nothing more."""

    list_display = ["at", "username", "action", "object_type", "object_label", "ip_address"]
    list_filter = ["action", "at"]
    list_select_related = ["user"]
    search_fields = ["username", "object_label", "object_id"]
    date_hierarchy = "at"
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
