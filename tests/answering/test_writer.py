"""Answers written for a visitor: rows as sentences about the rows asked, plain prose, and
citations labelled by document title and section, never by file or internal name."""

from __future__ import annotations

import re
from pathlib import Path

from factories import make_csv
from frontdesk.answering.generators.base import GenerationRequest
from frontdesk.answering.generators.extractive import ExtractiveGenerator
from frontdesk.answering.schemas import Citation
from frontdesk.insights.service import answer_gap
from frontdesk.knowledge.chunking import chunk_document
from frontdesk.knowledge.documents import Document
from frontdesk.knowledge.hits import Hit
from frontdesk.knowledge.limits import DEFAULT_LIMITS
from frontdesk.knowledge.loaders.tabular import load_csv
from frontdesk.knowledge.text import split_sentences

CATALOGUE = [
    ["Stock #", "Model", "Type", "Year", "Condition", "Price", "Mileage", "Status", "Notes"],
    ["SN-101", "Glacier 850", "Snowmobile", "2025", "New", "$12,999", "0 mi", "Available", ""],
    ["SN-102", "Glacier 850 Touring", "Snowmobile", "2025", "New", "$14,499", "0 mi",
     "Available", "Two-up seat; 146-inch track"],
    ["SN-103", "Glacier 600", "Snowmobile", "2021", "Used", "$6,450", "2,340 mi", "On hold", ""],
    ["AT-201", "Trailhawk 570", "ATV", "2025", "New", "$8,299", "0 hrs", "Available", ""],
    ["AT-202", "Trailhawk 450", "ATV", "2025", "New", "$6,799", "0 hrs", "Available", ""],
    ["AT-203", "Trailhawk 90", "ATV", "2025", "New", "$2,899", "0 hrs", "Available", ""],
]  # fmt: skip
DUMP = re.compile(r"[\w#]+: [^;]+; [\w#]+: ")  # "Column: value; Column: value"


def hits_of(document: Document, source: str, order: list[str] | None = None) -> list[Hit]:
    """The document's chunks as retrieval returns them, in ``order`` of location if given."""
    drafts = chunk_document(document)
    if order is not None:
        drafts = [next(d for d in drafts if d.location == where) for where in order]
    return [
        Hit(i, "source-1", source, d.title, d.location, None, d.text, 1 - i / 10, 0.5, 0.5)
        for i, d in enumerate(drafts)
    ]


def catalogue(order: list[str]) -> list[Hit]:
    document = load_csv(make_csv(CATALOGUE), "catalogue", DEFAULT_LIMITS)
    return hits_of(document, "catalogue.csv", order)


def prose(*texts: str, title: str = "Service guide — Storage") -> list[Hit]:
    return [
        Hit(i, f"source-{i}", "service-guide.md", title, "", None, text, 1 - i / 10, 0.5, 0.5)
        for i, text in enumerate(texts)
    ]


async def answer(question: str, passages: list[Hit]) -> tuple[str, list[int]]:
    generation = await ExtractiveGenerator().generate(GenerationRequest(question, passages))
    return generation.text, generation.cited


def assert_plain(text: str) -> None:
    """No table pipes, bullet dashes, column dumps, file names or repeated sentences."""
    assert "|" not in text and not re.search(r"(^|\n)\s*[-*•]\s", text)
    assert not DUMP.search(text), text
    assert not re.search(r"\.(csv|xlsx|md|pdf|docx|json)\b", text), text
    sentences = [s.lower() for s in split_sentences(text)]
    assert len(sentences) == len(set(sentences)), text


# --- rows ---------------------------------------------------------------------------------


async def test_a_row_is_one_sentence_about_the_row_the_question_names() -> None:
    # Retrieval ranks the Touring first; the question names the plain Glacier 850.
    passages = catalogue(["row 3", "row 2", "row 4"])
    text, cited = await answer("What does the Glacier 850 cost?", passages)
    assert "$12,999" in text and "$14,499" not in text and "Touring" not in text
    assert len(split_sentences(text)) == 1 and text.startswith("Glacier 850")
    assert_plain(text)
    assert [passages[i].location for i in cited] == ["row 2"]


async def test_the_longer_name_wins_where_the_question_says_it() -> None:
    passages = catalogue(["row 2", "row 3"])
    for question in ("How much is the Glacier 850 Touring?", "Price of the touring Glacier 850?"):
        text, cited = await answer(question, passages)
        assert "$14,499" in text and "$12,999" not in text, question
        assert [passages[i].location for i in cited] == ["row 3"]


async def test_the_cells_asked_about_come_first_and_others_in_parentheses() -> None:
    text, _ = await answer("How many miles are on the Glacier 600?", catalogue(["row 4"]))
    assert text.index("2,340 mi") < text.index("(")
    assert "Glacier 600" in text and text.endswith(").")
    assert_plain(text)


