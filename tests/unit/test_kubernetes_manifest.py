"""docs/kubernetes.md's example manifest, read as kubectl would, against the sandbox it deploys: no
cluster runs it here, so these keep its settings, database URL, probes and selectors true."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.engine import make_url

from sandbox.config import IsolatedSettings

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "kubernetes.md").read_text(encoding="utf-8")
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")


def manifest() -> dict[str, dict[str, Any]]:
    """The page's manifest by `Kind/name`."""
    block = re.search(r"## The manifest\n\n```yaml\n(.*?)```", PAGE, re.DOTALL)
    assert block, "docs/kubernetes.md has no yaml block under '## The manifest'"
    objects = [item for item in yaml.safe_load_all(block.group(1)) if item]
    return {f"{item['kind']}/{item['metadata']['name']}": item for item in objects}


def container(workload: dict[str, Any]) -> dict[str, Any]:
    (only,) = workload["spec"]["template"]["spec"]["containers"]
    return only


def environment(workload: dict[str, Any], secret: dict[str, Any]) -> dict[str, str]:
    """The container's variables as the pod sees them, each secretKeyRef read from `secret`."""
    values = {}
    for variable in container(workload)["env"]:
        if "value" in variable:
            values[variable["name"]] = variable["value"]
        else:
            reference = variable["valueFrom"]["secretKeyRef"]
            assert reference["name"] == secret["metadata"]["name"]
            values[variable["name"]] = secret["stringData"][reference["key"]]
    return values


def test_kubernetes_sandbox_variables_are_settings_with_valid_values() -> None:
    objects = manifest()
    env = environment(objects["Deployment/minted-sandbox"], objects["Secret/minted-sandbox"])
    fields = {name.removeprefix("SANDBOX_").lower(): value for name, value in env.items()}
    # Settings ignore unknown names: a misspelt variable would be dropped without a word.
    assert [f"SANDBOX_{name.upper()}" for name in fields if name in IsolatedSettings.model_fields] == list(
        env
    )
    settings = IsolatedSettings(**fields)
    assert settings.allowed_hosts == ("minted-sandbox", "minted-sandbox.minted-sandbox.svc")
    assert settings.control_token == "change-me-control-token"
    assert settings.digest_secret == "change-me-a-long-random-digest-key"


def test_kubernetes_database_url_reaches_the_postgres_statefulset_as_its_user() -> None:
    objects = manifest()
    secret = objects["Secret/minted-sandbox"]
    postgres = objects["StatefulSet/minted-sandbox-postgres"]
    server = environment(postgres, secret)
    url = make_url(secret["stringData"]["database-url"])
    service = objects[f"Service/{url.host}"]
    assert url.drivername == "postgresql+psycopg"
    assert postgres["spec"]["serviceName"] == url.host
    assert service["spec"]["selector"] == postgres["spec"]["template"]["metadata"]["labels"]
    assert [port["port"] for port in service["spec"]["ports"]] == [url.port] == [5432]
    assert (url.username, url.password, url.database) == (
        server["POSTGRES_USER"],
        server["POSTGRES_PASSWORD"],
        server["POSTGRES_DB"],
    )


def test_kubernetes_replicas_are_probed_by_the_health_check_behind_their_service() -> None:
    objects = manifest()
    deployment = objects["Deployment/minted-sandbox"]
    sandbox = container(deployment)
    service = objects["Service/minted-sandbox"]
    assert deployment["spec"]["replicas"] == 2
    # The image's own HEALTHCHECK command, and the port the image serves on.
    healthcheck = re.search(r"^HEALTHCHECK .*\\\n\s+CMD (\[.*\])$", DOCKERFILE, re.MULTILINE)
    image_port = re.search(r"^\s+SANDBOX_PORT=(\d+)", DOCKERFILE, re.MULTILINE)
    assert healthcheck and image_port
    for probe in ("startupProbe", "readinessProbe"):
        assert sandbox[probe]["exec"]["command"] == json.loads(healthcheck.group(1))
    assert "livenessProbe" not in sandbox  # a restart brings no database back (the page says why)
    assert service["spec"]["selector"] == deployment["spec"]["template"]["metadata"]["labels"]
    (port,) = service["spec"]["ports"]
    assert sandbox["ports"] == [{"name": port["targetPort"], "containerPort": int(image_port.group(1))}]
