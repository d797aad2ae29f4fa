"""The default generator: no model; it answers with the passages' own words, written plainly.

Retrieval did the semantic work at passage level (hybrid search); here the units of the top
passages (sentences, lists, table rows: prose.py) are scored by how much of the question they
contain — each word weighted by its rarity in the agent's knowledge (IDF), read together with
the passage's title and heading — by whether they hold the kind of answer asked for (a price,
a time, a duration), and by their meaning: every unit is compared with the question through
the retrieval model's vectors, so "Are pets allowed?" finds "Leashed dogs are welcome"
though no word is shared. No language model runs: the
units' vectors were stored at ingestion (knowledge/units.py; ``unit_texts`` says what is
embedded), and a unit without one is embedded at the ask.

The best unit decides the shape of the reply, one to three plain sentences with the answer
first: a spreadsheet row is written as a sentence about the rows the question names
(rows.py); a hand-written Q&A answer is said as written, without its "Yes."/"No." when it
answered another question; prose is the best unit with close neighbours, never one twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import numpy as np

from frontdesk.answering.confidence import answer_kinds, holds_kind, share_present
from frontdesk.answering.generators.base import Generation, GenerationRequest, Generator
from frontdesk.answering.generators.prose import (
    Unit,
    drop_yes_no,
    near_duplicate,
    refers_back,
    render,
    units,
)
from frontdesk.answering.generators.question import Question, read_question
from frontdesk.answering.generators.rows import (
    Row,
    choose_rows,
    parse_row,
    row_sentence,
    rows_sentence,
)
from frontdesk.knowledge.hits import Hit
from frontdesk.knowledge.loaders.qa import split_pair
from frontdesk.knowledge.text import stems
from frontdesk.knowledge.vectors import TermStats

MAX_PASSAGES = 4
MAX_CANDIDATES = 60
MAX_WORDS = 90
MAX_SENTENCES = 3
# Units are compared with the question by meaning: a vector each, of at most EMBEDDED_WORDS
# words (stored at ingestion; embedded at the ask when not, which costs by the word).
EMBEDDED_WORDS = 25
# A Q&A pair's question shares this much of the visitor's, both ways, to be the same one.
SAME_QUESTION = 0.8
# Text that speaks to a model rather than to a visitor (an injection planted in a document):
# never said, however close to the question it reads.
TO_A_MODEL = re.compile(
    r"\b(?:ignore|disregard)\s+(?:(?:all|any|of|the|your)\s+)*"
    r"(?:previous|prior|above|earlier|your)\s+(?:instructions|rules|prompts?)\b"
    r"|\bsystem\s+(?:prompt|instructions?)\b"
    r"|\b(?:instructions?|notes?|messages?)\s+(?:to|for)\s+(?:the\s+)?(?:ai|assistant|model)s?\b"
    r"|\bfor\s+ai\s+assistants\b",
    re.I,
)


@dataclass(frozen=True)
class Candidate:
    passage: int
    position: int
    kind: Literal["prose", "row", "qa"]
    text: str  # what scoring reads, with the passage title
    unit: Unit | None = None
    row: Row | None = None
    asked: str = ""  # a Q&A pair's question
    answer: str = ""  # a Q&A pair's answer


def _is_record(location: str) -> bool:
    return location.startswith("row ") or " row " in location


def _candidates(passages: list[Hit]) -> list[Candidate]:
    out: list[Candidate] = []
    for p, hit in enumerate(passages[:MAX_PASSAGES]):
        out.extend(_passage_candidates(p, hit.title, hit.location, hit.text))
    return out[:MAX_CANDIDATES]


def _passage_candidates(p: int, title: str, location: str, text: str) -> list[Candidate]:
    qa = split_pair(text)
    row = parse_row(text) if _is_record(location) else None
    if qa:
        asked, answer = qa
        out = [Candidate(p, 0, "qa", f"{title}: {answer}", asked=asked, answer=answer)]
    elif row is not None:
        out = [Candidate(p, 0, "row", f"{title}: {text}", row=row)]
    else:
        out = [
            Candidate(p, i, "prose", f"{title} {u.context}: {u.text}", unit=u)
            for i, u in enumerate(units(text))
        ]
    return [c for c in out if not TO_A_MODEL.search(c.text)]


def unit_texts(title: str, location: str, text: str) -> list[str]:
    """What each unit of a passage is embedded as when compared with a question by meaning
    (knowledge/units.py embeds them at ingestion)."""
    return [_embedded(c) for c in _passage_candidates(0, title, location, text)]


class ExtractiveGenerator(Generator):
    name = "extractive"

    async def generate(self, request: GenerationRequest) -> Generation:
        passages = request.passages
        candidates = _candidates(passages)
        if not candidates:
            return Generation(text="", cited=[])
        question = read_question(request.question)
        wanted = set(stems(request.question))
        overlap = np.array([share_present(wanted, c.text, request.terms) for c in candidates])
        meaning = np.array([passages[c.passage].vector_score for c in candidates])
        rank_prior = np.array([1.0 / (1 + c.passage) for c in candidates])
        short = np.array([len(c.text.split()) < 6 for c in candidates])
        kinds = answer_kinds(request.question)
        typed = np.array([holds_kind(kinds, c.text) for c in candidates])
        score = 0.55 * overlap + 0.25 * meaning + 0.2 * rank_prior - 0.1 * short + 0.1 * typed
        similarity = await self._similarity(request, candidates)
        if similarity is not None:
            # Said by meaning: a paraphrase shares no word with the sentence that answers it.
            # Weights from a small grid on the development bank, cross-validated by business:
            # the best unit holds the answer for 257 of 369 answerable questions, 243 before.
            score = 0.3 * overlap + 0.05 * rank_prior - 0.1 * short + 0.1 * typed + 1.0 * similarity
        # An item said apart from its list answers only with a word of the question in it.
        for i, c in enumerate(candidates):
            if c.unit is not None and c.unit.own and not wanted & set(stems(c.unit.own)):
                score[i] = -np.inf
        best = int(np.argmax(score))
        records = [i for i, c in enumerate(candidates) if c.kind == "row"]
        if question.several and records and candidates[best].kind != "row":
            # A list is asked for: table rows that say as much of the question list it.
            top = max(records, key=lambda i: score[i])
            best = top if overlap[top] >= overlap[best] else best
        kind = candidates[best].kind
        # Rows and Q&A pairs are compared on content alone: four rows of one model are
        # equally good, and so are two pairs however retrieval ranked them.
        content = 0.6 * overlap + 0.4 * meaning
        if kind == "row":
            chosen, rows = self._rows(passages, candidates, content, best, question)
            text = (
                row_sentence(rows[0], question) if len(rows) == 1 else rows_sentence(rows, question)
            )
        elif kind == "qa":
            chosen = self._answers(candidates, content, best, question, request.terms)
            # One answer says up to three sentences; with a second, two and one.
            limits = [MAX_SENTENCES] if len(chosen) == 1 else [MAX_SENTENCES - 1, 1]
            text = " ".join(
                _qa_answer(candidates[i], question, wanted, request.terms, limit)
                for i, limit in zip(chosen, limits, strict=True)
            )
        else:
            chosen = self._prose(candidates, score, best)
            text = _compose([candidates[i] for i in chosen], question)
        # Cited in the order the reply says them.
        cited = list(dict.fromkeys(candidates[i].passage for i in chosen))
        measured = None if similarity is None else float(max(similarity[i] for i in chosen))
        return Generation(text=text, cited=cited, similarity=measured)

    async def _similarity(
        self, request: GenerationRequest, candidates: list[Candidate]
    ) -> np.ndarray | None:
        """Each candidate's cosine to the question; None without an embedder.

        Every candidate is compared, not only the best few by words: a paraphrase's answer
        is rarely among those (the best unit held the answer for 284 of 369 answerable bank
        questions, 273 when only the best three by words were compared)."""
        if request.embed is None or request.query_vector is None:
            return None
        vectors = await request.embed([_embedded(c) for c in candidates])
        return np.asarray(vectors @ request.query_vector, dtype=np.float64)

    def _rows(
        self,
        passages: list[Hit],
        candidates: list[Candidate],
        content: np.ndarray,
        best: int,
        question: Question,
    ) -> tuple[list[int], list[Row]]:
        """The rows of the best row's source that answer, and the indexes of their candidates."""
        source = passages[candidates[best].passage].source_id
        pool = [
            (i, c.row)
            for i, c in enumerate(candidates)
            if c.row is not None and passages[c.passage].source_id == source
        ]
        picked = choose_rows([row for _, row in pool], [content[i] for i, _ in pool], question)
        return [pool[k][0] for k in picked], [pool[k][1] for k in picked]

    def _answers(
        self,
        candidates: list[Candidate],
        content: np.ndarray,
        best: int,
        question: Question,
        terms: TermStats | None,
    ) -> list[int]:
        """The best Q&A pair; and the next nearly as good when the best one's question is
        another than the visitor's, since its answer may well not be the one wanted."""
        if _same_question(candidates[best], question, terms):
            return [best]
        close = [
            int(i)
            for i in np.argsort(-content)
            if i != best and candidates[i].kind == "qa" and content[i] >= 0.9 * content[best]
        ]
        return [best, *close[:1]]

    def _prose(self, candidates: list[Candidate], score: np.ndarray, best: int) -> list[int]:
        """The best unit, then close neighbours and near-equals elsewhere, none said twice.

        A best unit that refers back ("After that, ...") brings the unit before it along."""
        home = candidates[best].passage
        chosen = [best]
        before = best - 1
        unit = candidates[best].unit
        if (
            unit is not None
            and refers_back(unit.text)
            and before >= 0
            and candidates[before].passage == home
            and candidates[before].kind == "prose"
        ):
            chosen.append(before)
        covered = set().union(*(self._atoms(candidates[i]) for i in chosen))
        words = sum(len(candidates[i].text.split()) for i in chosen)
        for i in (int(i) for i in np.argsort(-score)):
            c = candidates[i]
            if len(chosen) >= MAX_SENTENCES:
                break
            if i in chosen or c.kind != "prose" or not np.isfinite(score[i]):
                continue
            if c.passage == home and covered & self._atoms(c):
                continue
            near = c.passage == home and abs(c.position - candidates[best].position) <= 2
            if (near and score[i] >= 0.85 * score[best]) or score[i] >= 0.95 * score[best]:
                n = len(c.text.split())
                if words + n <= MAX_WORDS:
                    chosen.append(i)
                    words += n
                    if c.passage == home:
                        covered |= self._atoms(c)
        rest = sorted(chosen[1:], key=lambda i: (candidates[i].passage, candidates[i].position))
        if before in rest and candidates[before].passage == home:
            return [before, best, *(i for i in rest if i != before)]
        return [best, *rest]

    @staticmethod
    def _atoms(candidate: Candidate) -> frozenset[int]:
        return candidate.unit.atoms if candidate.unit is not None else frozenset()


