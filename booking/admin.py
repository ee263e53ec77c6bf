from django.contrib import admin

from .models import Availability, AvailabilityException, Booking, ClosedDay, Service


class AvailabilityInline(admin.TabularInline):
    model = Availability
    extra = 0


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "audience", "theme", "slot_minutes", "buffer_minutes", "min_notice_minutes", "horizon_days", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("workers",)
    inlines = [AvailabilityInline]


@admin.register(Availability)
class AvailabilityAdmin(admin.ModelAdmin):
    list_display = ("worker", "service", "weekday", "start_time", "end_time", "valid_from", "valid_until")
    list_filter = ("service", "weekday", "worker")


@admin.register(AvailabilityException)
class AvailabilityExceptionAdmin(admin.ModelAdmin):
    list_display = ("worker", "start", "end", "reason")
    list_filter = ("worker",)
    date_hierarchy = "start"


@admin.register(ClosedDay)
class ClosedDayAdmin(admin.ModelAdmin):
    list_display = ("date", "name")
    date_hierarchy = "date"


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    """Bookings as admins see them: times and statuses; never a code, a topic or a chat."""

    list_display = ("start", "service", "worker", "status", "is_follow_up")
    list_filter = ("status", "service", "worker")
    date_hierarchy = "start"
    exclude = ("topic", "reminder_email", "nickname")
    readonly_fields = ("service", "worker", "start", "end", "follow_up_of", "created_at", "cancelled_at")

    @admin.display(boolean=True, description="follow-up")
    def is_follow_up(self, obj):
        return obj.follow_up_of_id is not None

    def has_add_permission(self, request):
        return False
