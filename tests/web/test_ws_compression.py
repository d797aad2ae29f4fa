"""Live sockets are not compressed unless the operator asks: read from the handshake.

Every event goes to each inbox socket of its workspace; compressing it once per socket cost
the server 5-10% of its CPU per message in bench/live.py, and a compressor is kept
for every open socket. Browsers always offer permessage-deflate, as the client here does.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from websockets.sync.client import connect

from app_fixtures import with_database
from frontdesk.app import create_app
from frontdesk.cli.serve import server_options
from frontdesk.embedder.model import OnnxMiniLM
from frontdesk.runtime import Runtime
from frontdesk.settings import Settings
from support import ServerThread


def _extensions(port: int) -> str | None:
    """The extensions the server agreed to for a client offering permessage-deflate."""
    with connect(f"ws://127.0.0.1:{port}/api/v1/widget/ws", compression="deflate") as socket:
        return socket.response.headers.get("Sec-WebSocket-Extensions")


@pytest.mark.live
@pytest.mark.parametrize("compression", [False, True])
def test_socket_compression_is_the_operators_to_turn_on(
    tmp_path: Path, embedder: OnnxMiniLM, migrated_database: Path, compression: bool
) -> None:
    settings = with_database(
        Settings(data_dir=tmp_path / "data", ws_compression=compression), migrated_database
    )
    app = create_app(settings, Runtime(settings, embedder=embedder))
    with ServerThread(app, **{**server_options(settings), "log_level": "warning"}) as server:
        agreed = _extensions(server.port)
    if compression:
        assert agreed is not None and "permessage-deflate" in agreed
    else:
        assert agreed is None
