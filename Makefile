# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
export DJANGO_SETTINGS_MODULE ?= config.settings
# Links the app prints or mails (the demo code's join link, reminders, calendar files) point here.
export SITE_URL ?= http://$(HOST):$(PORT)

.PHONY: run test venv migrate seed serve messages lint clean totp

$(BIN)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

venv: $(BIN)/.installed

messages: venv
	@if command -v msgfmt >/dev/null; then $(BIN)/python manage.py compilemessages --ignore=.venv -v 0; else echo "msgfmt not found: using the committed .mo files"; fi

migrate: venv
	$(BIN)/python manage.py migrate --noinput -v 0

seed: migrate
	$(BIN)/python manage.py seed_demo

# The demo lets a newcomer try the drop-in chat at any hour: open around the clock (demo only;
# `make run DROPIN_ALWAYS_OPEN=0` for the real opening hours).
run: export DROPIN_ALWAYS_OPEN ?= 1
run: venv messages seed
	@echo ""
	@echo "  Appointment chat running at  http://$(HOST):$(PORT)/"
	@echo "  Staff sign-in:               http://$(HOST):$(PORT)/accounts/login/"
	@echo "  Demo logins (password demo-pass-2026):"
	@echo "    worker       tuija@demo.mll.fi  (also sanna@, mikko@)"
	@echo "    coordinator  koordinaattori@demo.mll.fi"
	@echo "    admin        admin@demo.mll.fi   (Django admin at /admin/)"
	@echo "  Two-factor code for the demo logins: run 'make totp' in another terminal"
	@echo "    (or add the TOTP secret MLLDEMOMLLDEMOMLLDEMOMLLDEMO2345 to an authenticator app)"
	@echo "  To try the chat now, use the demo code printed above under 'Try the chat now'."
	@echo "  Drop-in chat (open around the clock in the demo, DROPIN_ALWAYS_OPEN=$(DROPIN_ALWAYS_OPEN)): a parent starts at"
	@echo "    http://$(HOST):$(PORT)/dropin/ ; volunteers aino@demo.mll.fi (also eero@) sign in, press 'I am here'"
	@echo "    and 'Take the next parent'; the coordinator's duty room is at /staff/dropin/room/"
	@echo ""
	HOST=$(HOST) PORT=$(PORT) $(BIN)/honcho -f Procfile.dev start

test: venv messages
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/python manage.py check

clean:
	rm -rf $(VENV) var staticfiles

totp: venv
	@$(BIN)/python -c "import pyotp; print('Current two-factor code for the demo logins:', pyotp.TOTP('MLLDEMOMLLDEMOMLLDEMOMLLDEMO2345').now())"
