from django.urls import path

from . import consumers

websocket_urlpatterns = [
    path("ws/dropin/", consumers.DropinConsumer.as_asgi()),
    path("ws/dropin/staff/", consumers.DropinStaffConsumer.as_asgi()),
]
