"""The deployment artifacts' facts, checked without a Docker engine: the Dockerfile, .dockerignore,
docker-compose.yml, the Prometheus config and the systemd unit refer to things that exist, and the
commands they run are real niftybot commands."""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import sys
import tomllib
from datetime import datetime
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from core.config.settings import Settings
from tests.ops.dockerfile import (
    DockerIgnore,
    Instruction,
    Stage,
    files_under,
    interpolate,
    parse_dockerfile,
    variables,
)

REPO = Path(__file__).resolve().parents[2]
BASE_IMAGE = "python:3.11-slim"
SETTINGS = {name.upper() for name in Settings.model_fields}
# Variables the image or Compose set for the runtime rather than for niftybot's Settings.
RUNTIME_ENV = {"PATH", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE", "MPLBACKEND", "MPLCONFIGDIR"}
RUNTIME_ENV |= {"XDG_CACHE_HOME"}
COMPOSE_ONLY = {"POSTGRES_PASSWORD", "GRAFANA_ADMIN_PASSWORD"}


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    return parse_dockerfile(REPO / "Dockerfile")


@pytest.fixture(scope="module")
def runtime(stages: list[Stage]) -> Stage:
    return stages[-1]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO / "docker-compose.yml").read_text("utf-8"))


@pytest.fixture(scope="module")
def dockerignore() -> DockerIgnore:
    return DockerIgnore((REPO / ".dockerignore").read_text("utf-8"))


def cli_parser():
    from bot import demo_cmd, run_cmd
    from core.cli import build_parser

    return build_parser([run_cmd, demo_cmd])


def console_script() -> str:
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]["scripts"]
    assert list(scripts) == ["niftybot"]
    return "niftybot"


def lock_pins() -> dict[str, str]:
    pins = {}
    for line in (REPO / "requirements.lock").read_text("utf-8").splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)", line)
        if m:
            pins[canonicalize_name(m.group(1))] = m.group(2)
    return pins


# ---- the Dockerfile -------------------------------------------------------------------------------
def test_every_stage_builds_on_python_311_slim_and_the_runtime_copies_the_builders_venv(stages):
    assert len(stages) >= 2, "multi-stage: a builder and a runtime"
    names = {s.name for s in stages if s.name}
    for stage in stages:
        assert stage.base == BASE_IMAGE or stage.base in names, stage.base
    builder, runtime = stages[0], stages[-1]
    copies = [c for c in runtime.all("COPY") if "from" in c.flags()]
    assert [c.flags()["from"] for c in copies] == [builder.name]
    venv = copies[0].words()[0]
    assert copies[0].words() == [venv, venv], "the venv keeps its path (its scripts' shebangs point there)"
    assert any(f"{venv}/bin" in v for v in runtime.env().values()), "the venv's bin is on PATH"
    assert not runtime.all("RUN") or all("pip install" not in r.args for r in runtime.all("RUN"))


def test_the_builder_installs_the_locked_dependencies_then_the_project_without_dependencies(stages):
    builder = stages[0]
    steps = builder.instructions
    lock_copy = next(i for i, s in enumerate(steps) if s.keyword == "COPY" and "requirements.lock" in s.args)
    installs = [(i, s.args) for i, s in enumerate(steps) if s.keyword == "RUN" and "pip install" in s.args]
    assert len(installs) == 2
    (dep_i, deps), (proj_i, project) = installs
    assert lock_copy < dep_i < proj_i
    assert re.search(r"--constraint requirements\.lock|-c requirements\.lock|-r requirements\.lock", deps)
    assert "pip check" in deps
    assert re.search(r"pip install --no-deps \.(\s|$)", project)
    # The dependency layer sees only the lock and pyproject.toml, so code changes keep it cached.
    code_copy = next(
        i for i, s in enumerate(steps) if s.keyword == "COPY" and s.words()[0] in ("bot", "core")
    )
    assert dep_i < code_copy < proj_i


def test_the_runtime_requirements_command_reads_pyprojects_dependencies(stages, tmp_path):
    """The builder's one-liner run here: it lists exactly [project.dependencies]."""
    run = next(s.args for s in stages[0].all("RUN") if "tomllib" in s.args)
    one_liner = run.split(">", 1)[0].strip()
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    out = subprocess.run(
        ["sh", "-c", one_liner.replace("python ", f"{sys.executable} ", 1)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    declared = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]["dependencies"]
    assert out == [d.replace(" ", "") for d in declared]


def runtime_closure() -> dict[str, str]:
    """niftybot's runtime dependencies, transitively, with the versions installed in this venv."""
    declared = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]["dependencies"]
    todo = [Requirement(r) for r in declared]
    seen: set[tuple[str, str]] = set()
    versions: dict[str, str] = {}
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        dist = metadata.distribution(req.name)
        versions[name] = dist.version
        for extra in ("", *sorted(req.extras)):
            if (name, extra) in seen:
                continue
            seen.add((name, extra))
            for text in dist.requires or []:
                sub = Requirement(text)
                if sub.marker is None or sub.marker.evaluate({"extra": extra}):
                    todo.append(sub)
    return versions


