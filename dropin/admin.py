from django.contrib import admin

from .models import DutyMember, DutyShift


class DutyMemberInline(admin.TabularInline):
    model = DutyMember
    extra = 0
    fields = ("user", "capacity", "present_since")


@admin.register(DutyShift)
class DutyShiftAdmin(admin.ModelAdmin):
    """Duty shifts (planned by coordinators on the Duty shifts page). Drop-in contacts have no admin
    page: nobody reads chats outside the chat itself (the coordinator only on a support request)."""

    list_display = ("__str__", "coordinator")
    date_hierarchy = "date"
    inlines = [DutyMemberInline]
