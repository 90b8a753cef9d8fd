# The engine against an external Postgres with pgvector (ASOTO_DATABASE_URL). The offline models
# are inside the Python packages, so the image needs no network at run time.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    ASOTO_HOME=/data \
    ASOTO_LOG_FORMAT=json

WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install . \
    && useradd --create-home --uid 10001 asoto \
    && mkdir -p /data \
    && chown asoto /data

USER asoto
EXPOSE 2024
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:2024/ok', timeout=2)"
# the API only: workers are their own service (compose.yaml), scaled on their own
CMD ["asoto", "serve", "--host", "0.0.0.0", "--port", "2024", "--no-worker"]
