"""fresh_tickets: tickets the grader writes at grading time, in no shipped split.

A hidden quality check that scores on these cannot be passed by knowing the repository's data,
so they must really be new, vary with the seed, follow the shipped distribution and refuse
nonsense arguments with a message that says what to pass.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from course.data.tickets import CATEGORIES, Ticket, fresh_tickets, load_tickets


def body_key(ticket: Ticket) -> str:
    return re.sub(r"\s+", " ", ticket.body).strip().lower()


@pytest.fixture(scope="module")
def shipped() -> list[Ticket]:
    return load_tickets()


def test_same_seed_same_tickets_other_seed_other_tickets():
    first, again, other = fresh_tickets(11, 50), fresh_tickets(11, 50), fresh_tickets(12, 50)
    assert first == again
    assert len({t.text for t in first} & {t.text for t in other}) < 5


@pytest.mark.parametrize("seed", [0, 3, 20240612, 987654321])
def test_no_fresh_ticket_is_a_shipped_one(seed, shipped):
    fresh = fresh_tickets(seed, 400)
    known = {body_key(t) for t in shipped}
    assert len(fresh) == 400
    assert not [t.id for t in fresh if body_key(t) in known]
    assert {t.split for t in fresh} == {"test"}


def test_the_first_120_cover_every_category_roughly_as_shipped(shipped):
    fresh = Counter(t.category for t in fresh_tickets(5, 120))
    test_split = Counter(t.category for t in shipped if t.split == "test")
    assert set(fresh) == set(CATEGORIES)
    for category in CATEGORIES:
        assert abs(fresh[category] - test_split[category]) <= 3, (category, fresh, test_split)


@pytest.mark.parametrize("n", [0, -1, 401, 2.5, "10", True, None])
def test_a_bad_count_is_refused_with_the_range(n):
    with pytest.raises(ValueError, match="from 1 to 400"):
        fresh_tickets(1, n)


@pytest.mark.parametrize("seed", ["7", 7.0, None, False])
def test_a_seed_that_is_no_integer_is_refused(seed):
    with pytest.raises(ValueError, match="seed must be an integer"):
        fresh_tickets(seed, 10)


def test_the_generators_own_seed_is_refused_not_answered_with_shipped_tickets():
    from course.data.generate_tickets import SEED

    with pytest.raises(ValueError, match="use another seed"):
        fresh_tickets(SEED, 10)
