import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

import chatrooms.routing  # noqa: E402
import dropin.routing  # noqa: E402
from staff.middleware import StaffMFAChannelsMiddleware  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Both sockets see a signed-in staff member only when the session passed the second factor.
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(StaffMFAChannelsMiddleware(URLRouter(chatrooms.routing.websocket_urlpatterns + dropin.routing.websocket_urlpatterns)))
        ),
    }
)

# Everything loaded so far lives as long as the process: move it out of the collector's sight, so a
# full collection no longer walks the whole of Django on a request (docs/benchmarks.md, slot search).
import gc  # noqa: E402

gc.collect()
gc.freeze()
