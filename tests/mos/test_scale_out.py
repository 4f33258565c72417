"""The scale-out set-up: PostgreSQL for state and a Chroma server for the index, driven by the same services."""
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from rm_core.identity import Actor
from rm_core.mos.engine import MOSearchEngine
from rm_core.mos.repository import create_mo, sync_index, update_mo
from rm_core.settings import get_settings
from tests.pg import free_port

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    path = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    chroma = Path(sys.executable).with_name("chroma")
    proc = subprocess.Popen([str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                            env={"ANONYMIZED_TELEMETRY": "False", "PATH": "/usr/bin:/bin"})
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("chroma server did not start")
                time.sleep(0.2)  # polling the heartbeat endpoint
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_mos_saved_on_one_replica_are_found_through_the_server_by_another(state, backend, chroma_server,
                                                                           monkeypatch):
    monkeypatch.setenv("RM_CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("RM_CHROMA_PORT", str(chroma_server))
    get_settings.cache_clear()
    settings = get_settings()
    collection = f"mos_{backend}"
    replica_a = MOSearchEngine(settings, collection=collection)
    replica_b = MOSearchEngine(settings, collection=collection)
    editor = Actor("eddie", "editor")
    create_mo(editor, {"title": "Payout bank swapped after dormant login",
                       "narrative": "Dormant sellers log in from proxies and change the deposit account."}, replica_a)
    create_mo(editor, {"title": "Weight-matched return boxes",
                       "narrative": "Returned parcels filled with sand to match the shipped weight."}, replica_a)
    hits = replica_b.search("deposit account changed after dormant login", k=2)
    assert hits.hits[0].mo_id == "MO-0001"
    update_mo(editor, "MO-0002", {"narrative": "Returns contain salt bags matching the parcel weight."}, replica_b)
    assert sync_index(replica_a).database == 2 and replica_a.count() == 2
