"""Yes/no fields and organisation names, in messages written for this file (four languages).

A yes/no written after the field's words decides it; a duty or plan ("has to be paid") is not
a done fact for a field about a done state, but is a yes for a field about what is possible;
"company" nouns before a name are not part of it.
"""

import pytest

from course.sim.reading import finders


@pytest.mark.parametrize(
    ("text", "field", "expected"),
    [
        ("Ticket 88: the balance was cleared by bank transfer on Monday.", "is_paid", True),
        ("Statement 12: amount remitted in full last week.", "paid", True),
        ("Reminder: this statement needs to be paid before the 5th.", "is_paid", False),
        ("The fee will be paid when the work is finished.", "already_paid", False),
        ("La cuota ya está pagada.", "already_paid", True),
        ("Die Gebühr wurde gestern beglichen.", "already_paid", True),
        ("La facture est déjà réglée.", "already_paid", True),
        ("Parking included? Yes.", "parking_included", True),
        ("Parking: nein", "parking", False),
        ("Aparcamiento incluido: no", "parking_included", False),
        ("Late checkout - oui", "late_checkout", True),
        ("The cost is to be refunded next month.", "refundable", True),
        ("I would like the scarf to be gift wrapped, please.", "gift_wrap_requested", True),
        ("We did not pay this one yet.", "already_paid", False),
    ],
)
def test_yes_no_fields(text: str, field: str, expected: bool) -> None:
    assert finders.flag(text, field) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Angebot der Firma Hartmann Holz GmbH vom 3. März", "Hartmann Holz GmbH"),
        ("Presupuesto de la empresa Costa Verde SL para la obra", "Costa Verde SL"),
        ("Quote from Bluebird Catering Ltd for the party", "Bluebird Catering Ltd"),
    ],
)
def test_company_nouns_are_not_part_of_the_name(text: str, expected: str) -> None:
    assert finders.proper_noun(text, "organisation") == expected