PLANS = [
    ["Feature", "Free", "Solo", "Solo Plus", "Studio"],
    ["Receipt scans per month", "None", "40", "200", "1,000"],
    ["File storage", "500 MB", "2 GB", "10 GB", "50 GB"],
]
COURSES = [
    ["Course", "Code", "Self-paced", "Live cohort", "Length"],
    ["SQL Foundations", "DA110", "$290", "$590", "6 weeks"],
]


async def test_a_column_the_question_names_is_said_without_its_like() -> None:
    plans = hits_of(load_csv(make_csv(PLANS), "plans", DEFAULT_LIMITS), "plans.csv")
    text, _ = await answer("How many receipts can I scan a month on Solo?", plans[:1])
    assert "40" in text and not re.search(r"200|1,000|free|plus|studio", text, re.I), text
    # "Solo" is part of the longer column name the question says: only Solo Plus is said.
    text, _ = await answer("how much file storage comes with Solo Plus?", plans[1:])
    assert "10 GB" in text and not re.search(r"500 MB|\b2 GB|50 GB", text), text
    courses = hits_of(load_csv(make_csv(COURSES), "courses", DEFAULT_LIMITS), "courses.csv")
    text, _ = await answer("price of the self-paced SQL course?", courses)
    # The other price is left out; a cell of another kind may still be said beside it.
    assert "$290" in text and "$590" not in text and "6 weeks" in text, text
    assert_plain(text)


async def test_a_comparison_says_each_named_row_in_the_question_order() -> None:
    passages = catalogue(["row 3", "row 2", "row 4"])
    question = "What's the difference between the Glacier 850 and the Glacier 850 Touring?"
    text, _ = await answer(question, passages)
    assert text.index("$12,999") < text.index("$14,499")
    assert "$6,450" not in text and len(split_sentences(text)) == 2
    assert_plain(text)


async def test_a_row_named_by_a_plural_takes_a_plural_verb() -> None:
    menu = [["Item", "Price"], ["Cupcakes (standard)", "$36"], ["Glass of lemonade", "$3"]]
    passages = hits_of(load_csv(make_csv(menu), "menu", DEFAULT_LIMITS), "menu.csv")
    text, _ = await answer("How much are the standard cupcakes?", passages)
    assert text == "Cupcakes (standard) cost $36.", text
    text, _ = await answer("How much is a glass of lemonade?", passages)
    assert text == "Glass of lemonade costs $3.", text


async def test_a_choice_between_two_says_both_though_one_is_named_in_part() -> None:
    rentals = [
        ["Bike", "4 hours", "Full day"],
        ["Road (Velora Arlo 3)", "$45", "$65"],
        ["Hardtail mountain (Northfork 29)", "$40", "$60"],
        ["E-bike (Amperon City)", "$50", "$75"],
    ]
    passages = hits_of(load_csv(make_csv(rentals), "rentals", DEFAULT_LIMITS), "rentals.csv")
    question = "Is it cheaper to rent the road bike or the hardtail for a day?"
    text, cited = await answer(question, passages)
    # "the hardtail" says part of "Hardtail mountain": the comparison has both, in order.
    assert text.index("$65") < text.index("$60") and "$75" not in text, text
    assert sorted(passages[i].location for i in cited) == ["row 2", "row 3"]
    # Without a comparison, the row named in full answers alone.
    text, _ = await answer("How much is the road bike for a day?", passages)
    assert "$65" in text and "$60" not in text, text
    assert_plain(text)


async def test_a_list_question_gets_one_short_sentence() -> None:
    passages = catalogue(["row 5", "row 6", "row 4", "row 7"])
    text, cited = await answer("Which ATVs do you have?", passages)
    assert all(name in text for name in ("Trailhawk 570", "Trailhawk 450", "Trailhawk 90"))
    assert "$8,299" in text and "Glacier" not in text
    assert len(split_sentences(text)) == 1
    assert sorted(passages[i].location for i in cited) == ["row 5", "row 6", "row 7"]
    assert_plain(text)


