from django.urls import path

from . import api

urlpatterns = [
    path("", api.letters, name="api-letters"),
    path("lookup", api.lookup, name="api-letters-lookup"),
    path("reply", api.reply, name="api-letters-reply"),
    path("close", api.close, name="api-letters-close"),
]
