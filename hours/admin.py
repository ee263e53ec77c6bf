from django.contrib import admin

from .models import Channel, HoursException, WeeklyHours


class WeeklyHoursInline(admin.TabularInline):
    model = WeeklyHours
    extra = 0


class HoursExceptionInline(admin.TabularInline):
    model = HoursException
    extra = 0


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "always_open", "closed_on_holidays", "is_active", "ordering")
    list_editable = ("is_active", "ordering")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [WeeklyHoursInline, HoursExceptionInline]


@admin.register(HoursException)
class HoursExceptionAdmin(admin.ModelAdmin):
    list_display = ("date", "channel", "start_time", "end_time", "note")
    list_filter = ("channel",)
    date_hierarchy = "date"
