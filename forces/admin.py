from django.contrib import admin

from forces.models import Force, FormerName


class FormerNameInline(admin.TabularInline):
    model = FormerName
    extra = 0


@admin.register(Force)
class ForceAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "country", "region"]
    list_filter = ["country", "region"]
    search_fields = ["name", "code", "former_names__name"]
    ordering = ["name"]
    inlines = [FormerNameInline]

    def get_readonly_fields(self, request, obj=None):
        # The code is the stable identifier imports and links rely on: set once, never changed.
        return ["code"] if obj else []

    def has_delete_permission(self, request, obj=None):
        return False
