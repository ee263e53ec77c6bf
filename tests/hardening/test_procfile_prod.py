"""The production process set (Procfile.prod, mirrored by deploy/systemd/) starts for real: two daphne
processes that both answer, a Celery worker that connects and is ready, and one beat."""

import os
import signal
import subprocess
import threading
import time
import urllib.request

import pytest

from tests.hardening import live

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]


def test_procfile_prod_runs_two_web_processes_a_worker_and_beat(tmp_path, service, worker):
    redis_port = live.free_port()
    redis = live.start_redis(redis_port)
    web1, web2 = live.free_port(), live.free_port()
    env = live.server_env(
        WEB1_PORT=web1, WEB2_PORT=web2, REDIS_URL=f"redis://127.0.0.1:{redis_port}/6",
        CELERY_BEAT_SCHEDULE=str(tmp_path / "beat-schedule"), CELERY_CONCURRENCY=1,
    )
    proc = subprocess.Popen([str(live.ROOT / ".venv/bin/honcho"), "-f", "Procfile.prod", "start"], cwd=live.ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    output: list[str] = []
    threading.Thread(target=lambda: output.extend(proc.stdout), daemon=True).start()
    try:
        for port in (web1, web2):
            live.wait_port(port, timeout=40)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/services/", timeout=10) as r:
                assert r.status == 200 and b"vanhempainpuhelin" in r.read()
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and not any("ready." in line for line in output):
            time.sleep(0.2)
        text = "".join(output)
        assert "worker@" in text and "ready." in text, text[-3000:]
        assert "beat: Starting" in text, text[-3000:]
        assert proc.poll() is None, text[-3000:]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        live.stop(redis)
