"""A fresh Northwind handbook and question set from a seed: held-out items nobody has seen.

The shipped handbook (course/data/handbook/) is public, test split included, so a quality check
on it can be passed by looking answers up. `fresh_handbook(seed)` runs the same generator with
another seed: the same kinds of pages and questions, new values (SLOs, limits, owners, dates),
new document ids and a new page order. A grader draws the seed where learners cannot see it,
so the only way to answer is to read the fresh handbook.

Two extra steps make a memorised copy of the shipped data worth nothing:

- a generated question that any shipped answer would get right is dropped (a value the generator
  never varies, such as a durability figure or every superseded-policy value, whatever the
  wording); about 110 of 220 questions remain;
- the unanswerable questions are rebuilt from answerable ones by swapping the entity they name
  (a service, an error code) for one the generated handbook provably never mentions, and a
  rebuilt one that looks like a shipped unanswerable question is dropped too.

    from course.data.fresh_handbook import fresh_handbook
    held_out = fresh_handbook(20261207)     # a few seconds
    held_out.documents, held_out.questions  # list[Document], list[QAItem]
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import lru_cache

from course.data.handbook import (
    NOT_IN_HANDBOOK,
    Document,
    JudgedOutput,
    QAItem,
    check_integrity,
    contains_fact,
    is_right,
    load_judge_set,
    load_qa,
)
from course.errors import CourseError

# Fresh question ids start here, so no fresh id is ever a shipped id (shipped: q-0001..q-0256).
FIRST_ID = 5001
# Word parts for service names that do not exist (checked against each fresh corpus).
_PREFIXES = ("orbit", "quartz", "harbor", "lumen", "tundra", "cobalt", "meridian", "falcon")
_SUFFIXES = ("relay", "broker", "indexer", "scheduler", "gateway", "sink", "ledger", "mirror")
_SERVICE = re.compile(r"\b[a-z]+(?:-[a-z]+)+\b")
_ERROR_CODE = re.compile(r"\bNW-\d{4}\b")
_WORD = re.compile(r"[a-z0-9]+")
SIMILAR = 0.2  # word overlap (Jaccard) at which a shipped question counts as a look-alike


@dataclass(frozen=True)
class FreshJudgeSet:
    """Candidate answers to generated questions with their rubric labels (pass/fail)."""

    seed: int
    questions: dict[str, QAItem]  # question id -> the question the candidate answers
    outputs: list[JudgedOutput]


@dataclass(frozen=True)
class FreshHandbook:
    """A generated handbook and its held-out questions (answers and evidence included)."""

    seed: int
    documents: list[Document]
    questions: list[QAItem]


def fresh_handbook(seed: int, split: str | None = None) -> FreshHandbook:
    """The handbook of World(seed) and its questions (or one split), minus what memory answers."""
    _check_seed(seed)
    if split not in (None, "dev", "test"):
        raise CourseError(f"Unknown split {split!r}.", hint="Use split='dev', 'test' or None.")
    from course.data import generate_handbook as gen  # the generator: imported only when used

    world, alerts, owners = gen.build_world(seed)
    docs, ids = gen.finalize_documents(world)
    drafts = gen.build_questions(world, docs, ids, alerts, owners)
    drafts = [q for q in drafts if split is None or q.split == split]
    answerable = [_item(q) for q in drafts if q.type != "unanswerable"]
    kept = [q for q in answerable if not _memory_answers(q)]
    n_unanswerable = sum(q.type == "unanswerable" for q in drafts)
    corpus_text = "\n".join(f"{d.title}\n{d.body}" for d in docs)
    rng = random.Random(f"fresh-unanswerable-{seed}")
    kept += _unanswerable(answerable, n_unanswerable, corpus_text, gen.SERVICE_NAMES, rng)
    rng.shuffle(kept)
    questions = [q.model_copy(update={"id": f"q-{FIRST_ID + i}"}) for i, q in enumerate(kept)]
    check_integrity(docs, questions, [])
    return FreshHandbook(seed=seed, documents=docs, questions=questions)


def _item(draft) -> QAItem:
    return QAItem(
        id="q-0000",
        split=draft.split,
        type=draft.type,
        question=draft.question,
        answer=draft.answer,
        answerable=draft.type != "unanswerable",
        supporting_passage_ids=draft.supporting,
        alternate_passage_ids=draft.alternates,
        trap_passage_ids=draft.traps,
        key_facts=draft.keys,
        outdated_answer=draft.old,
    )


def _words(text: str) -> frozenset[str]:
    return frozenset(_WORD.findall(text.lower()))


@lru_cache(maxsize=1)
def _shipped_answers() -> frozenset[str]:
    return frozenset(q.answer for q in load_qa())


@lru_cache(maxsize=1)
def _shipped() -> tuple[tuple[frozenset[str], QAItem], ...]:
    return tuple((_words(q.question), q) for q in load_qa())


# A shipped answer abstains only as the whole of NOT_IN_HANDBOOK, nothing around it.
_SHIPPED_ABSTENTION = re.compile(rf"\A{re.escape(NOT_IN_HANDBOOK)}\Z")


def _right(question: QAItem, answer: str) -> bool:
    """The course's key-fact metric, applied to a shipped answer."""
    return is_right(question, answer, _SHIPPED_ABSTENTION)