def _embedded(candidate: Candidate) -> str:
    """What is embedded: the unit under its heading, a row or a Q&A answer as it stands,
    cut to its first EMBEDDED_WORDS words."""
    if candidate.unit is not None:
        context = candidate.unit.context
        text = f"{context}: {candidate.unit.text}" if context else candidate.unit.text
    elif candidate.kind == "qa":
        text = f"{candidate.asked} {candidate.answer}"
    else:
        text = candidate.text
    return " ".join(text.split()[:EMBEDDED_WORDS])


def _compose(chosen: list[Candidate], question: Question) -> str:
    """The chosen units written out, the answer first, without repeating a sentence."""
    said: list[str] = []
    for c in chosen:
        if c.unit is None:
            continue
        text = render(c.unit, question)
        if not any(near_duplicate(text, other) for other in said):
            said.append(text)
    return " ".join(said)


def _same_question(candidate: Candidate, question: Question, terms: TermStats | None) -> bool:
    """The Q&A pair's question and the visitor's share most of their words, both ways."""
    theirs = set(stems(candidate.asked))
    return (
        share_present(set(question.stems), candidate.asked, terms) >= SAME_QUESTION
        and share_present(theirs, question.text, terms) >= SAME_QUESTION
    )


def _qa_answer(
    candidate: Candidate,
    question: Question,
    wanted: set[str],
    terms: TermStats | None,
    limit: int,
) -> str:
    """A hand-written answer: its first sentence and those that best match the question.

    Its "Yes."/"No." is said only when the pair's question is the visitor's."""
    answer = candidate.answer
    if not _same_question(candidate, question, terms):
        answer = drop_yes_no(answer)
    said = [render(u, question) for u in units(answer)]
    if len(said) > limit:
        fit = [share_present(wanted, s, terms) for s in said[1:]]
        best = sorted(range(len(fit)), key=lambda k: -fit[k])[: limit - 1]
        said = [said[0], *(said[1 + k] for k in sorted(best))]
    return " ".join(said)
