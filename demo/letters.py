"""Demo data of the letter service (run by seed_demo): a volunteer to sign in as, and letters in
every state a newcomer needs to try the service at any hour.

- an overdue letter and a fresh one waiting in the inbox (sign in as a worker, take one, answer);
- a volunteer's answer waiting for approval (sign in as the coordinator or a worker, approve it);
- an answered letter whose code is printed (read the answer at /letters/read/).

Codes are shown once and stored only as hashes, so every run replaces the demo letters with new ones
and prints the new codes. Made through the letter service's own rules (letters.services).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from booking.actors import Actor
from hours.models import Channel
from letters import services
from letters.models import Thread
from staff.models import User

VOLUNTEER = ("vapaaehtoinen@demo.mll.fi", "Veera")
# (nickname, audience, days ago, what the parent wrote)
LETTERS = [
    ("Yövalvoja", "child", 8,
     "Hei. Kolmevuotiaamme herää joka yö monta kertaa, ja olemme molemmat aivan lopussa. Olemme kokeilleet "
     "iltarutiineja, mutta mikään ei tunnu auttavan. Onko tämä normaalia, ja mistä saisimme apua?"),
    ("Uupunut isä", "adult", 0,
     "Olen yksin kahden lapsen kanssa arjen keskellä ja huomaan huutavani heille yhä useammin. Häpeän sitä. "
     "Miten saisin itseni rauhoittumaan ennen kuin suutun?"),
    ("Murrosikäisen äiti", "child", 3,
     "Neljätoistavuotias tyttäreni ei enää puhu minulle mitään ja viettää kaikki illat huoneessaan. "
     "Olen huolissani, mutta en halua painostaa. Miten voisin lähestyä häntä?"),
    ("Kiitollinen", "adult", 5,
     "Erosimme puolisoni kanssa puoli vuotta sitten. Miten puhun lapsille siitä, että heillä on nyt kaksi kotia?"),
]
REVIEW_ANSWER = (
    "Hei Murrosikäisen äiti, kiitos kirjeestäsi. On luontevaa, että nuori vetäytyy omiin oloihinsa, ja on "
    "hienoa, että haluat olla läsnä painostamatta. Yhteinen tekeminen, vaikka automatka tai ruoanlaitto, "
    "avaa usein keskustelun paremmin kuin kysymykset kasvotusten. – Veera, MLL:n Vanhempainpuhelin"
)
SENT_ANSWER = (
    "Hei Kiitollinen, kiitos, että kirjoitit. Lapsille auttaa kuulla, että ero on aikuisten päätös eikä "
    "heidän syytään, ja että molemmat vanhemmat rakastavat heitä edelleen. Kertokaa yhdessä, jos se on "
    "mahdollista, ja kertokaa konkreettisesti, miten arki jatkuu kahdessa kodissa. Voit kirjoittaa meille "
    "vielä, jos haluat jatkaa tästä. – Tuija, MLL:n Vanhempainpuhelin"
)


def _volunteer() -> User:
    from demo.management.commands.seed_demo import DEMO_PASSWORD, DEMO_TOTP_SECRET

    email, pseudonym = VOLUNTEER
    user, created = User.objects.get_or_create(email=email, defaults={"pseudonym": pseudonym, "role": User.Role.VOLUNTEER})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, DEMO_TOTP_SECRET)
        RecoveryCodes.activate(user)
    return user


def seed(stdout) -> None:
    """Replace the demo letters with new ones and print how to try the letter service."""
    site = settings.SITE_URL.rstrip("/")
    Channel.objects.filter(kind=Channel.Kind.LETTER, url="").update(url=site + reverse("letters:write"))
    volunteer = _volunteer()
    tuija = User.objects.filter(email="tuija@demo.mll.fi").first()
    if tuija is None:
        return
    Thread.objects.filter(nickname__in=[nickname for nickname, *_ in LETTERS]).delete()
    now = timezone.now()
    system = Actor.system()
    made = {}
    for nickname, audience, days_ago, text in LETTERS:
        written = now - dt.timedelta(days=days_ago, hours=2)
        made[nickname] = services.letter_create(actor=system, text=text, nickname=nickname, audience=audience, now=written)
    as_volunteer, as_tuija = Actor.staff(volunteer, mfa=True), Actor.staff(tuija, mfa=True)
    review = made["Murrosikäisen äiti"].thread
    services.take(actor=as_volunteer, thread=review, now=now - dt.timedelta(days=1))
    services.answer_send(actor=as_volunteer, thread=review, text=REVIEW_ANSWER, now=now - dt.timedelta(hours=20))
    answered = made["Kiitollinen"].thread
    services.take(actor=as_tuija, thread=answered, now=now - dt.timedelta(days=2))
    services.answer_send(actor=as_tuija, thread=answered, text=SENT_ANSWER, now=now - dt.timedelta(days=1))
    read_url = site + reverse("letters:read")
    stdout.write(
        "Try the letter service (open around the clock):\n"
        f"    parent     write a letter at {site}{reverse('letters:write')}\n"
        f"    parent     read an answered letter at {read_url} with the code {made['Kiitollinen'].code}\n"
        f"    worker     sign in as tuija@demo.mll.fi: Kirjeet (/staff/letters/) has two letters to take, one overdue\n"
        f"    volunteer  {VOLUNTEER[0]} ({VOLUNTEER[1]}) answered a letter; a professional approves it under 'Hyväksyttävät\n"
        f"               vastaukset'; then its parent reads it at {read_url} with the code {made['Murrosikäisen äiti'].code}"
    )
