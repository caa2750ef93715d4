"""Store URLs for the case-memory tests: a fresh SQLite file, and a fresh PostgreSQL database.

PostgreSQL is part of the supported set, so it is never skipped. The first test that needs it
makes sure a server answers at 127.0.0.1:5432 (once per session): where the machine has
PostgreSQL installed but stopped, the cluster on that port is started (Debian's pg_ctlcluster);
where none is installed, the test fails with what to install and how to start it.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest

PG_HOST, PG_PORT = "127.0.0.1", 5432
PG_ADMIN = f"dbname=postgres user=postgres host={PG_HOST} port={PG_PORT}"
PG_URL = f"postgresql://postgres@{PG_HOST}:{PG_PORT}/{{name}}"
START_TIMEOUT_S = 60.0
INSTALL_ADVICE = (
    "The store tests need PostgreSQL at {host}:{port}, accepting the user postgres from "
    "{host} without a password.\n"
    "  install (Debian/Ubuntu): apt-get install -y postgresql\n"
    "  start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n"
    "  let the tests in, in /etc/postgresql/<version>/main/pg_hba.conf: "
    "host all postgres 127.0.0.1/32 trust (then pg_ctlcluster ... reload)"
)


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL answers, and none could be started; the message says what to do."""


@dataclass(frozen=True)
class Cluster:
    """An installed PostgreSQL cluster and the command that starts it."""

    version: str
    name: str
    port: int
    online: bool
    start: tuple[str, ...]


def parse_clusters(listing: str) -> list[Cluster]:
    """Debian's `pg_lsclusters --no-header`: version, name, port, status, owner, data, log."""
    clusters = []
    for line in listing.splitlines():
        fields = line.split()
        if len(fields) < 4 or not fields[2].isdigit():
            continue
        version, name, port, status = fields[:4]
        # --skip-systemctl-redirect: start the cluster itself, where systemd runs nothing.
        start = ("pg_ctlcluster", "--skip-systemctl-redirect", version, name, "start")
        clusters.append(Cluster(version, name, int(port), status.startswith("online"), start))
    return clusters


def installed_clusters() -> list[Cluster]:
    """The machine's clusters, as Debian's postgresql-common lists them (none without it)."""
    if shutil.which("pg_lsclusters") is None:
        return []
    listed = subprocess.run(
        ["pg_lsclusters", "--no-header"], capture_output=True, text=True, timeout=30, check=False
    )
    return parse_clusters(listed.stdout)


def refusal(host: str, port: int) -> str | None:
    """None when the server at host:port lets the user postgres in; else why not."""
    try:
        conn = psycopg2.connect(
            dbname="postgres", user="postgres", host=host, port=port, connect_timeout=5
        )
    except psycopg2.OperationalError as err:
        return " ".join(str(err).split())
    conn.close()
    return None


def ensure_postgres(
    host: str = PG_HOST,
    port: int = PG_PORT,
    clusters: Callable[[], list[Cluster]] = installed_clusters,
    timeout_s: float = START_TIMEOUT_S,
) -> None:
    """Make sure PostgreSQL answers at host:port, starting the stopped cluster(s) installed on
    that port; raise PostgresUnavailable with what to install and how to start it otherwise."""
    why = refusal(host, port)
    if why is None:
        return
    advice = INSTALL_ADVICE.format(host=host, port=port)
    stopped = [c for c in clusters() if c.port == port and not c.online]
    if not stopped:
        raise PostgresUnavailable(
            f"PostgreSQL does not answer at {host}:{port} ({why}), and no stopped cluster is "
            f"installed on port {port} to start.\n{advice}"
        )
    for cluster in stopped:
        started = subprocess.run(
            cluster.start, capture_output=True, text=True, timeout=timeout_s, check=False
        )
        if started.returncode != 0:
            output = " ".join((started.stderr or started.stdout).split())
            raise PostgresUnavailable(
                f"PostgreSQL does not answer at {host}:{port}, and starting cluster "
                f"{cluster.version}/{cluster.name} failed: `{' '.join(cluster.start)}` "
                f"exited {started.returncode}: {output}\n{advice}"
            )
    deadline = time.monotonic() + timeout_s
    while (why := refusal(host, port)) is not None:
        if time.monotonic() > deadline:
            raise PostgresUnavailable(
                f"Started {', '.join(f'{c.version}/{c.name}' for c in stopped)}, but PostgreSQL "
                f"still does not answer at {host}:{port} after {timeout_s:.0f} s ({why}).\n"
                f"{advice}"
            )
        time.sleep(0.2)  # polling interval while the server comes up


@functools.lru_cache(maxsize=1)
def _session_postgres() -> str | None:
    """Once per test session: None when PostgreSQL answers, else why the tests cannot use it."""
    try:
        ensure_postgres()
    except PostgresUnavailable as err:
        return str(err)
    return None


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store' / 'standin.sqlite3'}"


def _admin(sql: str) -> None:
    conn = psycopg2.connect(PG_ADMIN, connect_timeout=5)
    conn.autocommit = True  # CREATE/DROP DATABASE cannot run in a transaction
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


def postgres_database() -> Iterator[str]:
    """A uniquely named database for one test, dropped afterwards (with its connections)."""
    unavailable = _session_postgres()
    if unavailable is not None:
        pytest.fail(unavailable, pytrace=False)
    name = f"standin_test_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{name}"')
    try:
        yield PG_URL.format(name=name)
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
