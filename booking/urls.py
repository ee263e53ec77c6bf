from django.urls import path

from . import views

app_name = "booking"
urlpatterns = [
    path("book/<slug:slug>/", views.week, name="week"),
    path("book/<slug:slug>/confirm/", views.confirm, name="confirm"),
    path("book/<slug:slug>/done/", views.done, name="done"),
    path("booking/calendar/<str:token>/ajanvaraus.ics", views.booking_ics, name="ics"),
    path("booking/", views.manage, name="manage"),
    path("privacy/", views.privacy, name="privacy"),
]
