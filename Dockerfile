# minted-sandbox: the Minted Connect partner API sandbox on http://0.0.0.0:8000, its SQLite file in /data.
#
#   docker build -t minted-sandbox .
#   docker run --rm -p 8000:8000 -v minted-sandbox-data:/data minted-sandbox
#
# Every setting is a SANDBOX_* variable (`minted-sandbox serve --help` lists them), e.g.
# `-e SANDBOX_SEED=7 -e SANDBOX_ORDERS=2000 -e SANDBOX_CONTROL_TOKEN=…`. The same image runs the example
# webhook receiver (docker-compose.yml runs both):
#   docker run --rm -p 9000:9000 --no-healthcheck minted-sandbox \
#     minted-sandbox webhook-receiver --host 0.0.0.0 --port 9000 --secret whsec_…

# -- build: install the project and its dependencies into /opt/venv ---------------------------------
FROM python:3.12-slim AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore

RUN python -m venv /opt/venv
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY sandbox ./sandbox
# fixtures/ goes into the wheel as sandbox.fixtures (golden order, scenarios, legal texts; setup.py).
COPY fixtures ./fixtures
RUN /opt/venv/bin/pip install --no-compile . \
 && /opt/venv/bin/pip uninstall --yes pip setuptools
# Wheels ship their compiled modules with debug info (uvloop's alone is 13 MB, 1.6 MB without it).
RUN apt-get update && apt-get install -y --no-install-recommends binutils && rm -rf /var/lib/apt/lists/* \
 && find /opt/venv -name '*.so' -exec strip --strip-debug {} +
# Installed with --no-compile: slim_venv.py compiles only what a run imports, and drops the Faker locales
# and Swagger UI source maps a run never reads (about 30 MB less in all; see its docstring).
# (-I and /tmp: the warm-up must import the installed package and its fixtures, not the source tree in /src.)
COPY scripts/slim_venv.py /tmp/
RUN cd /tmp && /opt/venv/bin/python -I /tmp/slim_venv.py && rm /tmp/slim_venv.py

# -- run: the venv (the fixtures inside), a non-root user -------------------------------------------
FROM python:3.12-slim

RUN groupadd --gid 10001 sandbox \
 && useradd --uid 10001 --gid sandbox --home-dir /app --no-create-home --shell /usr/sbin/nologin sandbox \
 && mkdir /data && chown sandbox:sandbox /data

COPY --from=build /opt/venv /opt/venv
WORKDIR /app

# MINTED_SANDBOX_CONTAINER: an unwritable /data is then explained as the volume's owner versus uid 10001.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MINTED_SANDBOX_CONTAINER=1 \
    SANDBOX_HOST=0.0.0.0 \
    SANDBOX_PORT=8000 \
    SANDBOX_DATABASE_URL=sqlite:////data/sandbox.db

USER sandbox
VOLUME ["/data"]
EXPOSE 8000

# GET http://127.0.0.1:$SANDBOX_PORT/openapi.json, stdlib only; the first start seeds the world (about a
# second for the default 400 orders, longer for SANDBOX_ORDERS=100000), hence the start period.
HEALTHCHECK --interval=5s --timeout=5s --start-period=60s --retries=3 \
    CMD ["minted-sandbox", "healthcheck", "--timeout", "3"]

CMD ["minted-sandbox", "serve"]
