"""The packaged test language model (SmolLM2-135M-Instruct), loaded once per test run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from frontdesk.answering.generators.base import GenerationRequest
from frontdesk.answering.generators.local import LocalGenerator, LocalModel, load_model
from frontdesk.knowledge.hits import Hit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from fetch_test_model import SHA256, TARGET, sha256  # noqa: E402


@pytest.fixture(scope="session")
def model_file() -> Path:
    """The model file; a missing or altered one fails the test with how to get it."""
    if not TARGET.is_file() or sha256(TARGET) != SHA256:
        pytest.fail(
            f"The test model is missing or altered at {TARGET}: "
            "run `python scripts/fetch_test_model.py` first.",
            pytrace=False,
        )
    return TARGET


@pytest.fixture(scope="session")
def packaged_model(model_file: Path) -> LocalModel:
    """Loaded once: every local generator in this process (servers included) shares it."""
    return load_model(model_file)


@pytest.fixture(scope="session")
def local_generator(packaged_model: LocalModel) -> LocalGenerator:
    return LocalGenerator(packaged_model.path, threads=2, max_tokens=48)


# A grounded question over two passages, for the generators' tests.
def hit(title: str, text: str) -> Hit:
    return Hit(
        chunk_id=1, source_id="s", source="faq.md", title=title, location="", url=None, text=text
    )


REQUEST = GenerationRequest(
    question="When is the service department open?",
    passages=[
        hit("Service — Hours", "The service department is open Tuesday to Friday, 8:00 to 17:30."),
        hit("Service — Prices", "A snowmobile tune-up costs $189. An ATV oil change costs $79."),
    ],
    instructions="You are the assistant of Ridgeline Powersports.",
)
