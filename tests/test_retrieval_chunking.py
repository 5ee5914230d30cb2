"""Chunkers: full coverage, exact offsets, token budgets, overlap and gold-passage mapping."""

from __future__ import annotations

import datetime as dt
import itertools
import random
import re

import pytest

from course.data.handbook import Document, split_passages
from course.retrieval.chunking import (
    STRATEGIES,
    SourceDocument,
    Span,
    chunk_documents,
    fixed_windows,
    paragraphs,
    sections,
    sentence_windows,
)
from course.retrieval.corpus import source_document
from course.tokens import count_tokens

HANDBOOK_LIKE = """# Refund policy

Refunds are issued within 30 days. Contact billing@northwind.example for help!

## Exceptions
Annual plans are not refundable (see section 4.2). Really? Yes: "no exceptions".

Über-long identifiers like NW-4101-ABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789 stay whole.
## Escalation

Page the on-call engineer: they answer within 15 minutes.
"""

WORDS = ["alpha", "beta", "refund", "invoice", "deploy", "rollback", "on-call", "p95", "latency"]


def with_passages(doc_id: str, text: str) -> SourceDocument:
    """Gold passages the way the handbook makes them: blank-line blocks, numbered from 1."""
    spans, cursor = [], 0
    blocks = [b.strip() for b in re.split(r"\n[ \t]*\n", text) if b.strip()]
    for number, block in enumerate(blocks, 1):
        start = text.index(block, cursor)
        cursor = start + len(block)
        spans.append(Span(f"{doc_id}#p{number}", start, cursor))
    return SourceDocument(doc_id, text, tuple(spans))


def random_docs(count: int = 25, seed: int = 7) -> list[SourceDocument]:
    rng = random.Random(seed)
    docs = []
    for n in range(count):
        parts = [" " * rng.randint(0, 2)]
        for _ in range(rng.randint(1, 8)):
            if rng.random() < 0.3:
                parts.append(f"{'#' * rng.randint(1, 3)} {rng.choice(WORDS).title()}\n")
            sentence_count = rng.randint(1, 4)
            sentences = [
                " ".join(rng.choices(WORDS, k=rng.randint(2, 15))).capitalize() + rng.choice(".!?")
                for _ in range(sentence_count)
            ]
            parts.append(" ".join(sentences) + "\n" * rng.randint(1, 3))
        docs.append(
            with_passages(f"doc-{n:04d}", "".join(parts).rstrip(" ") + rng.choice(["", "\n"]))
        )
    return docs


DOCS = [
    with_passages("doc-0001", HANDBOOK_LIKE),
    SourceDocument("plain", "no passages here"),
    *random_docs(),
]
CHUNKERS = {
    **STRATEGIES,
    "window-small": lambda d: fixed_windows(d, size=12, overlap=4),
    "window-no-overlap": lambda d: fixed_windows(d, size=7, overlap=0),
    "sentence-1": lambda d: sentence_windows(d, size=1, stride=1),
}


@pytest.mark.parametrize("name", CHUNKERS)
def test_chunks_cover_every_character_with_exact_offsets(name: str) -> None:
    for doc in DOCS:
        chunks = CHUNKERS[name](doc)
        covered = bytearray(len(doc.text))
        for chunk in chunks:
            assert chunk.doc_id == doc.id
            assert chunk.text == doc.text[chunk.start : chunk.end]
            assert chunk.end > chunk.start
            covered[chunk.start : chunk.end] = b"\x01" * (chunk.end - chunk.start)
        assert all(covered), f"{name} left characters of {doc.id} uncovered"
        assert [c.start for c in chunks] == sorted(c.start for c in chunks)
        assert len({c.id for c in chunks}) == len(chunks)


@pytest.mark.parametrize("name", CHUNKERS)
def test_passage_ids_are_exactly_the_overlapping_gold_passages(name: str) -> None:
    for doc in DOCS:
        chunks = CHUNKERS[name](doc)
        for chunk in chunks:
            expected = [
                p.id
                for p in doc.passages
                if set(range(p.start, p.end)) & set(range(chunk.start, chunk.end))
            ]
            assert list(chunk.passage_ids) == expected
        assert {p for c in chunks for p in c.passage_ids} == {p.id for p in doc.passages}


