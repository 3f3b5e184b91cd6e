"""deploy/compose.yaml as shipped: every service the deployment needs, with health checks and
restart policies, and every file, module and setting it names really there. Docker's engine is
not needed: the file is read with PyYAML, and `docker compose config` (or `docker-compose config`)
checks it too where the command is installed.
"""

import importlib.util
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.settings import PROJECT_ROOT, Settings
from tests.proxy_helpers import SHIPPED, derived_config, nginx_binary

DEPLOY = PROJECT_ROOT / "deploy"
COMPOSE = DEPLOY / "compose.yaml"
LONG_RUNNING = ("proxy", "app1", "app2", "worker", "db", "backup")


def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text())
    assert isinstance(loaded, dict)
    return loaded


def services() -> dict[str, dict[str, Any]]:
    found = compose()["services"]
    assert isinstance(found, dict)
    return found


def test_the_deployment_has_a_proxy_two_instances_a_sender_a_database_and_a_migration() -> None:
    found = services()

    assert {"proxy", "app1", "app2", "worker", "db", "migrate", "backup"} <= set(found)
    for name in ("app1", "app2"):
        assert found[name]["command"][:4] == ["python", "-m", "app", "serve"]
        assert found[name]["environment"]["SENDER_IN_SERVE"] == "false"
    assert found["worker"]["command"] == ["python", "-m", "app", "worker"]
    assert found["migrate"]["command"] == ["python", "-m", "app", "migrate"]
    assert found["migrate"]["restart"] == "no"  # one-shot


def test_every_long_running_service_has_a_health_check_and_restarts() -> None:
    found = services()
    for name in LONG_RUNNING:
        assert found[name]["restart"] in ("unless-stopped", "always"), name
    for name in ("proxy", "app1", "app2", "worker", "db"):
        assert found[name]["healthcheck"]["test"][0] in ("CMD", "CMD-SHELL"), name
    for name in ("app1", "app2"):
        assert "/readyz" in " ".join(found[name]["healthcheck"]["test"])


def test_instances_start_after_the_migration_and_the_proxy_after_healthy_instances() -> None:
    found = services()
    for name in ("app1", "app2", "worker"):
        depends = found[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["db"]["condition"] == "service_healthy", name
    assert found["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    proxy_needs = found["proxy"]["depends_on"]
    assert {name: need["condition"] for name, need in proxy_needs.items()} == {
        "app1": "service_healthy",
        "app2": "service_healthy",
    }


def test_only_the_proxy_is_trusted_for_forwarded_addresses() -> None:
    found = services()
    proxy_address = found["proxy"]["networks"]["card"]["ipv4_address"]
    for name in ("app1", "app2"):
        assert found[name]["environment"]["FORWARDED_ALLOW_IPS"] == proxy_address
    assert "X-Forwarded-For $remote_addr;" in SHIPPED.read_text()


def test_every_file_the_deployment_names_is_in_the_repository() -> None:
    found = services()
    build = found["app1"]["build"]
    context = (DEPLOY / build["context"]).resolve()
    assert (context / build["dockerfile"]).is_file()
    bind_mounts = [
        volume.split(":")[0]
        for service in found.values()
        for volume in service.get("volumes", [])
        if volume.startswith(".")
    ]
    assert "./nginx/nginx.conf" in bind_mounts
    assert "./backup.sh" in bind_mounts and "./restore.sh" in bind_mounts
    for source in bind_mounts:
        assert (DEPLOY / source).exists(), source
    for script in ("backup.sh", "restore.sh"):
        assert (DEPLOY / script).stat().st_mode & 0o111, f"{script} is not executable"
    # Named volumes are declared; no env_file (settings come from deploy/.env, never shipped).
    named = {
        volume.split(":")[0]
        for service in found.values()
        for volume in service.get("volumes", [])
        if not volume.startswith((".", "/"))
    }
    assert named <= set(compose()["volumes"])
    assert not any("env_file" in service for service in found.values())


def test_every_python_module_a_service_runs_exists() -> None:
    for name, service in services().items():
        commands = [service.get("command") or []]
        test = service.get("healthcheck", {}).get("test", [])
        commands.append(test[1:] if test and test[0] == "CMD" else [])
        for command in commands:
            if command[:2] == ["python", "-m"]:
                assert importlib.util.find_spec(command[2]) is not None, (name, command)


def test_every_setting_the_deployment_reads_is_a_setting_and_documented_in_the_example() -> None:
    text = COMPOSE.read_text()
    example = (DEPLOY / "env.example").read_text()
    for variable in set(re.findall(r"\$\{([A-Z_]+)", text)) - {"CARD_VERSION"}:
        assert re.search(rf"^{variable}=", example, re.MULTILINE), variable
    for name in services()["app1"]["environment"]:
        assert name.lower() in Settings.model_fields, name


def test_the_proxy_sends_requests_to_the_instances_compose_starts() -> None:
    config = SHIPPED.read_text()
    upstreams = re.findall(r"^\s*server (\w+):8000\b", config, re.MULTILINE)
    assert upstreams == ["app1", "app2"]
    # nginx resolves them once: a recreated instance must keep its address.
    addresses = [services()[name]["networks"]["card"]["ipv4_address"] for name in upstreams]
    assert len(set(addresses)) == 2
    assert set(services()["proxy"]["ports"]) == {"80:80", "443:443"}


def test_the_shipped_proxy_configuration_is_accepted_by_nginx(tmp_path: Path) -> None:
    binary = nginx_binary()
    if binary is None:
        pytest.skip("nginx is not installed (apt-get install -y nginx; .ci/run does)")
    for name in ("tmp", "cache", "acme"):
        (tmp_path / name).mkdir()
    conf = tmp_path / "nginx.conf"
    conf.write_text(derived_config(SHIPPED.read_text(), tmp_path, [18001, 18002], 18080, 18443))

    checked = subprocess.run(
        [binary, "-t", "-p", str(tmp_path), "-c", str(conf)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert checked.returncode == 0, checked.stderr


def docker_compose() -> list[str] | None:
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    ):
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_docker_compose_accepts_the_file(tmp_path: Path) -> None:
    command = docker_compose()
    if command is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed")
    env_file = tmp_path / "deploy.env"
    env_file.write_text(
        (DEPLOY / "env.example").read_text() + "SECRET_KEY=s\nDATA_KEY=d\nPOSTGRES_PASSWORD=p\n"
    )
    base = [*command, "-f", str(COMPOSE), "--env-file", str(env_file)]

    checked = subprocess.run([*base, "config", "-q"], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr

    # Without the secrets it refuses to start at all, naming what is missing.
    unset = tmp_path / "unset.env"
    unset.write_text("PUBLIC_BASE_URL=https://card.example.org\n")
    refused = subprocess.run(
        [*command, "-f", str(COMPOSE), "--env-file", str(unset), "config", "-q"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode != 0
    assert "set POSTGRES_PASSWORD in deploy/.env" in refused.stderr + refused.stdout
