from django.urls import path

from . import views

app_name = "chatrooms"
urlpatterns = [
    path("join/", views.join, name="join"),
    path("chat/", views.room, name="room"),
    path("chat/leave/", views.leave, name="leave"),
]