async def test_a_list_question_leaves_out_the_rows_that_say_no_to_it() -> None:
    rooms = [
        ["Room type", "Rooms of this type", "View", "Dogs allowed", "Price"],
        ["Classic Double", "2", "Sea", "No", "£115"],
        ["Garden Room", "1", "Garden", "Yes, up to 2 dogs", "£125"],
        ["Single Room", "1", "Village", "No", "£70"],
        ["Family Room", "1", "Sea", "Yes, up to 2 dogs", "£150"],
    ]
    passages = hits_of(load_csv(make_csv(rooms), "rooms", DEFAULT_LIMITS), "rooms.csv")
    text, _ = await answer("Which rooms allow dogs?", passages)
    assert "Garden Room" in text and "Family Room" in text, text
    assert "Classic Double" not in text and "Single Room" not in text, text
    # "Which rooms": what is listed, not a column asked about ("rooms of this type").
    text, _ = await answer("Which rooms have a sea view?", passages)
    assert "Classic Double (£115)" in text and "of this type" not in text, text
    # "Not accepted" says no too; a column the question does not name tells nothing.
    plans = [
        ["Plan", "Insurance company", "Network status", "Plan type"],
        ["Premier", "Lakeshore Dental Alliance", "In network", "PPO"],
        ["Essentials", "Lakeshore Dental Alliance", "Not accepted", "Discount plan"],
        ["PPO Select", "Lakeshore Dental Alliance", "In network", "PPO"],
    ]
    passages = hits_of(load_csv(make_csv(plans), "plans", DEFAULT_LIMITS), "plans.csv")
    text, _ = await answer("Which Lakeshore plans are you in network with?", passages)
    assert "Premier" in text and "PPO Select" in text and "Essentials" not in text, text
    assert_plain(text)


# --- prose and hand-written answers ---------------------------------------------------------


async def test_a_list_under_its_lead_in_is_one_plain_sentence() -> None:
    guide = (
        "Test rides are free.\n\nTo take a test ride you must:\n\n"
        "- Be at least 18 years old\n- Show a valid driver's license\n- Sign our waiver\n\n"
        "Test rides last about 15 minutes."
    )
    text, _ = await answer("What do I need to take a test ride?", prose(guide))
    assert "18 years old" in text and "driver's license" in text and "waiver" in text
    assert text.startswith("To take a test ride you must:")
    assert_plain(text)


async def test_steps_that_are_sentences_each_are_said_as_sentences() -> None:
    guide = (
        "Warranty repairs are free.\n\nTo file a warranty claim:\n\n"
        "1. Call the service desk at 555-0152.\n2. Bring proof of purchase.\n"
        "3. Leave the unit with us for inspection."
    )
    text, _ = await answer("How do I file a warranty claim?", prose(guide))
    assert text == (
        "To file a warranty claim: Call the service desk at 555-0152. Bring proof of "
        "purchase. Leave the unit with us for inspection."
    )
    assert_plain(text)


async def test_a_list_under_a_label_line_is_said_under_that_label() -> None:
    # The label says what the items are; an item said without it would read as a yes.
    guide = (
        "Parts you bring in are fitted at our usual rate.\n\nWhat we don't work on\n"
        "- Bikes with gas engines\n- Electric scooters and hoverboards\n"
        "- Motors and batteries on e-bikes (see above)"
    )
    text, _ = await answer("Do you repair e-bike batteries?", prose(guide))
    assert text.startswith("What we don't work on:") and "batteries on e-bikes" in text
    assert "see above" not in text  # a pointer to text the visitor does not see
    assert_plain(text)


async def test_sentences_bulleted_under_a_label_are_said_one_at_a_time() -> None:
    # A section merged into the one before keeps its heading inline, above its bullets: the
    # bullets are sentences each, and the one that answers is said alone, without the label.
    guide = (
        "Guests must be 18 or over.\n\nDeposit and payment\n"
        "- A deposit of 30% of your stay is taken when you book.\n"
        "- The balance is paid when you check out.\n"
        "- We accept Visa, Mastercard and cash. We do not accept cheques."
    )
    text, _ = await answer("Can I pay by cheque?", prose(guide))
    assert "do not accept cheques" in text and "deposit" not in text.lower(), text
    assert_plain(text)


async def test_a_question_in_prose_is_said_with_its_answer() -> None:
    guide = (
        "Service appointments are booked by phone. Don't have a trailer? We pick up your "
        "machine and bring it back for $75 round trip."
    )
    text, _ = await answer("What if I don't have a trailer?", prose(guide))
    assert "$75" in text and not text.endswith("?"), text


async def test_table_lines_in_prose_become_sentences_without_pipes() -> None:
    guide = "Prices include labor.\n\nService | Price\n---|---\nTune-up | $189\nOil change | $79"
    text, _ = await answer("How much is an oil change?", prose(guide))
    assert "$79" in text and "$189" not in text
    assert_plain(text)


async def test_the_same_sentence_is_said_once_and_a_back_reference_keeps_its_antecedent() -> None:
    storage = (
        "Finished bikes are stored free for 14 days. After that we charge a storage fee of "
        "$5 per day."
    )
    # Overlapping chunks repeat a sentence; the answer must not.
    text, _ = await answer("How much is the storage fee?", prose(storage, storage))
    assert "14 days" in text and "$5 per day" in text
    assert_plain(text)


