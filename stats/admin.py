from django.contrib import admin

from .models import ContactRecord, Feedback, Topic


class SubTopicInline(admin.TabularInline):
    model = Topic
    fk_name = "parent"
    fields = ("name_fi", "name_sv", "name_en", "ordering", "is_active")
    extra = 0


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("name_fi", "about", "parent", "ordering", "is_active")
    list_filter = ("about", "is_active", "parent")
    search_fields = ("name_fi", "name_sv", "name_en")
    inlines = [SubTopicInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("parent")


@admin.register(ContactRecord)
class ContactRecordAdmin(admin.ModelAdmin):
    """Read-only: records are the workers'; admins see the categories, never a chat."""

    list_display = ("month", "service", "outcome", "is_follow_up", "child_age_group", "contacted_by")
    list_filter = ("service", "outcome", "is_follow_up", "child_age_group", "contacted_by", "professional_help_discussed")
    date_hierarchy = "month"
    exclude = ("booking", "worker")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ("month", "service", "helpful", "recommend")
    list_filter = ("service", "helpful", "recommend")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
