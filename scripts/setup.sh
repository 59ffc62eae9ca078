#!/usr/bin/env bash
# One-time set-up on a fresh Debian machine: system packages, a virtualenv, the project.
# Idempotent: a second run only re-installs the project when pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v python3 >/dev/null || need_apt+=(python3)
# Debian's python3 makes venvs only with python3-venv (ensurepip).
command -v python3 >/dev/null && python3 -c 'import ensurepip' 2>/dev/null || need_apt+=(python3-venv)
command -v tesseract >/dev/null || need_apt+=(tesseract-ocr)
[ -n "$(ls /usr/share/tesseract-ocr/*/tessdata/ita.traineddata 2>/dev/null)" ] || need_apt+=(tesseract-ocr-ita)
command -v soffice >/dev/null || need_apt+=(libreoffice-writer-nogui)
# Calc: tests recompute the formulas of risultati.xlsx (piao results) with LibreOffice.
[ -n "$(ls /usr/lib/libreoffice/program/libsclo.so 2>/dev/null)" ] || need_apt+=(libreoffice-calc-nogui)
command -v pdftoppm >/dev/null || need_apt+=(poppler-utils)
[ -d /usr/share/fonts/truetype/liberation ] || need_apt+=(fonts-liberation)
# PostgreSQL server binaries: tests/test_database.py starts a throwaway server (initdb/pg_ctl).
[ -n "$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null)" ] || need_apt+=(postgresql)
# initdb refuses root: the tests run the server as another user through runuser (util-linux).
command -v runuser >/dev/null || need_apt+=(util-linux)
if [ ${#need_apt[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
    echo "setup: piao needs Python 3.11 or newer (found $(python3 --version 2>&1))" >&2; exit 1; }
# A venv whose creation failed half-way (no pip inside) is made again, not reused.
.venv/bin/python -m pip --version >/dev/null 2>&1 || { rm -rf .venv; python3 -m venv .venv; }
stamp=.venv/.setup-stamp
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install -q --upgrade pip >/dev/null
    .venv/bin/python -m pip install -q -e ".[dev]"
    touch "$stamp"
fi
