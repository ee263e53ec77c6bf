"""The letter threads in the admin: their state only, read-only. What parents wrote is read on the
staff pages by those who answer it (letters.services.can_read), never listed here."""

from django.contrib import admin

from .models import Thread


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    list_display = ("pk", "status", "created_at", "answer_by", "taken_by", "answered_at", "delete_after")
    list_filter = ("status",)
    fields = ("status", "created_at", "answer_by", "taken_by", "answered_at", "closed_at", "delete_after")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
