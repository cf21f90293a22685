#!/usr/bin/env bash
# Builds the page and serves www/ on http://127.0.0.1:${PORT:-8000}/ with a plain static server.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build-web.sh
echo "btlab: http://127.0.0.1:${PORT:-8000}/"
exec python3 -m http.server --bind 127.0.0.1 --directory www "${PORT:-8000}"
