"""Demo data for a fresh install. Idempotent: running it again changes nothing that is there.

Refused on a production installation (a public https SITE_URL): the demo staff accounts share a
published password and TOTP secret, and the admin among them could sign in to any site they were made on.
"""

import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from booking import codes
from booking.actors import Actor
from booking.models import Availability, Booking, Service
from config.keys import is_production
from staff.models import User

from ...dropin import create_dropin_demo
from ...history import create_history

DEMO_PASSWORD = "demo-pass-2026"
# Every staff account needs two-factor authentication. The demo accounts share this TOTP secret:
# `make totp` prints the current code (or add the secret to an authenticator app).
DEMO_TOTP_SECRET = "MLLDEMOMLLDEMOMLLDEMOMLLDEMO2345"
# The appointment `seed_demo` books for "right now", so that the chat can be tried at once.
DEMO_CHAT_NICKNAME = "Demo"
# Upcoming demo appointments: (nickname, what they would like to talk about).
DEMO_UPCOMING = [
    ("Väsynyt isä", "Vauva ei nuku, ja olen aivan poikki."),
    ("Kolmen lapsen äiti", "Sisarusten riidat ja arjen kiire."),
]
DEMO_CHAT_WORKERS = ["tuija@demo.mll.fi", "mikko@demo.mll.fi", "sanna@demo.mll.fi"]

SAVED_REPLIES = [
    ("Kriisipuhelin", "MIELI ry:n Kriisipuhelin päivystää numerossa 09 2525 0111 joka päivä ympäri vuorokauden."),
    ("Hätätilanne", "Jos tilanne on hengenvaarallinen tai kiireellinen, soita hätänumeroon 112."),
    ("Vanhempainpuhelin", "MLL:n Vanhempainpuhelin: 0800 92277 (maksuton). Aukioloajat löydät osoitteesta mll.fi."),
    ("Perheneuvola", "Oman kuntasi tai hyvinvointialueesi perheneuvola auttaa lapsen kasvuun ja perheen vuorovaikutukseen liittyvissä asioissa."),
]

# The appointment chat runs when the helpline's chat is open (source: Mon–Tue 10–13, Thu 17–20,
# Fri 10–13); the workers split those hours between them.
WORKERS = [
    ("tuija@demo.mll.fi", "Tuija", [(0, "10:00", "13:00"), (3, "17:00", "20:00")]),
    ("sanna@demo.mll.fi", "Sanna", [(1, "10:00", "13:00"), (4, "10:00", "13:00")]),
    ("mikko@demo.mll.fi", "Mikko", [(0, "10:00", "13:00"), (1, "10:00", "13:00"), (3, "17:00", "20:00")]),
]

# The young people's appointment chat: afternoons, when school is out.
YOUNG_PEOPLE_HOURS = [
    ("sanna@demo.mll.fi", [(2, "14:00", "17:00"), (3, "14:00", "17:00")]),
    ("tuija@demo.mll.fi", [(1, "14:00", "17:00")]),
]


def _staff(email: str, pseudonym: str, role: str) -> User:
    user, created = User.objects.get_or_create(email=email, defaults={"pseudonym": pseudonym, "role": role})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


def _availability(worker: User, service: Service, hours) -> None:
    service.workers.add(worker)
    for weekday, start, end in hours:
        Availability.objects.get_or_create(
            worker=worker,
            service=service,
            weekday=weekday,
            start_time=dt.time.fromisoformat(start),
            end_time=dt.time.fromisoformat(end),
        )