def test_the_lock_pins_every_runtime_dependency_so_the_constrained_install_cannot_float():
    pins = lock_pins()
    closure = runtime_closure()
    assert len(closure) > 40
    missing = sorted(set(closure) - set(pins))
    assert not missing, f"runtime dependencies the lock does not pin: {missing}"
    drift = {n: (v, pins[n]) for n, v in closure.items() if v != pins[n]}
    assert not drift, f"installed versions differ from the lock: {drift}"
    dev_only = {"pytest", "mypy", "ruff", "hypothesis", "numba", "py-vollib-vectorized"}
    assert not dev_only & set(closure), "test and bench tools stay out of the image"


def test_every_copy_source_exists_and_is_not_left_out_of_the_build_context(stages, dockerignore):
    sources = []
    for stage in stages:
        for copy in stage.all("COPY") + stage.all("ADD"):
            if "from" in copy.flags():
                continue
            sources += copy.words()[:-1]
    assert sources
    for src in sources:
        assert (REPO / src).exists(), f"COPY {src}: not in the repository"
        for rel in files_under(REPO, src):
            assert not dockerignore.excluded(rel), f"COPY {src}: {rel} is excluded by .dockerignore"


def test_the_runtime_runs_as_a_dedicated_non_root_user(runtime):
    users = runtime.all("USER")
    assert users, "a USER instruction in the runtime stage"
    user = users[-1].args.split(":")[0]
    assert user not in ("root", "0")
    assert user.isdigit(), "a numeric uid (resolvable on the host, hadolint DL3066)"
    assert any("useradd" in r.args and f"--uid {user}" in r.args for r in runtime.all("RUN"))
    assert any(f"chown {user}" in r.args or "chown niftybot" in r.args for r in runtime.all("RUN")), "/data"
    last_user = max(i for i, s in enumerate(runtime.instructions) if s.keyword == "USER")
    for keyword in ("CMD", "HEALTHCHECK"):
        idx = max(i for i, s in enumerate(runtime.instructions) if s.keyword == keyword)
        assert idx > last_user


def test_the_data_volume_and_the_env_defaults(runtime):
    env = runtime.env()
    assert [v.args for v in runtime.all("VOLUME")] == ['["/data"]']
    assert env["DATABASE_URL"] == "sqlite:////data/niftybot.db"
    assert env["LOG_DIR"] == "/data/logs"
    unknown = set(env) - SETTINGS - RUNTIME_ENV
    assert not unknown, f"ENV names that no setting reads: {unknown}"
    settings = Settings(_env_file=None, **{k.lower(): v for k, v in env.items() if k in SETTINGS})
    assert settings.database_url == "sqlite:////data/niftybot.db"
    assert settings.log_dir == Path("/data/logs")
    assert "ln -s /data /app/data" in " ".join(r.args for r in runtime.all("RUN"))
    assert [w.args for w in runtime.all("WORKDIR")] == ["/app"], "./data (the .env.example paths) is /data"


def healthcheck(runtime: Stage) -> tuple[list[str], dict[str, str]]:
    """The HEALTHCHECK's argv (exec form) and its options."""
    (hc,) = runtime.all("HEALTHCHECK")
    options, _, cmd = hc.args.partition("CMD")
    argv = Instruction("CMD", cmd.strip()).exec_form
    assert argv is not None, "HEALTHCHECK CMD in exec form"
    return argv, dict(option.split("=", 1) for option in options.split())


def test_the_healthcheck_is_the_quick_doctor(runtime):
    from core.cli import doctor_cmd

    argv, options = healthcheck(runtime)
    assert argv[0] == console_script()
    args = cli_parser().parse_args(argv[1:])
    assert args.handler is doctor_cmd._doctor
    assert args.quick is True
    assert int(options["--timeout"].rstrip("s")) >= 20, "the doctor imports pandas & co: give it time"
    assert int(options["--start-period"].rstrip("s")) >= 60, "run migrates the database first"


