"""The served OpenAPI schema, and a property-based fuzzer (schemathesis) run against it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import requests

from tests.server.api_client import TIMEOUT, obtain_tokens
from tests.support.live_server import DEMO_PASSWORD, DEMO_USERNAME, LiveServer, server_env

# Bounded so the run takes well under a minute on a busy two-core machine.
MAX_EXAMPLES = 8
SEED = 360
CHECKS = ",".join([
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
])
# The token reaches schemathesis through the environment, never the command line or a log.
_CONFIG = """\
[auth.openapi.jwtAuth]
bearer = "${IMAGE360_FUZZ_ACCESS_TOKEN}"
"""


def test_schema_lists_every_endpoint(live_server: LiveServer) -> None:
    response = requests.get(f"{live_server.url}/api/schema/", params={"format": "json"},
                            timeout=TIMEOUT)

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert {
        "/api/token/", "/api/token/refresh/", "/api/logout/", "/api/protected/",
        "/api/health/", "/api/upload-photo/", "/api/user-photo/", "/api/user-photo/{id}/",
        "/api/{id}/delete/", "/api/photos/", "/api/realestate/", "/api/automotive/",
    } <= set(schema["paths"])
    upload = schema["paths"]["/api/upload-photo/"]["post"]
    assert {"200", "201", "400", "401", "413"} <= set(upload["responses"])
    sign_in = schema["paths"]["/api/token/"]["post"]["responses"]
    assert "Retry-After" in sign_in["429"]["headers"]


def test_fuzzing_finds_no_server_error_and_no_schema_mismatch(
        server_factory: Callable[..., LiveServer], tmp_path: Path) -> None:
    # A server of its own: the fuzzer signs in with junk and uploads junk.
    server = server_factory()
    access = obtain_tokens(server.url, DEMO_USERNAME, DEMO_PASSWORD)["access"]
    config = tmp_path / "schemathesis.toml"
    config.write_text(_CONFIG, encoding="utf-8")

    completed = subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run",
         f"{server.url}/api/schema/", "--checks", CHECKS, "--max-examples", str(MAX_EXAMPLES),
         "--seed", str(SEED), "--phases", "examples,coverage,fuzzing", "--workers", "1",
         "--generation-database", "none", "--request-timeout", "30", "--no-color"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
        env=server_env({"IMAGE360_FUZZ_ACCESS_TOKEN": access}),
    )

    assert completed.returncode == 0, completed.stdout[-6000:] + completed.stderr[-2000:]
    assert "Internal Server Error" not in server.log()
    assert "Traceback" not in server.log()
