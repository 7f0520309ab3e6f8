# Casefile: `make run` and `make test` set everything up on first use.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# Python 3.13 when present (security fixes for zip and email parsing), else python3.
PYTHON ?= $(shell for p in python3.13 $$(ls -d $$HOME/.pyenv/versions/3.13*/bin/python3.13 /usr/local/bin/python3.13 2>/dev/null) python3; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; assert sys.version_info >= (3, 11)' >/dev/null 2>&1; then echo $$p; break; fi; done)
APT_PACKAGES := tesseract-ocr tesseract-ocr-eng tesseract-ocr-osd poppler-utils fonts-dejavu-core unzip
# the browser tests (tests/web, Playwright) drive Debian's chromium: the registries here have no browser downloads
APT_PACKAGES += chromium
# the import-imap tests run a real IMAP server (dovecot, as the current user, in a temp dir)
APT_PACKAGES += dovecot-imapd
# Language packs for OCR: CASEFILE_OCR_LANGUAGES=eng+deu installs tesseract-ocr-deu too.
OCR_LANGS := $(subst +, ,$(or $(CASEFILE_OCR_LANGUAGES),eng))
APT_PACKAGES += $(foreach l,$(OCR_LANGS),tesseract-ocr-$(l))
BENCH_PACKAGES := ocrmypdf zip
# bench/ingest_pst.py measures readpst (pst-utils) converting the same PST, its memory with GNU time
BENCH_PACKAGES += pst-utils time
DATA ?= casefile-data
SAMPLE_ME := --me dana@whitfield-digital.example --me whitfield-digital.example

.PHONY: setup system-packages run test bench lint samples clean

setup: system-packages $(VENV)/.installed

system-packages:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing system packages:$$missing"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	@touch $@

run: setup
	$(VENV)/bin/casefile --data $(DATA) init $(SAMPLE_ME)
	$(VENV)/bin/casefile --data $(DATA) ingest sample_docs/northwind --client northwind
	$(VENV)/bin/casefile --data $(DATA) ingest sample_docs/bluebird --client bluebird
	$(VENV)/bin/casefile --data $(DATA) serve

test: setup
	$(PY) -m pytest -q

bench: setup
	@missing=""; for p in $(BENCH_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; fi
	@for script in bench/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

lint: setup
	$(VENV)/bin/ruff check app ingest tests bench sample_docs

samples: setup
	$(PY) sample_docs/make_samples.py

clean:
	rm -rf $(VENV) $(DATA) .pytest_cache