def test_the_default_command_runs_the_bot(runtime):
    from bot import run_cmd

    (cmd,) = runtime.all("CMD")
    argv = cmd.exec_form
    assert argv is not None, "exec form, so the bot is PID 1's child and gets SIGTERM"
    assert argv[0] == console_script()
    assert cli_parser().parse_args(argv[1:]).handler is run_cmd._run


def test_the_healthcheck_command_runs_on_a_configured_install(runtime, clean_env, monkeypatch):
    """The exact HEALTHCHECK argv in a process, as Docker runs it, on a configured install (the failing
    cases, exit 1 naming each check, are in test_doctor.py: the console script exits with main()'s code)."""
    from bot.cli import main
    from core.market_hours import default_calendar
    from core.ops.health import Level, check_calendar

    argv, _ = healthcheck(runtime)
    db, logs = f"sqlite:///{clean_env / 'data' / 'niftybot.db'}", str(clean_env / "logs")
    monkeypatch.setenv("DATABASE_URL", db)
    assert main(["db", "upgrade"]) == 0
    env = {k: v for k, v in os.environ.items() if k.upper() not in SETTINGS}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env |= {"DATABASE_URL": db, "LOG_DIR": logs}
    proc = subprocess.run(argv, env=env, cwd=clean_env, capture_output=True, text=True, timeout=120)
    # The doctor reads the wall clock: the packaged calendar decides what "healthy" means today.
    calendar_fatal = check_calendar(default_calendar(), datetime.now().astimezone()).level is Level.FATAL
    if calendar_fatal:
        assert proc.returncode == 1 and proc.stdout.strip().endswith("fatal: calendar"), proc.stdout
    else:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "[ok  ] database: reachable" in proc.stdout
    assert f"[ok  ] logs: {logs} writable" in proc.stdout


