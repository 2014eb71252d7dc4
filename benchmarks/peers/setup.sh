#!/usr/bin/env bash
# Create .venv-peers at the repository root and install the pinned peer systems into it.
# The peers live in their own virtualenv so that their dependencies never mix with the project's.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$root/.venv-peers"
python="${PYTHON:-python3}"
if [[ ! -x "$venv/bin/python" ]]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -r "$here/requirements.txt"
"$venv/bin/python" - <<'PY'
from importlib import metadata
for dist in ("pgqueuer", "procrastinate", "celery", "huey", "APScheduler", "SQLAlchemy", "psycopg", "asyncpg", "redis"):
    print(f"{dist}=={metadata.version(dist)}")
PY
echo "peers installed in $venv"