def _memory_answers(question: QAItem) -> bool:
    """True when a shipped answer would be right for this question.

    Answerable: any shipped answer at all (a value the generator never varies is dropped, however
    the question is worded). Unanswerable: the abstention of any shipped question that shares a
    fifth of its words, so a table that abstains on look-alikes of shipped questions gains nothing.
    """
    if question.answerable:
        return any(_right(question, answer) for answer in _shipped_answers())
    words = _words(question.question)
    return any(
        len(words & shipped_words) >= SIMILAR * len(words | shipped_words)
        and _right(question, shipped.answer)
        for shipped_words, shipped in _shipped()
    )


def _unanswerable(
    answerable: list[QAItem],
    n: int,
    corpus_text: str,
    services: list[str],
    rng: random.Random,
) -> list[QAItem]:
    """n questions shaped like answerable ones about an entity the fresh corpus never names."""
    out: list[QAItem] = []
    candidates = list(answerable)
    rng.shuffle(candidates)
    for q in candidates:
        if len(out) == n:
            break
        entity = _entity(q.question, services)
        if entity is None:
            continue
        invented = _invent(entity, corpus_text, rng)
        question = q.question.replace(entity, invented)
        if any(question == o.question for o in out):
            continue
        item = QAItem(
            id="q-0000",
            split=q.split,
            type="unanswerable",
            question=question,
            answer=NOT_IN_HANDBOOK,
            answerable=False,
            key_facts=[invented],
        )
        if not _memory_answers(item):
            out.append(item)
    return out


def _entity(question: str, services: list[str]) -> str | None:
    """The service name or error code a question hinges on, if it names exactly one."""
    found = set(_ERROR_CODE.findall(question)) or {
        name for name in _SERVICE.findall(question) if name in services
    }
    return found.pop() if len(found) == 1 else None


def _invent(entity: str, corpus_text: str, rng: random.Random) -> str:
    """A look-alike of `entity` that appears nowhere in the corpus."""
    for _ in range(200):
        if entity.startswith("NW-"):
            name = f"NW-{rng.randint(1000, 9999)}"
        else:
            name = f"{rng.choice(_PREFIXES)}-{rng.choice(_SUFFIXES)}"
        if not contains_fact(corpus_text, name):
            return name
    raise CourseError(f"Could not invent a name absent from the corpus for {entity!r}.")


def fresh_judge_set(seed: int) -> FreshJudgeSet:
    """Labelled candidate answers (both splits) for a judge to be measured on, from World(seed).

    The generator perturbs reference answers in labelled ways (a paraphrase passes, a wrong or
    superseded value fails...). A candidate whose text, for the same question text, is in the
    shipped judge set is dropped, so remembered labels are worth nothing.
    """
    _check_seed(seed)
    from course.data import generate_handbook as gen  # the generator: imported only when used

    world, alerts, owners = gen.build_world(seed)
    docs, ids = gen.finalize_documents(world)
    drafts = sorted(gen.build_questions(world, docs, ids, alerts, owners), key=lambda q: q.id)
    judged = gen.build_judge_set(world, drafts, docs)
    questions = {q.id: _item(q).model_copy(update={"id": q.id}) for q in drafts}
    shipped_q = {q.id: q.question for q in load_qa()}
    seen = {(shipped_q[j.question_id], j.candidate) for j in load_judge_set()}
    outputs = [j for j in judged if (questions[j.question_id].question, j.candidate) not in seen]
    return FreshJudgeSet(seed=seed, questions=questions, outputs=outputs)


def _check_seed(seed: object) -> None:
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise CourseError(f"A generated handbook needs an integer seed, got {seed!r}.")
