from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .actors import Actor
from .models import Availability, AvailabilityException, Booking, ClosedDay, Service


class ReadOnly:
    """Read in the admin, changed elsewhere: these rows have rules (conflicts with booked
    appointments, who may cancel), and the rules live in the services the staff pages call."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnly, admin.ModelAdmin):
    pass


class AvailabilityInline(ReadOnly, admin.TabularInline):
    """Shown, not edited, here: availability is changed on the staff pages (Availability), where a
    change that would leave a booked appointment uncovered asks first (staff/services.py)."""

    model = Availability
    extra = 0
    fields = ("worker", "weekday", "start_time", "end_time", "valid_from", "valid_until")
    readonly_fields = fields


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "audience", "theme", "slot_minutes", "buffer_minutes", "min_notice_minutes", "horizon_days", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("workers",)
    inlines = [AvailabilityInline]


@admin.register(Availability)
class AvailabilityAdmin(ReadOnlyAdmin):
    list_display = ("worker", "service", "weekday", "start_time", "end_time", "valid_from", "valid_until")
    list_filter = ("service", "weekday", "worker")


@admin.register(AvailabilityException)
class AvailabilityExceptionAdmin(ReadOnlyAdmin):
    list_display = ("worker", "start", "end", "reason")
    list_filter = ("worker",)
    date_hierarchy = "start"


@admin.register(ClosedDay)
class ClosedDayAdmin(admin.ModelAdmin):
    list_display = ("date", "name")
    date_hierarchy = "date"


@admin.register(Booking)
class BookingAdmin(ReadOnlyAdmin):
    """Bookings as admins see them: times and statuses; never a code, a topic or a chat. Nothing is
    edited here; the one change offered, cancelling, goes through booking.services like every edge."""

    list_display = ("start", "service", "worker", "status", "is_follow_up")
    list_filter = ("status", "service", "worker")
    date_hierarchy = "start"
    fields = ("service", "worker", "start", "end", "status", "follow_up_of", "created_at", "cancelled_at", "cancel_message")
    readonly_fields = fields
    actions = ["cancel_bookings"]

    @admin.display(boolean=True, description=_("follow-up"))
    def is_follow_up(self, obj):
        return obj.follow_up_of_id is not None

    @admin.action(description=_("Cancel the selected appointments"))
    def cancel_bookings(self, request, queryset):
        actor = Actor.from_request(request)
        done, refused = 0, 0
        for booking in queryset:
            try:
                services.booking_cancel(actor=actor, booking=booking)
                done += 1
            except services.BookingError:
                refused += 1
        if done:
            self.message_user(request, ngettext("%d appointment cancelled.", "%d appointments cancelled.", done) % done, messages.SUCCESS)
        if refused:
            self.message_user(request, ngettext("%d appointment could not be cancelled.", "%d appointments could not be cancelled.", refused) % refused, messages.WARNING)
