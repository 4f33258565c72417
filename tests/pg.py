"""A throwaway PostgreSQL server for the tests: Debian's binaries, a temporary folder, a free port."""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

PG_BIN = Path(os.environ.get("RM_TEST_PG_BIN") or (sorted(glob.glob("/usr/lib/postgresql/*/bin")) or ["/usr/lib/postgresql/15/bin"])[-1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TempPostgres:
    """initdb + pg_ctl in a folder owned by `postgres` (initdb refuses to run as root)."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="rm-pg-"))
        self.port = free_port()
        self.url = f"postgresql+psycopg://rm@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        cmd = list(args)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)

    def start(self) -> "TempPostgres":
        if not (PG_BIN / "initdb").exists():
            raise RuntimeError(f"PostgreSQL binaries not found in {PG_BIN}: run `make test` (it installs them) "
                               "or set RM_TEST_PG_URL to a server you run.")
        self._run(str(PG_BIN / "initdb"), "-D", str(self.dir / "data"), "-A", "trust", "-U", "rm")
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.dir / "data"), "-w", "-o",
                  f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                  "-c max_connections=200", "-l", str(self.dir / "log"), "start")
        return self

    def stop(self) -> None:
        try:
            self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
