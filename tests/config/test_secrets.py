"""No published secrets (issue 10, finding 6).

A deployment (a public https SITE_URL) must bring its own SECRET_KEY: without one, or with a key that
was ever published (the old built-in default, the placeholders of deploy/env.example), the settings
refuse to load and `manage.py check --deploy` fails. On a developer's machine the embedded default
makes a random key once and keeps it in var/, so `make run` and the tests need nothing.
"""

import os
import secrets
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.hardening.test_deploy_settings import production_env

ROOT = Path(__file__).resolve().parents[2]
# The SECRET_KEY every install had before issue 10: it is in the repository's history for good.
OLD_PUBLISHED_DEFAULT = "dev-only-insecure-key-change-me-in-production-0123456789"
CHECK_DEPLOY = [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"]
START_UP = [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; print(len(settings.SECRET_KEY))"]


def run(cmd, **env_changes):
    env = production_env()
    for name, value in env_changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


def test_a_deployment_without_secret_key_does_not_start():
    result = run(START_UP, SECRET_KEY=None, CODE_HASH_KEY=None)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "SECRET_KEY" in result.stderr
    assert "https://ajanvaraus.example.fi" in result.stderr  # says why this counts as a deployment


def test_a_deployment_without_secret_key_fails_check_deploy():
    result = run(CHECK_DEPLOY, SECRET_KEY=None, CODE_HASH_KEY=None)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stdout + result.stderr


@pytest.mark.parametrize("published", [OLD_PUBLISHED_DEFAULT, "change-me-long-random"])
def test_a_deployment_with_a_published_secret_key_does_not_start_nor_pass_check_deploy(published):
    for cmd in (START_UP, CHECK_DEPLOY):
        result = run(cmd, SECRET_KEY=published)
        assert result.returncode != 0, result.stdout
        assert "SECRET_KEY" in result.stderr + result.stdout


def test_a_deployment_with_the_old_default_as_code_hash_key_fails():
    result = run(CHECK_DEPLOY, CODE_HASH_KEY=OLD_PUBLISHED_DEFAULT)
    assert result.returncode != 0
    assert "CODE_HASH_KEY" in result.stderr + result.stdout


@pytest.mark.parametrize("name", ["SECRET_KEY", "CODE_HASH_KEY"])
@pytest.mark.parametrize("weak", ["x" * 80, "0123456789abcdef0123456789", OLD_PUBLISHED_DEFAULT, "django-insecure-" + "k" * 40])
def test_check_deploy_refuses_short_monotonous_or_published_keys(settings, name, weak):
    from django.core.checks import run_checks

    settings.EMBEDDED_SECRET_KEY = False
    settings.SECRET_KEY, settings.CODE_HASH_KEY = "s" + secrets.token_urlsafe(64), "c" + secrets.token_urlsafe(64)
    assert not [e for e in run_checks(include_deployment_checks=True) if e.id.startswith("ajanvaraus.")]
    setattr(settings, name, weak)
    errors = [e for e in run_checks(include_deployment_checks=True) if e.id.startswith("ajanvaraus.")]
    assert [e.msg.split(" ")[0] for e in errors] == [name] and errors[0].is_serious()
    assert not [e for e in run_checks() if e.id.startswith("ajanvaraus.")]  # a deployment check only


def test_check_deploy_warns_when_code_hash_key_is_secret_key(settings):
    from django.core.checks import run_checks

    settings.EMBEDDED_SECRET_KEY = False
    settings.SECRET_KEY = settings.CODE_HASH_KEY = secrets.token_urlsafe(64)
    assert [e.id for e in run_checks(include_deployment_checks=True) if e.id.startswith("ajanvaraus.")] == ["ajanvaraus.W001"]


def test_check_deploy_refuses_the_embedded_development_key_even_without_https():
    """`check --deploy` on settings that would run on the key kept in var/ is not a deployment."""
    result = run(CHECK_DEPLOY, SECRET_KEY=None, CODE_HASH_KEY=None, SITE_URL="http://127.0.0.1:8000")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr and "var/" in result.stderr


def test_the_embedded_default_makes_a_key_once_and_keeps_it_private(tmp_path):
    from config import keys

    path = tmp_path / "secret_key"
    first = keys.stored_key(path)
    assert len(first) >= 50 and len(set(first)) > 20 and keys.weakness(first) is None
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keys.stored_key(path) == first  # reused, not made again
    assert path.read_text().strip() == first
    assert keys.stored_key(tmp_path / "other") != first  # random, not a constant


def test_processes_starting_together_agree_on_one_key(tmp_path):
    """daphne and the Celery worker start at the same moment under `make run`: one key for all."""
    from config import keys

    path = tmp_path / "secret_key"
    got, barrier = [], threading.Barrier(8)

    def start():
        barrier.wait()
        got.append(keys.stored_key(path))

    threads = [threading.Thread(target=start) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 8 and len(set(got)) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]  # no temporary files left


def test_make_run_and_the_tests_need_no_key_and_share_the_one_in_var():
    """Two processes started together (daphne and Celery under `make run`) use the same key, the one in var/."""
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "CODE_HASH_KEY", "SITE_URL", "DEBUG")}
    probe = [sys.executable, "-c",
             "import django; django.setup(); from django.conf import settings as s; print(s.SECRET_KEY); print(s.CODE_HASH_KEY)"]
    procs = [subprocess.Popen(probe, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=60)[0].split() for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    assert outs[0] == outs[1]
    secret, code_key = outs[0]
    assert secret == (ROOT / "var" / "secret_key").read_text().strip()
    assert code_key != secret and len(code_key) >= 50  # derived, with its own purpose


def test_code_hash_key_is_derived_from_secret_key_when_not_given():
    from config import keys

    assert keys.derived_key("a" * 64, "code-hash") == keys.derived_key("a" * 64, "code-hash")
    assert keys.derived_key("a" * 64, "code-hash") != keys.derived_key("b" * 64, "code-hash")
    assert keys.derived_key("a" * 64, "code-hash") != keys.derived_key("a" * 64, "other")
    assert "a" * 64 not in keys.derived_key("a" * 64, "code-hash")
