from django.contrib import admin

from .models import SavedReply


@admin.register(SavedReply)
class SavedReplyAdmin(admin.ModelAdmin):
    """Saved replies; leave the owner empty for a reply shared with every worker.
    Chat messages have no admin page: nobody reads chats outside the chat itself."""

    list_display = ("title", "owner", "ordering")
    list_filter = ("owner",)
    search_fields = ("title", "text")
