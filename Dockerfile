# calendar-audit serve in a container: an unprivileged user, settings in /config, the store in /data.
# Build: docker build -t calendar-audit .   Run: see README "Run the service" > "In a container".
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY calendar_audit ./calendar_audit
COPY rules ./rules
RUN pip install . && useradd --system --home /data --shell /usr/sbin/nologin calendar-audit \
    && mkdir -p /data /config && chown calendar-audit /data

USER calendar-audit
VOLUME ["/data"]
EXPOSE 8000
# 0.0.0.0 inside the container only; publish the port on the host's loopback, behind the TLS proxy.
CMD ["calendar-audit", "serve", "--config", "/config/calendar-audit.toml", "--host", "0.0.0.0"]
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
