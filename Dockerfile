# The consulta service image: `consulta serve` by default; the same image runs the migrations
# (`consulta db upgrade`) and, in docker-compose.yml, the development mail server.
FROM python:3.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PROJECT_ENVIRONMENT=/opt/consulta \
    PATH=/opt/consulta/bin:$PATH

RUN pip install --no-cache-dir uv==0.13.9

WORKDIR /app
# Dependencies first, from the lock file, so a code change does not reinstall them.
COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-dev --no-install-project
COPY consultation ./consultation
COPY store ./store
COPY mail ./mail
COPY bot ./bot
COPY web ./web
COPY service ./service
COPY templates ./templates
COPY README.md ./
RUN uv sync --locked --no-dev --no-editable

RUN useradd --system --uid 10001 --home-dir /var/lib/consulta --create-home consulta
USER consulta
WORKDIR /var/lib/consulta

# /healthz, /readyz and Slack's requests (HTTP mode)
ENV CONSULTA_HTTP__HOST=0.0.0.0 CONSULTA_HTTP__PORT=8080 CONSULTA_LOG__FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"
STOPSIGNAL SIGTERM
CMD ["consulta", "serve"]
