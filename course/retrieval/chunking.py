"""Cutting documents into chunks, and remembering which gold passages each chunk touches.

Why chunk at all: an embedding model reads a few hundred tokens at most, and a prompt has a
budget, so documents are retrieved in pieces. How you cut changes what can be found, so the
course compares four strategies on the same questions:

* `fixed_windows`: windows of `size` tokens that overlap by `overlap` tokens. Token counts use
  the same rule as `course.tokens.count_tokens`, so `count_tokens(chunk.text) <= size`.
* `paragraphs`: one chunk per paragraph. When a document carries gold passages, the passages
  *are* the paragraphs, so no passage is ever split.
* `sections`: one chunk per markdown section (a `#`-heading line and everything up to the next).
* `sentence_windows`: `size` consecutive sentences, advancing `stride` sentences at a time.

Every chunk records the ids of the gold passages it overlaps (`Chunk.passage_ids`). Retrieval
metrics are then computed at passage level (metrics.py), so strategies with different chunk
boundaries are scored against the same gold labels.

Invariants the tests check: `chunk.text == doc.text[chunk.start:chunk.end]`, and the chunks of
a document cover every character of it. Whitespace between two units belongs to the earlier
chunk, so each chunk starts on real content (a heading, a word) rather than on blank lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial

from course.tokens import count_tokens

# The pieces course.tokens counts: a word, or one punctuation mark.
_PIECE = re.compile(r"\w+|[^\w\s]", re.UNICODE)
_HEADING = re.compile(r"^#{1,6}[ \t]+\S", re.MULTILINE)
# A block: consecutive lines that each hold some non-space character.
_BLOCK = re.compile(r"[^\n]*\S[^\n]*(?:\n[^\n]*\S[^\n]*)*")
_NON_SPACE = re.compile(r"\S")
# A sentence ends at . ! or ? (and any closing quote or bracket) before whitespace, or at a
# blank line.
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*(?=\s)|\n[ \t]*\n")


@dataclass(frozen=True)
class Span:
    """Where a gold passage sits in its document: `text[start:end]`."""

    id: str
    start: int
    end: int


@dataclass(frozen=True)
class SourceDocument:
    """What a chunker needs: an id, the full text, its gold passages in order (if any) and a
    title (copied to every chunk, see `Chunk.search_text`)."""

    id: str
    text: str
    passages: tuple[Span, ...] = ()
    title: str = ""


@dataclass(frozen=True)
class Chunk:
    """A piece of one document: `text == document.text[start:end]`.

    `passage_ids` lists, in document order, the gold passages this chunk overlaps by at least
    one character, so a metric can ask "did the retrieved chunks contain the gold passage?".
    `title` is the document's title, which the chunk's own text often never repeats.
    """

    id: str
    doc_id: str
    text: str
    start: int
    end: int
    passage_ids: tuple[str, ...]
    title: str = ""

    @property
    def search_text(self) -> str:
        """What retrievers index: the title, then the text (a "contextual chunk header").

        A paragraph such as "The tech lead is Ana Ruiz." never names the team it is about;
        its page title does. On the handbook's dev split (paragraph chunks), the title raised
        BM25's hit@5 from 0.68 to 0.74 and MiniLM's recall@10 from 0.76 to 0.84.
        `text` stays the exact slice to quote and cite.
        """
        return f"{self.title}\n{self.text}" if self.title else self.text


Chunker = Callable[[SourceDocument], list[Chunk]]


def fixed_windows(doc: SourceDocument, size: int = 128, overlap: int = 32) -> list[Chunk]:
    """Windows of at most `size` tokens; each starts so it repeats the last `overlap` tokens.

    Overlap exists so a fact that straddles a boundary is whole in at least one window. A single
    piece longer than `size` tokens (a giant URL) becomes a window on its own rather than being cut.
    """
    if size < 1 or not 0 <= overlap < size:
        raise ValueError(f"need size >= 1 and 0 <= overlap < size, got {size=} {overlap=}")
    pieces = [(m.start(), count_tokens(m.group())) for m in _PIECE.finditer(doc.text)]
    bounds: list[tuple[int, int]] = []
    first = 0
    while first < len(pieces):
        last, used = first, 0
        while last < len(pieces) and (last == first or used + pieces[last][1] <= size):
            used += pieces[last][1]
            last += 1
        start = 0 if first == 0 else pieces[first][0]
        end = pieces[last][0] if last < len(pieces) else len(doc.text)
        bounds.append((start, end))
        if last == len(pieces):
            break
        first = _overlap_start(pieces, first, last, overlap)
    return _chunks(doc, "window", bounds)


def paragraphs(doc: SourceDocument) -> list[Chunk]:
    """One chunk per paragraph: the gold passages when the document has them, else blank-line
    separated blocks. A paragraph that is only a heading line joins the paragraph after it (a
    lone "## Refunds" is useless to retrieve, but tells the next paragraph what it is about),
    and so does any text between two passages."""
    if doc.passages:
        units = [(span.start, span.end) for span in doc.passages]
    else:
        units = [(m.start(), m.end()) for m in _BLOCK.finditer(doc.text)]
    boundaries = [
        _next_content(doc.text, end)
        for start, end in units[:-1]
        if not _is_heading(doc.text[start:end])
    ]
    return _chunks(doc, "paragraph", _bounds_from_starts(doc.text, boundaries))


def sections(doc: SourceDocument) -> list[Chunk]:
    """One chunk per markdown section: from a `#` heading line to the next heading.

    Text before the first heading (a preamble) joins the first section. A document without
    headings is one chunk, which shows why section chunking needs a size cap in practice.
    """
    headings = [m.start() for m in _HEADING.finditer(doc.text)]
    starts = [h for h in headings if _NON_SPACE.search(doc.text, 0, h)]  # not at the very top
    return _chunks(doc, "section", _bounds_from_starts(doc.text, starts))


def sentence_windows(doc: SourceDocument, size: int = 3, stride: int = 2) -> list[Chunk]:
    """Windows of `size` consecutive sentences, starting every `stride` sentences.

    With stride < size neighbouring windows share `size - stride` sentences. The sentence
    splitter is deliberately naive (., ! or ? before whitespace, or a blank line): "e.g. this"
    splits after "e.g.", which costs a little context and nothing else.
    """
    if not 1 <= stride <= size:
        raise ValueError(f"need 1 <= stride <= size, got {size=} {stride=}")
    starts = [_next_content(doc.text, m.end()) for m in _SENTENCE_END.finditer(doc.text)]
    sentences = _bounds_from_starts(doc.text, starts)
    bounds = []
    for first in range(0, len(sentences), stride):
        last = min(first + size, len(sentences)) - 1
        bounds.append((sentences[first][0], sentences[last][1]))
        if last == len(sentences) - 1:
            break
    return _chunks(doc, "sentences", bounds)


STRATEGIES: dict[str, Chunker] = {
    "paragraph": paragraphs,
    "window128": partial(fixed_windows, size=128, overlap=32),
    "section": sections,
    "sentence3": partial(sentence_windows, size=3, stride=2),
}
"""Named presets: the names the notebooks, precompute.py and the shipped embeddings use."""


def chunk_documents(docs: Iterable[SourceDocument], strategy: str | Chunker) -> list[Chunk]:
    """Chunk every document with a preset name from STRATEGIES or any chunker function."""
    chunker = STRATEGIES[strategy] if isinstance(strategy, str) else strategy
    return [chunk for doc in docs for chunk in chunker(doc)]


def _is_heading(block: str) -> bool:
    """A block that is a single markdown heading line and nothing else."""
    block = block.strip()
    return "\n" not in block and _HEADING.match(block) is not None


def _overlap_start(pieces: list[tuple[int, int]], first: int, last: int, overlap: int) -> int:
    """Index of the piece where the next window starts: as far back from `last` as `overlap`
    tokens allow, but always after `first` so the windows make progress."""
    start, shared = last, 0
    while start - 1 > first and shared + pieces[start - 1][1] <= overlap:
        start -= 1
        shared += pieces[start][1]
    return start


def _next_content(text: str, position: int) -> int:
    """The first non-whitespace character at or after `position` (len(text) if none)."""
    found = _NON_SPACE.search(text, position)
    return found.start() if found else len(text)


def _bounds_from_starts(text: str, starts: list[int]) -> list[tuple[int, int]]:
    """Contiguous (start, end) pairs: the first unit starts at 0, each ends where the next
    starts, the last at the end of the text. Units start on content, so whitespace trails a
    chunk; empty units are dropped; nothing is left uncovered."""
    starts = [0, *starts]
    bounds = zip(starts, [*starts[1:], len(text)], strict=True)
    return [(start, end) for start, end in bounds if end > start]


def _chunks(doc: SourceDocument, kind: str, bounds: list[tuple[int, int]]) -> list[Chunk]:
    """Chunk objects for `bounds`, with ids `<doc>/<kind>/<n>` and their gold passages."""
    return [
        Chunk(
            id=f"{doc.id}/{kind}/{n}",
            doc_id=doc.id,
            text=doc.text[start:end],
            start=start,
            end=end,
            passage_ids=tuple(p.id for p in doc.passages if p.start < end and start < p.end),
            title=doc.title,
        )
        for n, (start, end) in enumerate(bounds)
    ]


__all__ = [
    "STRATEGIES",
    "Chunk",
    "Chunker",
    "SourceDocument",
    "Span",
    "chunk_documents",
    "fixed_windows",
    "paragraphs",
    "sections",
    "sentence_windows",
]
