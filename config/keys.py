"""The secret keys: given by a deployment, made once on a developer's machine. Never a default in code.

- ``SECRET_KEY`` comes from the environment. Without it, the embedded default (``make run``, the
  tests) makes a random key on first start and keeps it in ``var/secret_key`` (mode 0600), so every
  process of the installation (daphne, the Celery worker, the tests' live servers) uses the same key.
- A deployment, i.e. a ``SITE_URL`` that is a public ``https://`` address, must give ``SECRET_KEY``:
  the settings refuse to load without it, or with a key that has ever been published.
- ``CODE_HASH_KEY`` (the key of the stored code hashes) comes from the environment too; when it is
  not given it is derived from ``SECRET_KEY`` with HMAC-SHA256 under its own purpose label, so the
  two are never the same value and neither reveals the other.

``manage.py check --deploy`` (config/checks.py) also refuses short or monotonous keys and the key
from ``var/``. See docs/security.md, "Secrets".
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

# Keys that have been public: the built-in default SECRET_KEY before issue 10 (it stays in the
# repository's history), and the placeholders of deploy/env.example. Refused in any deployment.
PUBLISHED_KEYS = frozenset(
    {
        "dev-only-insecure-key-change-me-in-production-0123456789",
        "change-me-long-random",
        "change-me-another-long-random",
    }
)
MIN_LENGTH = 50  # Django's own check (security.W009) asks for the same
MIN_UNIQUE_CHARACTERS = 5
GENERATE_HINT = "python3 -c 'import secrets; print(secrets.token_urlsafe(64))'"


def is_production(site_url: str) -> bool:
    """A public https address: a real deployment, where the demo's and the development keys never belong."""
    try:
        parts = urlsplit(site_url.strip())
        host = (parts.hostname or "").lower()
    except ValueError:
        return False
    if parts.scheme != "https" or not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


def weakness(key: str) -> str | None:
    """Why this key must not protect a deployment, or None."""
    if key in PUBLISHED_KEYS:
        return "it has been published (a default or an example value)"
    if len(key) < MIN_LENGTH:
        return f"it is shorter than {MIN_LENGTH} characters"
    if len(set(key)) < MIN_UNIQUE_CHARACTERS:
        return f"it has fewer than {MIN_UNIQUE_CHARACTERS} different characters"
    if key.startswith("django-insecure"):
        return "it is a key Django generated for development"
    return None


def derived_key(secret_key: str, purpose: str) -> str:
    """A key for one purpose, derived from SECRET_KEY (HMAC-SHA256, domain-separated by ``purpose``)."""
    return hmac.new(secret_key.encode(), f"ajanvaraus:{purpose}:v1".encode(), hashlib.sha256).hexdigest()


def stored_key(path: Path) -> str:
    """The key kept in ``path``; made (random, mode 0600) if there is none yet.

    Processes that start together (daphne and Celery under ``make run``) agree on one key: the new
    key is written to a private temporary file and linked into place, which fails for all but the
    first, and everybody reads what is there.
    """
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(8)}")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(64) + "\n")
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process was first: use its key
        finally:
            os.unlink(temporary)
    except OSError as e:
        raise ImproperlyConfigured(
            f"SECRET_KEY is not set and no key could be kept in {path} ({e}). "
            f"Set SECRET_KEY in the environment, e.g. to the output of {GENERATE_HINT}."
        ) from e
    return _read(path)


def _read(path: Path) -> str:
    key = path.read_text().strip()
    if not key:
        raise ImproperlyConfigured(f"{path} is empty: delete it and a new key is made at the next start.")
    return key


def secret_key(given: str, *, site_url: str, var_dir: Path) -> tuple[str, bool]:
    """(SECRET_KEY, whether it is the embedded development key kept in var/)."""
    production = is_production(site_url)
    if given:
        if production and given in PUBLISHED_KEYS:
            raise ImproperlyConfigured(
                f"SECRET_KEY is a published value and SITE_URL={site_url} is a public https address (a deployment). "
                f"Set SECRET_KEY to a new long random value, e.g. the output of {GENERATE_HINT}."
            )
        return given, False
    if production:
        raise ImproperlyConfigured(
            f"SECRET_KEY is not set, and SITE_URL={site_url} is a public https address, so this is a deployment. "
            f"A deployment must bring its own key: set SECRET_KEY (and CODE_HASH_KEY) in the environment to long "
            f"random values, e.g. the output of {GENERATE_HINT}. See docs/deploy.md."
        )
    return stored_key(var_dir / "secret_key"), True


def code_hash_key(given: str, *, secret_key: str, site_url: str) -> str:
    """CODE_HASH_KEY: as given, or derived from SECRET_KEY."""
    if given:
        if is_production(site_url) and given in PUBLISHED_KEYS:
            raise ImproperlyConfigured(
                f"CODE_HASH_KEY is a published value and SITE_URL={site_url} is a public https address (a deployment). "
                f"Set it to a new long random value, e.g. the output of {GENERATE_HINT}."
            )
        return given
    return derived_key(secret_key, "code-hash")