def test_fixed_windows_stay_within_the_token_budget() -> None:
    for doc in DOCS:
        for chunk in fixed_windows(doc, size=12, overlap=4):
            assert count_tokens(chunk.text) <= 12


def test_fixed_windows_overlap_by_the_requested_tokens() -> None:
    text = " ".join(f"w{i}" for i in range(100))  # every word is one token
    chunks = fixed_windows(SourceDocument("d", text), size=10, overlap=3)
    for prev, nxt in itertools.pairwise(chunks):
        shared = text[nxt.start : prev.end]
        assert count_tokens(shared) == 3
        assert prev.text.split()[-3:] == nxt.text.split()[:3]
    assert count_tokens(chunks[0].text) == 10


def test_fixed_windows_never_cut_a_long_piece() -> None:
    doc = SourceDocument("d", "short " + "x" * 200 + " tail")
    chunks = fixed_windows(doc, size=8, overlap=2)
    assert any("x" * 200 in c.text for c in chunks)


@pytest.mark.parametrize(("size", "overlap"), [(0, 0), (10, 10), (10, -1)])
def test_fixed_windows_reject_impossible_settings(size: int, overlap: int) -> None:
    with pytest.raises(ValueError):
        fixed_windows(DOCS[0], size=size, overlap=overlap)


def test_paragraphs_never_split_a_passage_and_lone_headings_join_the_next() -> None:
    doc = DOCS[0]
    chunks = paragraphs(doc)
    assert chunks[0].text.startswith("# Refund policy\n\nRefunds are issued")
    assert chunks[0].passage_ids == ("doc-0001#p1", "doc-0001#p2")
    for passage in doc.passages:
        holders = [c for c in chunks if passage.id in c.passage_ids]
        assert len(holders) == 1
        assert holders[0].start <= passage.start and passage.end <= holders[0].end


def test_paragraphs_without_gold_passages_split_on_blank_lines() -> None:
    doc = SourceDocument("d", "First para\nstill first.\n\n  \nSecond para.\n\nThird.")
    assert [c.text.strip() for c in paragraphs(doc)] == [
        "First para\nstill first.",
        "Second para.",
        "Third.",
    ]


def test_sections_start_at_headings() -> None:
    chunks = sections(DOCS[0])
    assert [c.text.splitlines()[0] for c in chunks] == [
        "# Refund policy",
        "## Exceptions",
        "## Escalation",
    ]
    preamble = SourceDocument("d", "Intro line.\n# Heading\nBody.")
    assert [c.text for c in sections(preamble)] == ["Intro line.\n", "# Heading\nBody."]
    assert len(sections(SourceDocument("d", "no headings at all"))) == 1


def test_sentence_windows_share_size_minus_stride_sentences() -> None:
    text = "One. Two! Three? Four. Five. Six."
    chunks = sentence_windows(SourceDocument("d", text), size=3, stride=2)
    assert [c.text.strip() for c in chunks] == [
        "One. Two! Three?",
        "Three? Four. Five.",
        "Five. Six.",
    ]
    with pytest.raises(ValueError):
        sentence_windows(SourceDocument("d", text), size=2, stride=3)


def test_chunk_documents_accepts_names_and_functions() -> None:
    by_name = chunk_documents(DOCS[:3], "paragraph")
    by_function = chunk_documents(DOCS[:3], paragraphs)
    assert by_name == by_function
    assert by_name[0].id == "doc-0001/paragraph/0"


def test_handbook_documents_map_to_their_gold_passages() -> None:
    doc = Document(
        id="doc-0042",
        title="Refund policy",
        category="billing",
        updated_at=dt.date(2024, 5, 1),
        body=HANDBOOK_LIKE,
    )
    source = source_document(doc)
    assert source.title == "Refund policy"
    gold = split_passages(doc)
    assert [s.id for s in source.passages] == [p.id for p in gold]
    for span, passage in zip(source.passages, gold, strict=True):
        assert source.text[span.start : span.end] == passage.text


def test_chunks_carry_the_document_title_for_indexing() -> None:
    doc = SourceDocument("d", "The tech lead is Ana Ruiz.", title="Messaging team")
    (chunk,) = paragraphs(doc)
    assert chunk.text == "The tech lead is Ana Ruiz."
    assert chunk.search_text == "Messaging team\nThe tech lead is Ana Ruiz."
    assert paragraphs(SourceDocument("d", "untitled"))[0].search_text == "untitled"
