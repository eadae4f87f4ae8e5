# Sourced by ./consulta and scripts/test: puts a working `uv` in $UV, installing it if needed.
if command -v uv >/dev/null 2>&1; then
  UV=(uv)
elif python3 -m uv --version >/dev/null 2>&1; then
  UV=(python3 -m uv)
else
  echo "consulta: installing uv (Python package manager) with pip…" >&2
  python3 -m pip install --quiet --disable-pip-version-check uv >&2 \
    || python3 -m pip install --quiet --disable-pip-version-check --user uv >&2
  UV=(python3 -m uv)
fi
