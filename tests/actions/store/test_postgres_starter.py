"""The store tests' PostgreSQL starter (tests/actions/store_fixtures.py), on real servers.

The machine's own PostgreSQL is never stopped here (others use it): the starter is run
against a throwaway cluster made with initdb in a temporary directory on a free port, which
the test starts (through the starter) and stops.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

from launcher.processes import free_port
from tests.actions.store_fixtures import (
    PG_PORT,
    Cluster,
    PostgresUnavailable,
    ensure_postgres,
    installed_clusters,
    parse_clusters,
    refusal,
)


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    assert found, f"PostgreSQL's {name} is not installed (apt-get install -y postgresql)"
    return found[-1]


def _as_postgres(*command: str) -> tuple[str, ...]:
    """initdb and pg_ctl refuse to run as root: as root, run them as the postgres user."""
    return ("runuser", "-u", "postgres", "--", *command) if os.geteuid() == 0 else command


class Throwaway:
    """A stopped PostgreSQL cluster of its own: trust auth, 127.0.0.1 on a free port."""

    def __init__(self) -> None:
        # Not pytest's tmp_path: its parents are private to root, and the server runs as
        # postgres when the tests run as root.
        self.root = Path(tempfile.mkdtemp(prefix="standin-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        subprocess.run(
            _as_postgres(_pg_bin("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust"),
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start_command(self) -> tuple[str, ...]:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        return _as_postgres(
            _pg_bin("pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.root / "log"),
            "-o",
            options,
            "start",
        )

    def cluster(self) -> Cluster:
        return Cluster("test", "throwaway", self.port, False, self.start_command())

    def stop(self) -> None:
        subprocess.run(
            _as_postgres(_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"),
            capture_output=True,
            timeout=60,
            check=False,
        )
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def throwaway() -> Iterator[Throwaway]:
    cluster = Throwaway()
    try:
        yield cluster
    finally:
        cluster.stop()


def test_a_stopped_cluster_is_started_and_then_answers(throwaway):
    assert refusal("127.0.0.1", throwaway.port) is not None  # stopped: nothing answers

    ensure_postgres(port=throwaway.port, clusters=lambda: [throwaway.cluster()])

    conn = psycopg2.connect(
        dbname="postgres", user="postgres", host="127.0.0.1", port=throwaway.port
    )
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT current_setting('port')")
            assert cur.fetchone() == (str(throwaway.port),)
    finally:
        conn.close()
    # Already answering: nothing is started a second time.
    ensure_postgres(port=throwaway.port, clusters=lambda: pytest.fail("looked for clusters"))


def test_a_cluster_that_will_not_start_is_reported_with_its_error(throwaway):
    shutil.rmtree(throwaway.data)  # the cluster is gone: pg_ctl has nothing to start
    with pytest.raises(PostgresUnavailable) as raised:
        ensure_postgres(port=throwaway.port, clusters=lambda: [throwaway.cluster()])
    message = str(raised.value)
    assert "starting cluster test/throwaway failed" in message and "pg_ctl" in message
    assert "apt-get install -y postgresql" in message


def test_nothing_installed_on_the_port_says_what_to_install_and_how_to_start_it():
    port = free_port()
    with pytest.raises(PostgresUnavailable) as raised:
        ensure_postgres(port=port, clusters=lambda: [])
    message = str(raised.value)
    assert f"does not answer at 127.0.0.1:{port}" in message
    assert "apt-get install -y postgresql" in message
    assert "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start" in message


def test_debians_clusters_are_started_with_pg_ctlcluster():
    listing = (
        "15 main 5432 down postgres /var/lib/postgresql/15/main /var/log/postgresql/15-main.log\n"
        "16 other 5433 online postgres /var/lib/postgresql/16/other /var/log/16-other.log\n"
    )
    assert parse_clusters(listing) == [
        Cluster(
            "15",
            "main",
            5432,
            False,
            ("pg_ctlcluster", "--skip-systemctl-redirect", "15", "main", "start"),
        ),
        Cluster(
            "16",
            "other",
            5433,
            True,
            ("pg_ctlcluster", "--skip-systemctl-redirect", "16", "other", "start"),
        ),
    ]


def test_this_machines_cluster_on_the_store_port_is_found():
    """What the starter would start here, read from the real pg_lsclusters (not started)."""
    on_port = [c for c in installed_clusters() if c.port == PG_PORT]
    assert on_port, "no PostgreSQL cluster installed on port 5432 (apt-get install -y postgresql)"
    versions = set(os.listdir("/etc/postgresql"))
    assert {c.version for c in on_port} <= versions
    assert all(c.start[:2] == ("pg_ctlcluster", "--skip-systemctl-redirect") for c in on_port)