async def test_yes_is_said_only_when_the_pair_answered_the_visitors_question() -> None:
    pair = prose(
        "Q: Do you sell gift cards?\nA: Yes. Gift cards come in any amount from $25 to $500. "
        "They cannot be used toward a vehicle.",
        title="FAQ",
    )
    same, _ = await answer("Do you sell gift cards?", pair)
    other, _ = await answer("Can I use a gift card to buy a snowmobile?", pair)
    assert same.startswith("Yes.")
    assert not other.lower().startswith("yes") and "vehicle" in other
    # "Of course." and "No problem." answer yes just as much.
    pair = prose(
        "Q: Can you put my own topper on the cake?\nA: Of course. Drop it off at the shop at "
        "least one day before your pickup.",
        title="FAQ",
    )
    other, _ = await answer("When should I drop off a cake topper?", pair)
    assert other.startswith("Drop it off at the shop"), other


# --- citations ----------------------------------------------------------------------------


def cite(title: str, location: str, text: str = "", source: str = "x") -> Citation:
    return Citation(
        source=source, source_id="s", title=title, location=location, snippet=text, score=0.5
    )


def test_a_citation_is_labelled_by_document_and_section_or_page() -> None:
    assert cite("Rental policy — Payments", "page 2").label == "Rental policy — Payments, page 2"
    assert cite("Rental policy — Terms > Payments", "Terms > Payments").label == (
        "Rental policy — Payments"
    )
    # A row cites its sheet or document; a file-named title reads as words.
    assert cite("inventory", "row 12", source="inventory.csv").label == "Inventory"
    assert cite("price_list — Sheet1", "Sheet1 row 3").label == "Price list — Sheet1"
    assert cite("", "row 2", source="price-list.xlsx").label == "Price list"
    # A web page's site-name suffix goes; a Q&A pair is named by its question.
    assert cite("About us | Ridgeline, Duluth — Hours", "About us > Hours").label == (
        "About us — Hours"
    )
    qa = cite("faq", "Q&A 3", "Q: Do you ship parts? A: Yes. We ship by UPS.", "faq.json")
    assert qa.label == "FAQ — Do you ship parts?"
    # A product's own names never reach the visitor, and nothing is said twice.
    gap = "Knowledge gap: do you rent trailers?"
    qa = cite(gap, "Q&A 1", "Q: do you rent trailers? A: Yes, $60 a day.", gap)
    assert qa.label == "Do you rent trailers?"
    assert cite("", "Q&A 1", "Q: Do you ship? A: Yes.", "Knowledge gap: do you ship").label == (
        "Do you ship"
    )
    assert cite("Warranty — Warranty", "Warranty").label == "Warranty"
    assert cite("Q&A", "Q&A 2", "Q: Do you ship? A: Yes.").label == "Do you ship?"
    # The team keeps the full evidence.
    assert {"source", "title", "location", "snippet", "score", "label"} <= set(qa.model_dump())


# --- through the product ------------------------------------------------------------------


async def test_a_product_question_through_the_product(started, tmp_path: Path) -> None:
    agent = await started.agent("Shop", confidence_threshold=0.0)
    (tmp_path / "catalogue.csv").write_bytes(make_csv(CATALOGUE))
    (tmp_path / "visit.md").write_text(
        "# Visit us\n\n## Hours\n\nWe are open Monday to Friday, 9:00 to 18:00.\n"
    )
    await started.ingest_file(agent, tmp_path / "catalogue.csv")
    await started.ingest_file(agent, tmp_path / "visit.md")

    reply = await started.runtime.answers.ask(agent, "What does the Glacier 850 cost?")

    assert "$12,999" in reply.answer and "$14,499" not in reply.answer
    assert len(split_sentences(reply.answer)) == 1
    assert_plain(reply.answer)
    [citation] = reply.citations
    assert citation.label == "Catalogue"
    assert citation.source == "catalogue.csv" and citation.location.startswith("row ")
    assert "Glacier 850" in citation.snippet and citation.score > 0


async def test_an_answer_added_from_a_gap_is_cited_by_its_question(started) -> None:
    agent = await started.agent("Shop", confidence_threshold=0.0)
    question = "do you rent snowmobile trailers?"
    source, _ = await answer_gap(
        started.runtime.db,
        started.runtime.knowledge,
        started.workspace_id,
        agent.id,
        question,
        "Yes, we rent two-place trailers for $60 a day.",
    )
    await started.runtime.knowledge.ingest(source.id)

    reply = await started.runtime.answers.ask(agent, "Do you rent snowmobile trailers?")

    assert "$60 a day" in reply.answer
    assert [c.label for c in reply.citations] == ["Do you rent snowmobile trailers?"]
