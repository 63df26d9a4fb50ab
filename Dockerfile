# niftybot: the Telegram desk for NIFTY options paper trading (it never places a real order).
#
#   docker build -t niftybot .
#   docker run -d --name niftybot --env-file .env -v niftybot-data:/data niftybot
#
# or `docker compose up -d` (docker-compose.yml). Operations: docs/operations.md.

# ---- builder: a virtualenv with the locked dependencies, then the project itself ------------------
FROM python:3.11-slim AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/niftybot
ENV PATH=/opt/niftybot/bin:$PATH
WORKDIR /src

# Dependencies first, in their own layer (rebuilt only when the lock or pyproject.toml changes): the
# runtime dependencies that pyproject.toml declares, every version pinned by requirements.lock. The lock
# also pins the test, lint and benchmark tools (pytest, mypy, numba ...), which the image leaves out.
COPY requirements.lock pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > runtime-requirements.txt \
 && pip install --requirement runtime-requirements.txt --constraint requirements.lock \
 && pip check

# The project itself, without dependencies (they are all in place and pinned above).
COPY README.md ./
COPY bot ./bot
COPY core ./core
RUN pip install --no-deps . \
 && niftybot --help > /dev/null

# ---- runtime: the virtualenv, a non-root user and the data volume ----------------------------------
FROM python:3.11-slim AS runtime

LABEL org.opencontainers.image.title="niftybot" \
      org.opencontainers.image.description="Telegram chat-ops desk for NIFTY index options paper trading" \
      org.opencontainers.image.licenses="MIT"

# /data holds everything that must survive the container: the SQLite file, logs, recordings, caches.
# /app/data points at it, so the relative defaults (./data/...) of .env.example land in the volume too.
RUN groupadd --system --gid 10001 niftybot \
 && useradd --system --uid 10001 --gid niftybot --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin niftybot \
 && mkdir -p /app/config /data \
 && ln -s /data /app/data \
 && chown niftybot:niftybot /data

COPY --from=builder /opt/niftybot /opt/niftybot
COPY config/niftybot.example.yaml /app/config/niftybot.example.yaml

ENV PATH=/opt/niftybot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MPLBACKEND=Agg \
    MPLCONFIGDIR=/data/cache/matplotlib \
    XDG_CACHE_HOME=/data/cache \
    DATABASE_URL=sqlite:////data/niftybot.db \
    LOG_DIR=/data/logs \
    MARKET_DATA=simulated \
    TELEGRAM_WEBHOOK_LISTEN=0.0.0.0 \
    TELEGRAM_WEBHOOK_PORT=8443

WORKDIR /app
USER 10001:10001
VOLUME ["/data"]
# 9108: Prometheus metrics when METRICS_PORT=9108; 8443: the webhook server when TELEGRAM_WEBHOOK_URL is set.
EXPOSE 9108 8443

# The health checks without network calls (config, database and schema, calendar, log dir, disk).
HEALTHCHECK --interval=60s --timeout=30s --start-period=90s --retries=3 \
    CMD ["niftybot", "doctor", "--quick"]

CMD ["niftybot", "run"]
