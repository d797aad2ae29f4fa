"""The default generator: no model; it quotes the sentences that best answer the question.

Retrieval already did the semantic work at passage level (hybrid search); here the
sentences of the top passages are scored by how much of the question they contain — each
word weighted by its rarity in the agent's knowledge (IDF), read together with the
passage's title — and by their passage's rank and meaning score. No model runs at this
step, which keeps an answer within a few milliseconds. The best sentence is kept with close
neighbours, in document order. A sentence that ends in a colon or is very short is
read together with what follows, so "To take a test ride you must:" arrives with its list.
Spreadsheet rows and Q&A pairs are kept whole: a row is a record, and a hand-written answer
is the answer; several matching rows of one sheet are listed together.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from frontdesk.agent.confidence import share_present
from frontdesk.agent.generators.base import Generation, GenerationRequest, Generator
from frontdesk.knowledge.hits import Hit
from frontdesk.knowledge.text import split_sentences, stems

MAX_PASSAGES = 4
MAX_CANDIDATES = 40
MAX_WORDS = 90
WINDOW_MIN_WORDS = 9
WINDOW_MAX_WORDS = 60
MAX_RECORDS = 3
QA = re.compile(r"^Q:\s*(?P<q>.+?)\s*\nA:\s*(?P<a>.+)$", re.S)


@dataclass(frozen=True)
class Candidate:
    passage: int
    position: int
    text: str
    record: bool = False


def _is_record(hit: Hit) -> bool:
    return hit.location.startswith(("row ", "Q&A")) or " row " in hit.location


def _windows(sentences: list[str]) -> list[tuple[int, str]]:
    """Each sentence, extended over following ones while it is a lead-in or a fragment."""
    out = []
    for i, sentence in enumerate(sentences):
        parts = [sentence]
        j = i + 1
        while j < len(sentences) and (
            parts[-1].rstrip().endswith(":")
            or sum(len(p.split()) for p in parts) < WINDOW_MIN_WORDS
        ):
            if sum(len(p.split()) for p in parts) + len(sentences[j].split()) > WINDOW_MAX_WORDS:
                break
            parts.append(sentences[j])
            j += 1
        out.append((i, " ".join(parts)))
    return out


def _candidates(passages: list[Hit]) -> list[Candidate]:
    out: list[Candidate] = []
    for p, hit in enumerate(passages[:MAX_PASSAGES]):
        qa = QA.match(hit.text)
        if qa:
            out.append(Candidate(p, 0, qa.group("a").strip(), record=True))
        elif _is_record(hit):
            out.append(Candidate(p, 0, hit.text.strip(), record=True))
        else:
            out.extend(Candidate(p, i, text) for i, text in _windows(split_sentences(hit.text)))
    return out[:MAX_CANDIDATES]


class ExtractiveGenerator(Generator):
    name = "extractive"

    async def generate(self, request: GenerationRequest) -> Generation:
        passages = request.passages
        candidates = _candidates(passages)
        if not candidates:
            return Generation(text="", cited=[])
        titled = [f"{passages[c.passage].title}: {c.text}" for c in candidates]
        wanted = set(stems(request.question))
        overlap = np.array([share_present(wanted, t, request.terms) for t in titled])
        meaning = np.array([passages[c.passage].vector_score for c in candidates])
        rank_prior = np.array([1.0 / (1 + c.passage) for c in candidates])
        short = np.array([len(c.text.split()) < 6 for c in candidates])
        score = 0.55 * overlap + 0.25 * meaning + 0.2 * rank_prior - 0.1 * short
        best = int(np.argmax(score))
        if candidates[best].record:
            # Rows are compared on content alone: four rows of one model are equally good.
            content = 0.6 * overlap + 0.4 * meaning
            chosen = self._records(passages, candidates, content, best)
        else:
            chosen = self._sentences(candidates, score, best)
        text = self._compose(passages, candidates, chosen)
        cited = sorted({candidates[i].passage for i in chosen})
        return Generation(text=text, cited=cited)

    def _records(
        self, passages: list[Hit], candidates: list[Candidate], score: np.ndarray, best: int
    ) -> list[int]:
        source = passages[candidates[best].passage].source_id
        siblings = [best] + [
            i
            for i in np.argsort(-score)
            if i != best
            if candidates[i].record
            and passages[candidates[i].passage].source_id == source
            and score[i] >= 0.9 * score[best]
        ]
        return [int(i) for i in siblings[:MAX_RECORDS]]

    def _sentences(self, candidates: list[Candidate], score: np.ndarray, best: int) -> list[int]:
        chosen = [best]
        covered = set(range(candidates[best].position, candidates[best].position + 1))
        words = len(candidates[best].text.split())
        home = candidates[best].passage
        for i in (int(i) for i in np.argsort(-score)):
            c = candidates[i]
            if i == best or c.record or (c.passage == home and c.position in covered):
                continue
            near = c.passage == home and abs(c.position - candidates[best].position) <= 2
            if (near and score[i] >= 0.85 * score[best]) or score[i] >= 0.95 * score[best]:
                n = len(c.text.split())
                if words + n <= MAX_WORDS:
                    chosen.append(i)
                    words += n
                    if c.passage == home:
                        covered.add(c.position)
            if len(chosen) >= 3:
                break
        return sorted(
            chosen,
            key=lambda i: (
                candidates[i].passage != home,
                candidates[i].passage,
                candidates[i].position,
            ),
        )

    def _compose(self, passages: list[Hit], candidates: list[Candidate], chosen: list[int]) -> str:
        first = candidates[chosen[0]]
        if first.record and not QA.match(passages[first.passage].text):
            hit = passages[first.passage]
            rows = [candidates[i].text for i in chosen]
            if len(rows) == 1:
                return f"Here is what I found in {hit.source} ({hit.location}): {rows[0]}"
            listed = "\n".join(f"- {row}" for row in rows)
            return f"Here is what I found in {hit.source}:\n{listed}"
        seen: set[str] = set()
        parts = []
        for i in chosen:
            text = candidates[i].text
            if text not in seen:
                seen.add(text)
                parts.append(text)
        return " ".join(parts)
