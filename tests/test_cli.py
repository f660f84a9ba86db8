"""The `liveblog` command as an operator uses it, and the installed package serving pages."""

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import httpx
import pytest
from argon2 import extract_parameters
from argon2.profiles import RFC_9106_LOW_MEMORY

from liveblog.auth import check_password
from liveblog.db import make_engine
from liveblog.store import Store
from servers import REPO, Server, free_port, liveblog, server_env, wait_until
from sse_client import SSEReader

pytestmark = pytest.mark.slow  # every test runs the command: a new Python process each time


def stored(tmp_path):
    return Store(make_engine(f"sqlite:///{tmp_path / 'liveblog.db'}"))


def test_create_editor_reads_the_password_from_stdin(tmp_path):
    env = server_env(tmp_path)
    ok = liveblog("create-editor", "alice", cwd=tmp_path, env=env, stdin="correct horse battery\n")
    assert ok.returncode == 0, ok.stderr
    assert "alice" in ok.stdout
    short = liveblog("create-editor", "bob", cwd=tmp_path, env=env, stdin="short\n")
    assert short.returncode == 2
    assert short.stderr.strip().splitlines() == ["liveblog: error: the password must be at least 8 characters"]
    role = liveblog("create-editor", "Kit", "--role", "contributor", cwd=tmp_path, env=env, stdin="correct horse battery\n")
    assert role.returncode == 0, role.stderr
    alice, kit = (stored(tmp_path).get_editor(name) for name in ("alice", "Kit"))
    assert (alice.role, kit.role) == ("editor", "contributor")
    assert check_password(alice.password_hash, "correct horse battery") and stored(tmp_path).get_editor("bob") is None
    # Stored at argon2id's production cost (RFC 9106's low-memory profile: 64 MiB, 3 passes).
    assert extract_parameters(alice.password_hash) == RFC_9106_LOW_MEMORY


def test_create_token_prints_the_token_last(tmp_path):
    result = liveblog("create-token", "Wire", cwd=tmp_path, env=server_env(tmp_path))
    assert result.returncode == 0
    token = result.stdout.strip().splitlines()[-1]
    assert len(token) >= 32 and " " not in token
    contributor = liveblog("create-token", "Stringer", "--role", "contributor", cwd=tmp_path, env=server_env(tmp_path))
    assert contributor.returncode == 0, contributor.stderr
    owner = stored(tmp_path).token_owner(contributor.stdout.strip().splitlines()[-1])
    assert (owner.name, owner.role) == ("Stringer", "contributor")


def test_display_names_from_create_editor_and_create_token(tmp_path):
    env = server_env(tmp_path)
    made = liveblog("create-editor", "nadia", "--display-name", "Nadia  Editor", cwd=tmp_path, env=env,
                    stdin="correct horse battery\n")
    assert made.returncode == 0, made.stderr
    assert stored(tmp_path).get_editor("nadia").display_name == "Nadia Editor"
    # --reset without --display-name keeps the one it had.
    reset = liveblog("create-editor", "nadia", "--reset", cwd=tmp_path, env=env, stdin="another horse battery\n")
    assert reset.returncode == 0, reset.stderr
    assert stored(tmp_path).get_editor("nadia").display_name == "Nadia Editor"
    bot = liveblog("create-token", "newsroom-bot", "--display-name", "Newsroom", cwd=tmp_path, env=env)
    assert bot.returncode == 0, bot.stderr
    owner = stored(tmp_path).token_owner(bot.stdout.strip().splitlines()[-1])
    assert (owner.name, owner.display_name) == ("newsroom-bot", "Newsroom")
    long = liveblog("create-token", "x", "--display-name", "y" * 121, cwd=tmp_path, env=env)
    assert long.returncode == 2 and "at most 120 characters" in long.stderr


