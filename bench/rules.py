"""Escalation-rule detectors and the topic matcher, each against a simple baseline in the same run.

    python bench/rules.py [--clinc FILE --split NAME] [--banking FILE | --banking-test FILE]
                          [--only detectors|clinc|banking] [--errors] [--work DIR]

(a) The explicit-request and frustration detectors on each held-out labelled file in
    bench/rules_data/ (precision, recall), against a keyword list and raw VADER.
(b) The topic matcher on CLINC150: each intent becomes a topic from 10 of its training
    examples; `--split` (default val) and `oos_<split>` are classified. The out-of-scope
    threshold is chosen on other data: 20 further training examples per intent plus
    `oos_train`. Banking77: a stratified 20% of train.csv is held out (or `--banking-test`
    FILE is used), topics come from 10 examples per intent of the rest; top-1 accuracy.
The baseline for topics is the same matcher over TF-IDF vectors instead of embeddings.
Vectors are cached in the work directory by content hash.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from frontdesk.embedder.model import OnnxMiniLM, normalise
from frontdesk.rules import (
    ExplicitRequestDetector,
    FrustrationDetector,
    MessageClassifier,
    Topic,
    TopicMatcher,
)
from frontdesk.rules.features import sentiment

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data"
SEED = 13
EXAMPLES_PER_TOPIC = 10
CALIBRATION_PER_TOPIC = 20

SPLIT_NOTE = (
    "Eval sets (bench/rules_data/README.md): *.eval.jsonl written after the first models were\n"
    "frozen; *.eval2.jsonl written before the second round (n-grams, features, more training\n"
    "data) by the author of its new training messages; frustration.eval3.jsonl likewise before\n"
    "the third round (frustration features and training messages). None was read while\n"
    "developing; the scores were looked at between rounds and the error lists only after each\n"
    "final model, except that eval2's frustration errors guided the third round.\n"
    "Training and the threshold (cross-validation) read only\n"
    "src/frontdesk/rules/data/*.train.jsonl."
)
# The baseline a support widget would ship: a list of request phrases.
REQUEST_KEYWORDS = re.compile(
    r"\b(human|real person|a person|live agent|agent|representative|operator|"
    r"(talk|speak|chat) (to|with) (someone|somebody|a person|a human|sales|support)|"
    r"customer service|manager|supervisor)\b"
)

Embed = Callable[[Sequence[str]], np.ndarray]


def cached_embedder(model: OnnxMiniLM, work: Path) -> Embed:
    def embed(texts: Sequence[str]) -> np.ndarray:
        key = hashlib.sha256("\x1e".join([model.model_id, *texts]).encode()).hexdigest()[:24]
        path = work / f"vectors-{key}.npy"
        if path.exists():
            return np.load(path)
        started = time.perf_counter()
        vectors = model.embed(list(texts))
        print(f"  embedded {len(texts)} texts in {time.perf_counter() - started:.1f} s")
        work.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
        return vectors

    return embed


# --- (a) detectors -------------------------------------------------------------------------


def precision_recall(detected: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    hits = float((detected & labels).sum())
    return hits / max(int(detected.sum()), 1), hits / max(int(labels.sum()), 1)


def bench_detectors(args: argparse.Namespace, model: OnnxMiniLM, embed: Embed) -> None:
    print("\n(a) detectors on held-out labelled messages")
    print("  " + SPLIT_NOTE.replace("\n", "\n  "))
    baselines: dict[str, tuple[str, Callable[[str], bool]]] = {
        "explicit_request": ("keyword list", lambda t: bool(REQUEST_KEYWORDS.search(t.lower()))),
        "frustration": ("VADER compound < -0.5", lambda t: sentiment(t)["compound"] < -0.5),
    }
    for detector in (ExplicitRequestDetector(model), FrustrationDetector(model)):
        for path in sorted(args.detector_data.glob(f"{detector.name}.eval*.jsonl")):
            report_detector(detector, path, baselines[detector.name], embed, args.errors)


def report_detector(
    detector: MessageClassifier,
    path: Path,
    baseline: tuple[str, Callable[[str], bool]],
    embed: Embed,
    errors: bool,
) -> None:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    texts = [r["text"] for r in rows]
    labels = np.array([bool(r["label"]) for r in rows])
    vectors = embed(texts)
    started = time.perf_counter()
    scores = detector.scores(texts, vectors)
    per_message_ms = 1000 * (time.perf_counter() - started) / len(texts)
    ours = scores >= detector.threshold
    base_name, base_fn = baseline
    base = np.array([base_fn(t) for t in texts])
    p, r = precision_recall(ours, labels)
    bp, br = precision_recall(base, labels)
    print(
        f"\n  {detector.name}: {path.name}, {len(rows)} messages "
        f"({int(labels.sum())} positive), threshold {detector.threshold:.3f}"
    )
    print(f"    {'':24s} {'precision':>9s} {'recall':>7s}")
    print(f"    {'detector':24s} {p:9.3f} {r:7.3f}")
    print(f"    {base_name:24s} {bp:9.3f} {br:7.3f}")
    print(f"    {'ratio':24s} {p / max(bp, 1e-9):9.2f} {r / max(br, 1e-9):7.2f}")
    print(f"    scoring after embedding: {per_message_ms:.2f} ms/message")
    if errors:
        for i in np.flatnonzero(ours != labels):
            kind = "missed" if labels[i] else "false "
            print(f"      {kind} {scores[i]:.2f}  {texts[i]}")


# --- (b) topics ---------------------------------------------------------------------------


def tfidf_embedder(vocabulary_texts: Sequence[str]) -> Embed:
    """Unigram TF-IDF fitted on the topic examples; the baseline's vectors."""

    def tokens(text: str) -> list[str]:
        return re.findall(r"[a-z0-9']+", text.lower())

    df = Counter(w for t in vocabulary_texts for w in set(tokens(t)))
    index = {w: i for i, w in enumerate(sorted(df))}
    idf = np.log((1 + len(vocabulary_texts)) / (1 + np.array([df[w] for w in sorted(df)]))) + 1

    def embed(texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), len(index)), dtype=np.float32)
        for row, text in enumerate(texts):
            for word, n in Counter(tokens(text)).items():
                if word in index:
                    out[row, index[word]] = n * idf[index[word]]
        return normalise(out)

    return embed


