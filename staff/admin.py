from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from booking import admin as booking_admin

from . import audit
from .models import AuditEntry, User


class AvailabilityInline(booking_admin.AvailabilityInline):
    fields = ("service", "weekday", "start_time", "end_time", "valid_from", "valid_until")
    readonly_fields = fields


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    """Staff accounts. Open sign-up is off: admins create staff here (or invite them to reset a password)."""

    ordering = ("email",)
    list_display = ("email", "pseudonym", "role", "is_active", "last_login")
    list_filter = ("role", "is_active", "services")
    search_fields = ("email", "pseudonym", "first_name", "last_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Public"), {"fields": ("pseudonym", "public_id")}),
        (_("Personal info"), {"fields": ("first_name", "last_name")}),
        (_("Role"), {"fields": ("role", "is_active")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = ("public_id", "last_login", "date_joined")
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "pseudonym", "role", "password1", "password2")}),)
    inlines = [AvailabilityInline]

    def save_model(self, request, obj, form, change):
        old_role = User.objects.filter(pk=obj.pk).values_list("role", flat=True).first() if change else None
        super().save_model(request, obj, form, change)
        if old_role != obj.role:
            audit.log(actor=request.user, action="role", target_worker=obj, summary=f"{old_role or 'new'} → {obj.role}")


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only for admins: who did what and when. Contains no chat content.

    The details are shown whole and in the reader's language (``audit.describe``), in the list and
    on each entry's own page (click the time)."""

    list_display = ("created_at", "actor", "action", "target_worker", "details_text")
    list_filter = ("action", "actor")
    search_fields = ("summary",)
    date_hierarchy = "created_at"
    fields = ("created_at", "actor", "action", "target_worker", "details_text", "summary")
    readonly_fields = fields

    @admin.display(description=_("details"))
    def details_text(self, obj):
        return audit.describe(obj)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
