from django.urls import path

from . import views

app_name = "staff"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("chat/<int:booking_id>/", views.chat, name="chat"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/<int:worker_id>/", views.calendar, name="worker-calendar"),
    path("availability/", views.availability, name="availability"),
    path("availability/<int:worker_id>/", views.availability, name="worker-availability"),
    path("calendar-feed/", views.feed_settings, name="feed-settings"),
    path("calendar-feed/renew/", views.feed_renew, name="feed-renew"),
    path("feed/<str:token>/ajanvaraukset.ics", views.feed, name="feed"),
    path("saved-replies/", views.saved_replies, name="saved-replies"),
    path("team/", views.team, name="team"),
    path("booking/<int:booking_id>/", views.booking_manage, name="booking-manage"),
    path("team/hand-over/<int:worker_id>/<str:day>/", views.hand_over_day, name="hand-over-day"),
]
