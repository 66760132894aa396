#!/usr/bin/env bash
# The prompts in Bahasa Indonesia, from the one list in kernel/prompts.py: `siaga prompts make` speaks each
# with espeak-ng and converts it with sox to what Asterisk plays (8 kHz mono 16-bit WAV). Idempotent: a
# prompt already made from the same text is kept. Usage: make-prompts.sh [DIR] (after scripts/setup.sh
# made .venv; `siaga prompts list` shows them all).
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/siaga prompts make "${1:-/var/cache/siaga/prompts}"
