"""The simulator's only vocabulary knowledge: a few groups of words that mean the same thing.

Everywhere else the simulator matches the words a prompt literally uses. A yes/no field such
as `refund_requested` ("Does the customer ask for money back?") is different: a customer who
writes "quiero un reembolso" or "bitte um Erstattung" asks for exactly that, and any chat model
knows it. So a boolean field whose name or description mentions one word of a group takes
every word of the group as evidence. The groups are short, listed here and in
docs/SIMULATOR.md, and nothing else in the simulator knows a synonym.
"""

from __future__ import annotations

from course.sim.reading.text import letter_tokens, stem

# Each group: words and phrases in English, Spanish, German and French.
GROUPS: dict[str, tuple[str, ...]] = {
    "refund": (
        "refund", "refunded", "money back", "reimburse", "reimbursement", "chargeback",
        "reembolso", "reembolsar", "devolución del dinero", "devolver el dinero",
        "erstattung", "rückerstattung", "erstatten", "geld zurück",
        "remboursement", "rembourser", "remboursé",
    ),
    "cancel": (
        "cancel", "cancellation", "cancelled", "canceled", "unsubscribe",
        "cancelar", "cancelación", "darme de baja",
        "kündigen", "kündigung", "stornieren", "stornierung",
        "annuler", "annulation", "résilier", "résiliation",
    ),
    "urgent": (
        "urgent", "urgently", "asap", "immediately", "right away", "emergency",
        "urgente", "inmediatamente", "cuanto antes",
        "dringend", "sofort", "notfall",
        "urgence", "immédiatement", "au plus vite",
    ),
    "paid": (
        "paid", "settled", "cleared", "remitted", "paid off", "paid in full",
        "pagado", "pagada", "abonado", "abonada", "liquidado", "liquidada",
        "bezahlt", "beglichen", "überwiesen", "gezahlt",
        "payé", "payée", "réglé", "réglée", "acquitté", "acquittée",
    ),
    "included": (
        "included", "including", "includes",
        "incluido", "incluida", "incluye",
        "inklusive", "inkl", "inbegriffen", "enthalten",
        "inclus", "incluse", "compris", "comprise",
    ),
    "replacement": (
        "replacement", "replace", "exchange", "swap",
        "reemplazo", "sustitución", "cambio",
        "ersatz", "umtausch", "austausch",
        "remplacement", "remplacer", "échange",
    ),
}  # fmt: skip

# Negations in the four languages; "pas" covers French "ne ... pas".
_NEGATION_TEXT = """no not never without nothing none isn't wasn't don't doesn't didn't won't
    can't cannot sin nunca ni nada jamás nicht kein keine keinen keiner keinem ohne nie niemals
    pas jamais sans aucun aucune"""
NEGATIONS = frozenset(_NEGATION_TEXT.split())
# Answers to a yes/no question or a "field: value" line, in the same languages.
_YES_TEXT = "yes yep yeah true sí si sim ja jawohl oui ouais vrai"
_NO_TEXT = "no nope false nein non não nao faux keine kein"
YES = frozenset(_YES_TEXT.split())
NO = frozenset(_NO_TEXT.split())
# "has to be paid", "will be included", "debe ser pagado", "muss bezahlt werden": a modal
# before "be" (or German "zu"/"muss") states a duty or a plan, not that it is done.
_MODAL_TEXT = """to must should will shall would needs need has have due going please can
    could may might debe deben debería tiene tienen hay va muss müssen soll sollen wird werden
    zu doit doivent devra va sera"""
MODALS = frozenset(_MODAL_TEXT.split())


def _stems(phrase: str) -> tuple[str, ...]:
    return tuple(stem(token) for token in letter_tokens(phrase))


def expand(text: str) -> list[tuple[str, ...]]:
    """Every phrase (as stems) of every group that `text` mentions, e.g. "money back" -> refund."""
    tokens = _stems(text)
    found: list[tuple[str, ...]] = []
    for phrases in GROUPS.values():
        stemmed = [_stems(p) for p in phrases]
        if any(_contains(tokens, phrase) for phrase in stemmed):
            found.extend(stemmed)
    return found


def _contains(tokens: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return n > 0 and any(tokens[i : i + n] == phrase for i in range(len(tokens) - n + 1))


def mentioned(text: str, phrases: list[tuple[str, ...]]) -> bool | None:
    """True if a phrase occurs un-negated, False if it only occurs negated, None if never.

    A phrase is negated when a negation word sits in the three words before it, so
    "I don't want a refund" is False and "I want a refund" is True.
    """
    raw = letter_tokens(text)
    tokens = tuple(stem(token) for token in raw)
    seen_negated = False
    for i in range(len(tokens)):
        for phrase in phrases:
            if phrase and tokens[i : i + len(phrase)] == phrase:
                if any(t in NEGATIONS for t in raw[max(0, i - 3) : i]):
                    seen_negated = True
                else:
                    return True
    return False if seen_negated else None
