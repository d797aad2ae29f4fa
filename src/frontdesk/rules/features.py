"""Cheap per-message features that sit beside the embedding in the classifiers."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

# Requests pair a verb of contact with a who; questions *about* people start like lookups.
CONTACT = re.compile(
    r"\b(talk|tlak|speak|speek|chat|connect|transfer|put (me )?(through|on)|call|ring|"
    r"reach|escalate|hand|pass|route|forward|get|give|have|contact|message|ping|text)\b"
)
WHO = re.compile(
    r"\b(human|hmuan|person|persn|people|someone|somebody|anyone|anybody|agent|rep|"
    r"representative|staff|team|operator|manager|supervisor|employee|advisor|specialist|"
    r"sales|salesperson|consultant|receptionist|nurse|doctor|boss|owner|member)s?\b"
)
ASKING = re.compile(
    r"\b(can i|could i|may i|i want|i wanna|i'?d like|i need|let me|lemme|please|pls|plz|"
    r"connect me|put me|get me|transfer me|i'?d prefer|i'?d rather|i wish)\b"
)
LOOKUP = re.compile(r"^(do|does|did|who|what|which|how|is|are|was|where|when|will|why)\b")
# Praise wrapped around a failure reads as sarcasm ("great, another broken part").
SARCASM = re.compile(
    r"^(oh )?(great|perfect|wonderful|fantastic|brilliant|nice( job)?|cool|sure|wow|lovely)\b"
    r"|thanks (a lot|for nothing)|of course\.|just (great|perfect)"
)
TROUBLE = re.compile(
    r"\b(broke|broken|dead|crash\w*|lost|lose|wrong|late|cancell?ed|charged|waiting|waited|"
    r"nobody|no one|never|zero|nothing|again|still|not|doesn'?t|didn'?t|won'?t|can'?t|isn'?t)\b"
)
ACCUSING = re.compile(r"\b(you|your|you'?re|you people|you guys)\b")
RHETORICAL = re.compile(
    r"\b(what kind of|how (do|can|could) you|why (do|does|would|is|are) (you|every)|who runs)\b"
)
ANGRY_EMOJI = re.compile("[\U0001f620\U0001f621\U0001f624\U0001f92c\U0001f612\U0001f644]")
ELONGATED = re.compile(r"([a-z])\1{2,}")
REPEATED = re.compile(
    r"\b(again|still|already|keeps?|kept|every (single )?time|over and over|"
    r"(\d+|two|three|four|five|six|several|many) times|for the last time|\d+(rd|th|nd) time)\b"
)

REQUEST_FEATURES = ("contact", "who", "asking", "lookup", "contact_and_who", "short")
FRUSTRATION_FEATURES = (
    "compound",
    "neg",
    "pos",
    "exclaims",
    "repeated_punct",
    "caps",
    "elongated",
    "angry_emoji",
    "repeated",
    "caps_not_positive",
    "exclaims_not_positive",
    "sarcasm",
    "trouble",
    "accusing_negative",
    "rhetorical",
)


def request_features(texts: Sequence[str]) -> np.ndarray:
    rows = []
    for text in texts:
        low = text.lower().strip()
        contact = bool(CONTACT.search(low))
        who = bool(WHO.search(low))
        rows.append(
            [
                contact,
                who,
                bool(ASKING.search(low)),
                bool(LOOKUP.search(low)),
                contact and who,
                len(low.split()) <= 3,
            ]
        )
    return np.asarray(rows, dtype=np.float32)


@lru_cache(maxsize=1)
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def sentiment(text: str) -> dict[str, float]:
    """VADER's polarity scores (compound in [-1, 1], neg/neu/pos proportions)."""
    return dict(_vader().polarity_scores(text))


def frustration_features(texts: Sequence[str]) -> np.ndarray:
    rows = []
    for text in texts:
        polarity = sentiment(text)
        low = text.lower()
        letters = [c for c in text if c.isalpha()]
        caps = sum(c.isupper() for c in letters) / len(letters) if len(letters) >= 4 else 0.0
        exclaims = min(text.count("!"), 3)
        not_positive = polarity["pos"] == 0
        rows.append(
            [
                polarity["compound"],
                polarity["neg"],
                polarity["pos"],
                exclaims,
                bool(re.search(r"[!?]{2,}", text)),
                caps,
                bool(ELONGATED.search(low)),
                bool(ANGRY_EMOJI.search(text)),
                bool(REPEATED.search(low)),
                caps * not_positive,
                exclaims * not_positive,
                bool(SARCASM.search(low)) and bool(TROUBLE.search(low)),
                min(len(TROUBLE.findall(low)), 3),
                bool(ACCUSING.search(low)) * polarity["neg"],
                bool(RHETORICAL.search(low)),
            ]
        )
    return np.asarray(rows, dtype=np.float32)