class Command(BaseCommand):
    help = "Create the demo service, staff and availability (safe to run again)."

    def handle(self, *args, **options):
        if is_production(settings.SITE_URL):
            raise CommandError(
                f"seed_demo refuses to run on a production installation (SITE_URL={settings.SITE_URL} is a public "
                "https address). The demo creates staff accounts, an admin among them, whose password and "
                "two-factor secret are published; run it only on a local or test installation."
            )
        self._seed()

    @transaction.atomic
    def _seed(self):
        service, _ = Service.objects.get_or_create(
            slug="vanhempainpuhelin",
            defaults={
                "name": "Vanhempainpuhelimen ajanvarauschat",
                "description": (
                    "Varaa aika kiireettömään, luottamukselliseen chat-keskusteluun MLL:n ammattilaisen kanssa. "
                    "Voit sopia jatkoajan saman työntekijän kanssa."
                ),
                "name_sv": "Föräldratelefonens chatt med tidsbokning",
                "description_sv": (
                    "Boka en tid för ett lugnt och konfidentiellt chattsamtal med en yrkesperson på MLL. "
                    "Du kan komma överens om en fortsättningstid med samma medarbetare."
                ),
                "name_en": "Parents' Helpline appointment chat",
                "description_en": (
                    "Book a time for an unhurried, confidential chat with an MLL professional. "
                    "You can agree on a follow-up with the same worker."
                ),
                "audience": "parents",
                "slot_minutes": 45,
                "buffer_minutes": 15,
                "min_notice_minutes": 60,
                "horizon_days": 28,
            },
        )
        for email, pseudonym, hours in WORKERS:
            worker = _staff(email, pseudonym, User.Role.WORKER)
            _availability(worker, service, hours)
        self._seed_young_people()
        _staff("koordinaattori@demo.mll.fi", "Koordinaattori", User.Role.COORDINATOR)
        _staff("admin@demo.mll.fi", "Ylläpito", User.Role.ADMIN)
        create_dropin_demo(password=DEMO_PASSWORD, stdout=self.stdout)  # volunteers, duty shifts (demo/dropin.py)
        from allauth.mfa.models import Authenticator
        from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
        from allauth.mfa.totp.internal.auth import TOTP

        from chatrooms.models import SavedReply

        for user in User.objects.filter(email__endswith="@demo.mll.fi"):
            if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
                TOTP.activate(user, DEMO_TOTP_SECRET)
                RecoveryCodes.activate(user)
        for title, text in SAVED_REPLIES:
            SavedReply.objects.get_or_create(owner=None, title=title, defaults={"text": text})

        made = create_history(service=service)
        if made:
            self.stdout.write(f"Created a year of demo history: {made} past appointments with statistics.")
        self._demo_chat_now(service)
        self._demo_upcoming(service)
        from ...letters import seed as seed_letters; seed_letters(self.stdout)  # noqa: E702  the letter service (demo/letters.py)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))

    def _demo_upcoming(self, service: Service) -> None:
        """A few appointments in the coming days (one a follow-up), so that the workers' calendars and
        the team calendar have something in them. Booked through the ordinary rules; made again only
        when none of them is still ahead."""
        from booking import selectors
        from booking import services as booking_services

        nicknames = [nickname for nickname, _topic in DEMO_UPCOMING]
        now = timezone.now()
        if Booking.objects.filter(nickname__in=nicknames, status=Booking.Status.BOOKED, start__gt=now).exists():
            return
        today = timezone.localdate()
        tuija = User.objects.get(email="tuija@demo.mll.fi")
        slots = selectors.free_slots(service=service, start_date=today + dt.timedelta(days=1), end_date=today + dt.timedelta(days=21))
        tuija_slots = [s for s in slots if s.worker_id == tuija.pk]
        other_slots = [s for s in slots if s.worker_id != tuija.pk]
        if len(tuija_slots) < 2 or not other_slots:
            return
        (first_nick, first_topic), (second_nick, second_topic) = DEMO_UPCOMING
        system = Actor.system()
        first = booking_services.booking_create(
            service=service, start=tuija_slots[0].start, worker=tuija, nickname=first_nick, topic=first_topic, actor=system
        ).booking
        booking_services.followup_create(previous=first, start=tuija_slots[-1].start, actor=system)
        other = User.objects.get(pk=other_slots[0].worker_id)
        booking_services.booking_create(
            service=service, start=other_slots[0].start, worker=other, nickname=second_nick, topic=second_topic, actor=system
        )
        self.stdout.write("Booked 3 upcoming demo appointments (one a follow-up) for the calendars.")

    def _demo_chat_now(self, service: Service) -> None:
        """Book a worker five minutes from now and print the code, so the chat can be tried at once.

        A code is shown only once and only its hash is stored, so every run replaces a demo booking
        nobody has joined yet with a new one and prints the new code. If Tuija is busy then (say, with
        the demo chat of an earlier run), the next demo worker who is free gets it.
        """
        Booking.objects.filter(nickname=DEMO_CHAT_NICKNAME, status=Booking.Status.BOOKED, chat__isnull=True).delete()
        start = (timezone.now() + dt.timedelta(minutes=5)).replace(second=0, microsecond=0)
        end = start + dt.timedelta(minutes=service.slot_minutes)
        for email in DEMO_CHAT_WORKERS:
            worker = User.objects.get(email=email)
            if not Booking.objects.filter(worker=worker, status__in=Booking.HOLDING, start__lt=end, end__gt=start).exists():
                break
        else:
            self.stdout.write("No demo chat booked: every demo worker already has an appointment now.")
            return
        code = codes.generate()
        Booking.objects.create(
            service=service, worker=worker, start=start, end=end, nickname=DEMO_CHAT_NICKNAME,
            code_hash=codes.hash_code(code),
        )
        at = timezone.localtime(start).strftime("%H:%M")
        self.stdout.write(
            f"Try the chat now: a demo appointment with {worker.pseudonym} at {at}.\n"
            f"    parent  open {settings.SITE_URL.rstrip('/')}{reverse('chatrooms:join')} and enter the code {code}\n"
            f"    worker  sign in as {email} and press 'Avaa chat' on the dashboard"
        )

    def _seed_young_people(self):
        """The young people's appointment chat (nuorten ajanvarauschat), side by side with the parents'.

        Shares workers with the parents' service; a worker's bookings in one service block the same
        time in the other, so nobody is double-booked.
        """
        service, _ = Service.objects.get_or_create(
            slug="nuoret",
            defaults={
                "name": "Nuorten ajanvarauschat",
                "description": (
                    "Varaa aika luottamukselliseen chat-keskusteluun MLL:n ammattilaisen kanssa. "
                    "Voit puhua mistä vain: kaverit, koulu, koti, olo. Et kerro nimeäsi."
                ),
                "name_sv": "Chatt med tidsbokning för unga",
                "description_sv": (
                    "Boka en tid för ett konfidentiellt chattsamtal med en yrkesperson på MLL. "
                    "Du kan prata om vad som helst: kompisar, skolan, hemmet, hur du mår. Du berättar inte ditt namn."
                ),
                "name_en": "Appointment chat for young people",
                "description_en": (
                    "Book a time for a confidential chat with an MLL professional. "
                    "Talk about anything: friends, school, home, how you feel. You do not tell your name."
                ),
                "audience": Service.Audience.YOUNG_PEOPLE,
                "theme": Service.Theme.VIOLET,
                "slot_minutes": 45,
                "buffer_minutes": 15,
                "min_notice_minutes": 60,
                "horizon_days": 21,
                "ordering": 10,
            },
        )
        for email, hours in YOUNG_PEOPLE_HOURS:
            worker = User.objects.filter(email=email).first()
            if worker is None:
                continue
            _availability(worker, service, hours)
