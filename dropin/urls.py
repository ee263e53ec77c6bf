from django.urls import path

from . import api, views

app_name = "dropin"
urlpatterns = [
    # The parent's pages.
    path("dropin/", views.start, name="start"),
    path("dropin/chat/", views.chat, name="chat"),
    path("dropin/rejoin/", views.rejoin, name="rejoin"),
    path("dropin/leave/", views.leave, name="leave"),
    path("dropin/feedback/", views.feedback, name="feedback"),
    # The JSON API (docs/api.md, "Drop-in chat").
    path("api/v1/dropin/", api.enter, name="api-enter"),
    path("api/v1/dropin/lookup", api.lookup, name="api-lookup"),
    path("api/v1/dropin/leave", api.leave, name="api-leave"),
    # Staff pages: under /staff/, so two-factor and the staff middleware apply.
    path("staff/dropin/", views.desk, name="desk"),
    path("staff/dropin/state/", views.desk_state, name="desk-state"),
    path("staff/dropin/present/", views.present, name="present"),
    path("staff/dropin/take/", views.take, name="take"),
    path("staff/dropin/panel/<int:contact_id>/", views.panel, name="panel"),
    path("staff/dropin/chat/<int:contact_id>/", views.chat_panel, name="chat-panel"),
    path("staff/dropin/side/<int:contact_id>/", views.side, name="side"),
    path("staff/dropin/support/<int:contact_id>/", views.support, name="support"),
    path("staff/dropin/record/<int:contact_id>/", views.record, name="record"),
    path("staff/dropin/room/", views.room, name="room"),
    path("staff/dropin/room/live/", views.room_live, name="room-live"),
    path("staff/dropin/room/read/<int:contact_id>/", views.read, name="read"),
    path("staff/dropin/room/hand-over/<int:contact_id>/", views.hand_over, name="hand-over"),
    path("staff/dropin/room/capacity/<int:member_id>/", views.capacity, name="capacity"),
    path("staff/dropin/shifts/", views.shifts, name="shifts"),
    path("staff/dropin/shifts/<int:key>/", views.plan, name="plan"),
]