@pytest.mark.parametrize(
    "name, value, words",
    [
        ("LIVEBLOG_DATABASE_URL", "mysql://x/y", "LIVEBLOG_DATABASE_URL"),
        ("LIVEBLOG_BROADCAST_URL", "carrier-pigeon://x", "LIVEBLOG_BROADCAST_URL"),
        ("LIVEBLOG_PUBLIC_URL", "ftp://example.com", "LIVEBLOG_PUBLIC_URL"),
        ("LIVEBLOG_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none", "cannot use the database"),
    ],
)
def test_bad_settings_stop_startup_with_one_line(tmp_path, name, value, words):
    env = server_env(tmp_path, **{name: value})
    result = liveblog("serve", "--port", str(free_port()), cwd=tmp_path, env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("liveblog: error:") and words in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_settings_from_a_dotenv_file(tmp_path):
    env = server_env(tmp_path)
    del env["LIVEBLOG_DATABASE_URL"]
    (tmp_path / ".env").write_text(f"LIVEBLOG_DATABASE_URL=sqlite:///{tmp_path / 'from-dotenv.db'}\n")
    assert liveblog("db", "upgrade", cwd=tmp_path, env=env).returncode == 0
    assert (tmp_path / "from-dotenv.db").exists()


def test_several_workers_on_memory_broadcast_are_refused_clearly(tmp_path):
    """On SQLite the workers watch the file; elsewhere memory:// cannot reach another process."""
    env = server_env(tmp_path, LIVEBLOG_BROADCAST_URL="memory://",
                     LIVEBLOG_DATABASE_URL="postgresql://postgres@127.0.0.1:5432/test")
    result = liveblog("serve", "--workers", "2", "--port", str(free_port()), cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "LIVEBLOG_BROADCAST_URL" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def spawn(cwd, env, *command) -> Server:
    server = Server(cwd, env, free_port())
    server.process = subprocess.Popen([*command, "--port", str(server.port)], cwd=cwd, env=env,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    return server


def test_demo_story_updates_live(tmp_path):
    demo = spawn(tmp_path, server_env(tmp_path), sys.executable, "-m", "liveblog", "demo")
    try:
        stories = wait_until(lambda: httpx.get(demo.url + "/api/stories", timeout=1).json()["stories"],
                             what="the demo story")
        reader = SSEReader(f"{demo.url}/stories/{stories[0]['slug']}/events")
        events = reader.wait(1, timeout=20)
        assert events and events[0].event == "update"
        reader.close()
    finally:
        demo.stop()


def test_installed_wheel_serves_pages_from_another_directory(tmp_path):
    """`pip install .` ships templates, static files and migrations inside the package.

    The wheel is built by this interpreter (hatchling comes with the test extra) and
    installed into a new virtual environment; that environment reads the dependencies
    from this one (a .pth line), whether this is a venv or the system's Python.
    """
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    built = subprocess.run([*pip, "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", tmp_path / "dist", REPO],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    inner = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                           capture_output=True, text=True, check=True).stdout.strip()
    ours = sysconfig.get_paths()
    (Path(inner) / "dependencies.pth").write_text(f"{ours['purelib']}\n{ours['platlib']}\n")
    wheel, = (tmp_path / "dist").glob("liveblog-*.whl")
    install = subprocess.run([*pip, "--python", python, "install", "-q", "--no-deps", wheel],
                             capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = server_env(elsewhere)
    env.pop("PYTHONPATH")
    server = spawn(elsewhere, env, env_dir / "bin" / "liveblog", "serve")
    try:
        check = subprocess.run([python, "-c", "import liveblog; print(liveblog.__file__)"], cwd=elsewhere,
                               env=env, capture_output=True, text=True)
        assert str(REPO) not in check.stdout and "site-packages" in check.stdout
        wait_until(lambda: httpx.get(server.url + "/healthz", timeout=1).status_code == 200, what="the server")
        assert httpx.get(server.url + "/").status_code == 200
        assert "Stories" in httpx.get(server.url + "/").text
        assert httpx.get(server.url + "/static/live.js").status_code == 200
    finally:
        server.stop()
