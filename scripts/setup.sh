#!/usr/bin/env bash
# One-time set-up on a fresh Debian machine: system packages, a virtualenv, the project.
# Idempotent: a second run only re-installs the project when pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v tesseract >/dev/null || need_apt+=(tesseract-ocr)
[ -n "$(ls /usr/share/tesseract-ocr/*/tessdata/ita.traineddata 2>/dev/null)" ] || need_apt+=(tesseract-ocr-ita)
command -v soffice >/dev/null || need_apt+=(libreoffice-writer-nogui)
command -v pdftoppm >/dev/null || need_apt+=(poppler-utils)
[ -d /usr/share/fonts/truetype/liberation ] || need_apt+=(fonts-liberation)
if [ ${#need_apt[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
stamp=.venv/.setup-stamp
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install -q --upgrade pip >/dev/null
    .venv/bin/python -m pip install -q -e ".[dev]"
    touch "$stamp"
fi
