from django.urls import path

from . import api

urlpatterns = [
    path("services/", api.services_list, name="api-services"),
    path("services/<slug:slug>/slots/", api.slots, name="api-slots"),
    path("bookings/", api.bookings_create, name="api-bookings"),
    path("bookings/lookup", api.bookings_lookup, name="api-bookings-lookup"),
    path("bookings/cancel", api.bookings_cancel, name="api-bookings-cancel"),
    path("bookings/reschedule", api.bookings_reschedule, name="api-bookings-reschedule"),
]