def test_hadolint_finds_nothing():
    hadolint = shutil.which("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is not installed (the Dockerfile's facts are checked above)")
    proc = subprocess.run([hadolint, str(REPO / "Dockerfile")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# ---- .dockerignore --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path",
    [".env", ".env.production", ".git/config", "data/niftybot.db", "data/logs/app.log", ".venv/bin/python",
     "demo-output/chain.png", "core/__pycache__/clock.cpython-311.pyc", ".pytest_cache/v/x",
     ".mypy_cache/3.11/x.json", ".ruff_cache/x", ".hypothesis/examples/x", "niftybot.egg-info/PKG-INFO"],
)  # fmt: skip
def test_dockerignore_keeps_secrets_state_and_caches_out(dockerignore, path):
    assert dockerignore.excluded(path)


@pytest.mark.parametrize(
    "path", ["pyproject.toml", "requirements.lock", "README.md", "bot/cli.py", "core/data/nse_calendar.yaml",
             "core/persistence/migrations/versions/0001_app_meta.py", "config/niftybot.example.yaml"],
)  # fmt: skip
def test_dockerignore_keeps_what_the_build_needs(dockerignore, path):
    assert not dockerignore.excluded(path)


def test_the_dockerignore_matcher_follows_dockers_rules():
    ignore = DockerIgnore("*.log\n!keep.log\n**/tmp\ndocs/\n")
    assert ignore.excluded("a.log") and not ignore.excluded("keep.log")
    assert not ignore.excluded("sub/a.log"), "a pattern without ** matches at the root only"
    assert ignore.excluded("x/y/tmp/file") and ignore.excluded("tmp")
    assert ignore.excluded("docs/index.md") and not ignore.excluded("docsx/a")


# ---- docker-compose.yml ---------------------------------------------------------------------------
def test_compose_builds_the_bot_from_this_dockerfile_with_sqlite_on_a_volume(compose):
    bot = compose["services"]["niftybot"]
    assert "profiles" not in bot, "the bot runs by default"
    build = bot["build"]
    assert (REPO / build["context"] / build["dockerfile"]).resolve() == REPO / "Dockerfile"
    env = bot["environment"]
    assert interpolate(env["DATABASE_URL"], {}) == "sqlite:////data/niftybot.db"
    assert interpolate(env["DATABASE_URL"], {"DATABASE_URL": ""}) == "sqlite:////data/niftybot.db"
    volume, target = bot["volumes"][0].split(":")
    assert target == "/data" and volume in compose["volumes"]
    assert "healthcheck" not in bot, "the image's HEALTHCHECK (the doctor) applies"


def test_compose_sets_only_variables_that_niftybot_reads(compose):
    for name, service in compose["services"].items():
        if name != "niftybot":
            continue
        assert set(service["environment"]) <= SETTINGS
    text = (REPO / "docker-compose.yml").read_text("utf-8")
    unknown = variables(text) - SETTINGS - COMPOSE_ONLY
    assert not unknown, f"interpolated variables that are neither settings nor documented: {unknown}"
    example = (REPO / ".env.example").read_text("utf-8")
    for var in variables(text) & SETTINGS:
        assert re.search(rf"^{var}=", example, re.M), f"{var} is not in .env.example"


def test_the_postgres_profile_and_the_documented_database_url_agree(compose):
    pg = compose["services"]["postgres"]
    assert pg["profiles"] == ["postgres"]
    assert compose["services"]["niftybot"]["depends_on"]["postgres"] == {
        "condition": "service_healthy",
        "required": False,
    }
    env = pg["environment"]
    documented = set()
    for doc in ("docker-compose.yml", "docs/operations.md"):
        documented |= set(re.findall(r"DATABASE_URL=(postgresql\+psycopg://\S+)", (REPO / doc).read_text()))
    assert documented, "the PostgreSQL DATABASE_URL is written down"
    password = interpolate(env["POSTGRES_PASSWORD"], {})
    for url in documented:
        m = re.fullmatch(r"postgresql\+psycopg://([^:]+):([^@]+)@([^:/]+):5432/(\w+)", url)
        assert m, url
        user, pw, host, db = m.groups()
        assert (user, host, db) == (env["POSTGRES_USER"], "postgres", env["POSTGRES_DB"])
        assert pw in (password, "<password>", "${POSTGRES_PASSWORD}")
    assert "postgres" in pg["healthcheck"]["test"][-1] or "pg_isready" in pg["healthcheck"]["test"][-1]


def test_the_monitoring_profile_scrapes_the_metrics_port(compose, runtime):
    prom = compose["services"]["prometheus"]
    assert prom["profiles"] == ["monitoring"]
    port = interpolate(compose["services"]["niftybot"]["environment"]["METRICS_PORT"], {})
    assert port in compose["services"]["niftybot"]["expose"]
    assert any(port in e.args.split() for e in runtime.all("EXPOSE"))
    config = yaml.safe_load((REPO / "deploy" / "prometheus.yml").read_text())
    targets = [t for job in config["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]]
    assert targets == [f"niftybot:{port}"]
    for rule_file in config["rule_files"]:
        assert (REPO / "deploy" / rule_file).exists()


def test_every_file_compose_mounts_exists(compose):
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            src = volume.split(":")[0]
            if src.startswith("."):
                assert (REPO / src).is_file(), f"{name}: {src}"
            else:
                assert src in compose["volumes"], f"{name}: undeclared volume {src}"


def test_the_grafana_provisioning_points_at_the_dashboard(compose):
    grafana = compose["services"]["grafana"]
    mounts = dict(v.split(":")[:2] for v in grafana["volumes"])
    dashboards = yaml.safe_load((REPO / "deploy/grafana/dashboards.yml").read_text())
    path = dashboards["providers"][0]["options"]["path"]
    assert mounts["./docs/grafana-dashboard.json"].startswith(path + "/")
    sources = yaml.safe_load((REPO / "deploy/grafana/datasources.yml").read_text())
    assert sources["datasources"][0]["url"] == "http://prometheus:9090"


# ---- systemd --------------------------------------------------------------------------------------
def read_unit() -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(REPO / "deploy" / "niftybot.service")
    return unit


def test_the_systemd_unit_runs_the_bot_from_a_venv_as_a_dedicated_user():
    from bot import run_cmd

    svc = read_unit()["Service"]
    assert svc["User"] not in ("root", "0") and svc["User"] == "niftybot"
    assert svc["Restart"] == "on-failure"
    assert svc["EnvironmentFile"].startswith("/etc/niftybot/")
    exe, *argv = svc["ExecStart"].split()
    assert exe.endswith(f"/venv/bin/{console_script()}")
    assert cli_parser().parse_args(argv).handler is run_cmd._run
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes",
                       "PrivateTmp": "yes", "CapabilityBoundingSet": ""}.items():  # fmt: skip
        assert svc[key] == value, key
    assert svc["StateDirectory"] == "niftybot"
    assert "StartLimitBurst" in read_unit()["Unit"]


def test_systemd_analyze_accepts_the_unit(tmp_path):
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed")
    exe = shutil.which(console_script(), path=str(Path(sys.executable).parent))
    assert exe
    text = (REPO / "deploy" / "niftybot.service").read_text()
    unit = tmp_path / "niftybot.service"
    unit.write_text(text.replace("/opt/niftybot/venv/bin/niftybot", exe))
    proc = subprocess.run([tool, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Unknown key" not in proc.stderr