def build_matcher(topics: list[Topic], embed: Embed) -> TopicMatcher:
    return TopicMatcher(
        None, topics, example_vectors=embed([e for t in topics for e in t.examples])
    )


def split_examples(
    by_label: dict[str, list[str]], take: int, rng: np.random.Generator
) -> tuple[list[Topic], dict[str, list[str]]]:
    topics, rest = [], {}
    for label in sorted(by_label):
        texts = by_label[label]
        order = rng.permutation(len(texts))
        topics.append(Topic(label, tuple(texts[i] for i in order[:take])))
        rest[label] = [texts[i] for i in order[take:]]
    return topics, rest


def predictions(matcher: TopicMatcher, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scores = matcher.scores(vectors)
    best = scores.argmax(axis=1)
    return np.array([matcher.topics[i].name for i in best]), scores.max(axis=1)


def calibrate(pred: np.ndarray, top: np.ndarray, gold: np.ndarray, oos_top: np.ndarray) -> float:
    """The threshold maximising (in-scope accuracy + out-of-scope recall) / 2."""
    candidates = np.unique(np.concatenate([top, oos_top]))
    correct = pred == gold

    def balanced(t: float) -> float:
        return float((correct & (top >= t)).mean() + (oos_top < t).mean()) / 2

    return float(max(candidates, key=balanced))


def report_clinc(
    matcher: TopicMatcher, embed: Embed, data: dict, split: str, held: dict[str, list[str]]
) -> dict:
    inscope = data[split]
    oos = data.get(f"oos_{split}", [])
    pred, top = predictions(matcher, embed([t for t, _ in inscope]))
    gold = np.array([label for _, label in inscope])
    oos_top = predictions(matcher, embed([t for t, _ in oos]))[1] if oos else np.zeros(0)
    # Threshold from training data only: held-back training examples and oos_train.
    calibration = [(t, label) for label, texts in held.items() for t in texts]
    cpred, ctop = predictions(matcher, embed([t for t, _ in calibration]))
    cgold = np.array([label for _, label in calibration])
    coos = data.get("oos_train", [])
    coos_top = predictions(matcher, embed([t for t, _ in coos]))[1] if coos else np.zeros(0)
    thresholds = {
        # Best (in-scope accuracy + OOS recall) / 2 on the calibration data.
        "balanced": calibrate(cpred, ctop, cgold, coos_top) if coos else matcher.threshold,
        # Reject at most 5% of the calibration messages the matcher got right.
        "in-scope first": float(np.quantile(ctop[cpred == cgold], 0.05)),
        "product default": matcher.threshold,
    }
    out: dict = {"no_rejection": float((pred == gold).mean())}
    for label, t in thresholds.items():
        out[label] = {
            "threshold": t,
            "in_scope": float(((pred == gold) & (top >= t)).mean()),
            "oos_recall": float((oos_top < t).mean()) if oos else float("nan"),
        }
    return out


def bench_clinc(args: argparse.Namespace, model: OnnxMiniLM, embed: Embed) -> None:
    data = json.loads(args.clinc.read_text(encoding="utf-8"))
    by_label: dict[str, list[str]] = defaultdict(list)
    for text, label in data["train"]:
        by_label[label].append(text)
    topics, rest = split_examples(by_label, EXAMPLES_PER_TOPIC, np.random.default_rng(SEED))
    held = {label: texts[:CALIBRATION_PER_TOPIC] for label, texts in rest.items()}
    print(
        f"\n(b) CLINC150 {args.clinc.name}: {len(topics)} topics x {EXAMPLES_PER_TOPIC} "
        f"examples; report on {args.split} ({len(data[args.split])}) + "
        f"oos_{args.split} ({len(data.get(f'oos_{args.split}', []))}); threshold chosen on "
        f"{sum(map(len, held.values()))} other train examples + oos_train "
        f"({len(data.get('oos_train', []))})"
    )
    results = {}
    for name, vectors_of in (
        ("MiniLM (product)", embed),
        ("TF-IDF baseline", tfidf_embedder([e for t in topics for e in t.examples])),
    ):
        matcher = build_matcher(topics, vectors_of)
        results[name] = report_clinc(matcher, vectors_of, data, args.split, held)
    ours, base = results["MiniLM (product)"], results["TF-IDF baseline"]
    header = f"{'threshold':>9s} {'in-scope acc':>12s} {'OOS recall':>10s}"
    print(f"    {'threshold chosen by':38s} {header}")
    for name, res in results.items():
        print(f"    {name + ': no rejection':38s} {'-':>9s} {res['no_rejection']:12.3f} {'-':>10s}")
        for label in ("balanced", "in-scope first", "product default"):
            if label == "product default" and name != "MiniLM (product)":
                continue
            r = res[label]
            print(
                f"    {name + ': ' + label:38s} {r['threshold']:9.3f} "
                f"{r['in_scope']:12.3f} {r['oos_recall']:10.3f}"
            )
    for label in ("balanced", "in-scope first"):
        c, b = ours[label], base[label]
        print(
            f"    ratio MiniLM / TF-IDF ({label}): in-scope {c['in_scope'] / b['in_scope']:.2f}, "
            f"OOS recall {c['oos_recall'] / max(b['oos_recall'], 1e-9):.2f}"
        )
    print("    reference (Larson et al. 2019, test split): best OOS recall 0.66; BERT 0.96 / 0.52")


def read_banking(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [(row["text"], row["category"]) for row in csv.DictReader(fh)]


def bench_banking(args: argparse.Namespace, model: OnnxMiniLM, embed: Embed) -> None:
    rows = read_banking(args.banking)
    rng = np.random.default_rng(SEED)
    by_label: dict[str, list[str]] = defaultdict(list)
    for text, label in rows:
        by_label[label].append(text)
    if args.banking_test:
        test = read_banking(args.banking_test)
        source = f"{args.banking_test.name} ({len(test)})"
    else:
        test = []
        for label in sorted(by_label):
            texts = by_label[label]
            order = rng.permutation(len(texts))
            cut = round(0.2 * len(texts))
            test += [(texts[i], label) for i in order[:cut]]
            by_label[label] = [texts[i] for i in order[cut:]]
        source = f"a stratified 20% of {args.banking.name} held out with seed {SEED} ({len(test)})"
    topics, _ = split_examples(by_label, EXAMPLES_PER_TOPIC, rng)
    print(
        f"\n(b) Banking77: {len(topics)} topics x {EXAMPLES_PER_TOPIC} examples "
        f"from the rest; test: {source}"
    )
    gold = np.array([label for _, label in test])
    accuracy = {}
    for name, vectors_of in (
        ("MiniLM (product)", embed),
        ("TF-IDF baseline", tfidf_embedder([e for t in topics for e in t.examples])),
    ):
        matcher = build_matcher(topics, vectors_of)
        pred, _ = predictions(matcher, vectors_of([t for t, _ in test]))
        accuracy[name] = float((pred == gold).mean())
        print(f"    {name:34s} top-1 accuracy {accuracy[name]:.3f}")
    ratio = accuracy["MiniLM (product)"] / accuracy["TF-IDF baseline"]
    print(f"    ratio MiniLM / TF-IDF: {ratio:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clinc", type=Path, default=SHARED / "clinc150" / "data_train_val.json")
    parser.add_argument("--split", default="val", help="CLINC split to report (and oos_SPLIT)")
    parser.add_argument("--banking", type=Path, default=SHARED / "banking77" / "train.csv")
    parser.add_argument("--banking-test", type=Path, help="test on this file, topics from all")
    parser.add_argument("--detector-data", type=Path, default=HERE / "rules_data")
    parser.add_argument("--only", choices=("detectors", "clinc", "banking"))
    parser.add_argument("--errors", action="store_true", help="list misclassified messages")
    parser.add_argument("--work", type=Path, default=HERE / ".work" / "rules")
    args = parser.parse_args()

    started = time.perf_counter()
    model = OnnxMiniLM(batch_size=32)
    embed = cached_embedder(model, args.work)
    if args.only in (None, "detectors"):
        bench_detectors(args, model, embed)
    if args.only in (None, "clinc"):
        bench_clinc(args, model, embed)
    if args.only in (None, "banking"):
        bench_banking(args, model, embed)
    print(f"\ntotal {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
