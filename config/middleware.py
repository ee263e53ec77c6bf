"""Every answer under /api/ is JSON, as docs/api.md promises, errors included.

Views of the API answer JSON themselves; what Django answers before or around them (a 404 for an
unknown path, a 405 from a method decorator, a 403 from a CSRF or permission check) would be an
HTML page. This turns those into the documented error object.
"""

from django.http import JsonResponse

API_PREFIX = "/api/"
CODES = {403: ("forbidden", "Forbidden."), 404: ("not_found", "Not found."), 405: ("method_not_allowed", "Method not allowed.")}


class ApiJsonErrorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.path.startswith(API_PREFIX)
            and response.status_code in CODES
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            code, message = CODES[response.status_code]
            replacement = JsonResponse({"error": {"code": code, "message": message}}, status=response.status_code)
            if response.has_header("Allow"):
                replacement["Allow"] = response["Allow"]
            for header in ("Access-Control-Allow-Origin", "Vary", "Cache-Control"):
                if response.has_header(header):
                    replacement[header] = response[header]
            return replacement
        return response
