# The consequences card as one container: migrations run on start, then the web service.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    APP_ENV=production \
    VAR_DIR=/app/var

WORKDIR /app
RUN useradd --create-home --uid 10001 card

COPY pyproject.toml README.md ./
COPY app ./app
RUN pip install .
COPY content ./content
COPY migrations ./migrations
RUN mkdir -p /app/var && chown card:card /app/var

USER card
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

# `serve` applies pending migrations before it starts answering.
CMD ["python", "-m", "app", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
