import secrets

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


def new_public_id() -> str:
    return secrets.token_hex(4)


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("Staff accounts need an email address")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True, role=User.Role.ADMIN)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """An MLL employee. Parents never have accounts."""

    class Role(models.TextChoices):
        # The same values as booking.actors.WORKER etc., which the services compare against.
        WORKER = "worker", _("Worker")
        VOLUNTEER = "volunteer", _("Volunteer")
        COORDINATOR = "coordinator", _("Coordinator")
        ADMIN = "admin", _("Admin")

    username = None
    email = models.EmailField(_("email address"), unique=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.WORKER)
    pseudonym = models.CharField(
        _("pseudonym"), max_length=40, blank=True, help_text=_("The only name parents ever see.")
    )
    public_id = models.CharField(_("public id"), max_length=16, unique=True, default=new_public_id, editable=False)
    feed_token = models.CharField(max_length=64, unique=True, default=new_feed_token, editable=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = UserManager()

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")
        ordering = ["pseudonym", "email"]

    def __str__(self) -> str:
        return self.pseudonym or self.email  # staff-facing (admin, audit log); parents see display_name

    def save(self, *args, **kwargs):
        # The Django admin is for the admin role only.
        # The role decides everything: the admin role has the Django admin with every permission,
        # the other roles have no admin access at all.
        self.is_staff = self.is_superuser = self.role == self.Role.ADMIN
        if kwargs.get("update_fields") is not None and "role" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "is_staff", "is_superuser"}
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        # Parents know workers and volunteers by a pseudonym only (anonymity goes both ways).
        if self.role in (self.Role.WORKER, self.Role.VOLUNTEER) and not (self.pseudonym or "").strip():
            from django.core.exceptions import ValidationError

            raise ValidationError({"pseudonym": _("Workers and volunteers need a pseudonym: it is the only name parents see.")})

    @property
    def display_name(self) -> str:
        """The only name a parent ever sees. Never the email: a worker without a pseudonym is shown
        with a neutral title (and takes no bookings until an admin gives one; booking.selectors)."""
        return self.pseudonym or str(_("MLL worker"))

    @property
    def is_coordinator(self) -> bool:
        return self.role in (self.Role.COORDINATOR, self.Role.ADMIN)

    @property
    def is_volunteer(self) -> bool:
        return self.role == self.Role.VOLUNTEER

    @property
    def is_professional(self) -> bool:
        """MLL employees: they take appointments; volunteers take drop-in chats and letters only."""
        return self.role in (self.Role.WORKER, self.Role.COORDINATOR, self.Role.ADMIN)

    @property
    def is_admin_role(self) -> bool:
        return self.role == self.Role.ADMIN


class AuditEntry(models.Model):
    """A staff action that matters: who, what, when. Never chat content, never a parent's text."""

    class Action(models.TextChoices):
        AVAILABILITY = "availability", _("Availability changed")
        TIME_OFF = "time_off", _("Time off changed")
        CANCEL = "cancel", _("Appointment cancelled")
        MOVE = "move", _("Appointment moved")
        HAND_OVER = "hand_over", _("Appointment handed over")
        ROLE = "role", _("Role changed")
        EXPORT = "export", _("Statistics exported")
        FLAG = "flag", _("Contact flagged")
        FEED = "feed", _("Calendar link renewed")
        DROPIN_READ = "dropin_read", _("Drop-in chat read by the coordinator")
        DROPIN_HAND_OVER = "dropin_handover", _("Drop-in chat handed over")
        # The letter service (letters app): staff actions on letters that matter.
        LETTER_ASSIGN = "letter_assign", _("Letter assigned")
        LETTER_APPROVE = "letter_approve", _("Letter answer approved")
        LETTER_FLAG = "letter_flag", _("Letter flagged")

    actor = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("who"))
    action = models.CharField(_("what"), max_length=16, choices=Action.choices)
    target_worker = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("whose")
    )
    # Free English text for people searching the log; kept whole. ``details`` holds the same facts as
    # action-specific keys (see staff.audit.DETAIL_LABELS), shown translated in the admin.
    summary = models.TextField(_("summary"), blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor} {self.get_action_display()}"
