# gradcards: a self-hosted image. Build: docker build -t gradcards .
# Run:   docker run -p 8000:8000 -v gradcards-data:/data gradcards
# Own decks: add -v "$PWD/my-decks:/decks" (loaded beside the bundled decks at every start).

# --- the dependency list alone, so the dependency layer is rebuilt only when it changes ----
FROM python:3.11-slim AS requirements
WORKDIR /src
COPY pyproject.toml ./
RUN python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
print('\n'.join(p['dependencies'] + p['optional-dependencies']['postgres']))" > requirements.txt

# --- build stage: turn the source into a wheel --------------------------------------------
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/build \
    && /opt/build/bin/pip install --no-cache-dir "build>=1.2,<2" "hatchling>=1.21"
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
COPY content ./content
RUN /opt/build/bin/python -m build --wheel --no-isolation --outdir /dist .

# --- final stage: the wheel in a virtualenv, run as a non-root user ----------------------
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    GRADCARDS_DATA_DIR=/data \
    GRADCARDS_EXTRA_CONTENT_DIR=/decks \
    GRADCARDS_HOST=0.0.0.0 \
    GRADCARDS_PORT=8000 \
    GRADCARDS_WORKERS=2
RUN useradd --system --uid 10001 --user-group --home-dir /data --no-create-home gradcards \
    && mkdir -p /data /decks \
    && chown gradcards:gradcards /data /decks
COPY --from=requirements /src/requirements.txt /tmp/requirements.txt
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt
COPY --from=build /dist/ /tmp/dist/
# --no-deps: every dependency is in the layer above; this layer is only the app itself.
RUN /opt/venv/bin/pip install --no-cache-dir --no-deps /tmp/dist/*.whl \
    && rm -rf /tmp/dist
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000
# No curl in the image: Python itself asks /healthz (200 only when the database answers).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('GRADCARDS_PORT', '8000'), timeout=4)"]
# `serve` migrates the database and loads the decks once, then starts GRADCARDS_WORKERS workers.
CMD ["gradcards", "serve"]
