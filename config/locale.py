"""Finnish first: the page is in Finnish unless the visitor chose another language.

Django's LocaleMiddleware would follow the browser's Accept-Language, and many Finnish parents use a
browser set to English. Here only an explicit choice (the language switch, stored in the language
cookie) changes the language; everything else about LocaleMiddleware stays.
"""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class FinnishFirstLocaleMiddleware(LocaleMiddleware):
    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
