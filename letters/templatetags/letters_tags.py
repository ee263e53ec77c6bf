"""``{% letter_entry %}``: the letter service's own block on the landing page (templates/hours/home.html
belongs to the hours app, which must not import this one; the template names the tag only)."""

from django import template
from django.conf import settings

register = template.Library()


@register.inclusion_tag("letters/_home_entry.html")
def letter_entry():
    return {"answer_days": settings.LETTER_ANSWER_DAYS}
