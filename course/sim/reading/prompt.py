"""Read a chat prompt the way the simulator needs: which labels, which examples, which input.

Everything here is a plain pattern over the prompt text. If a learner writes their label set in
one of the forms documented in docs/SIMULATOR.md, the simulator sees it; if not, it does not,
and shows it by falling back to a plain reply.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from course.sim.reading.text import words

# An input line in a few-shot block ("Text: ...") and the answer line after it ("Label: ...").
_INPUT_MARK = r"(?:text|input|example|message|review|ticket|email|query|q|sentence|tweet|comment)"
_ANSWER_MARK = r"(?:label|category|class|answer|output|a|sentiment|intent|topic)"
_INPUT_LINE = re.compile(rf"^\s*{_INPUT_MARK}\s*\d*\s*:\s*(.*)$", re.I)
_ANSWER_LINE = re.compile(rf"^\s*{_ANSWER_MARK}\s*:\s*(.*)$", re.I)
# "Labels: a, b, c" (plural header: a singular "Label: x" is a few-shot answer, not a set).
_HEADER = re.compile(
    r"^[^\n:]*?\b(?:labels|categories|classes|options|choices|intents|topics|answers|tags|"
    r"buckets|queues)\b"
    r"(?:\s+(?:are|is)\b\s*[:=]?|\s*[:=])\s*(.*)$",
    re.I,
)
# "Answer with one of: a, b" - a verb first, so "one of the best days" in an input is no label set.
_ONE_OF = re.compile(
    r"\b(?:answer|reply|respond|classify|label|categori[sz]e|choose|pick|select|output|return|"
    r"must be|should be|exactly)\b[^\n]*?\bone of\b(?:\s+the\s+following|\s+these)?"
    r"\s*[:\-]?\s*(.*)$",
    re.I,
)
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s*(.+)$")
_LABEL_DEF = re.compile(r"""^[`'"*]*([A-Za-z][\w\- /]{0,40}?)[`'"*]*\s*(?::|—|–| - |=)\s*(.+)$""")
_CLASSIFY_CUE = re.compile(
    r"label|categor|classif|\bclass\b|\bclasses\b|intent|sentiment|one of", re.I
)
_JSON_ASK = re.compile(r"\bjson\b", re.I)
_BLOCK = re.compile(r'"""(.+?)"""|```(?:\w+\n)?(.+?)```|<(\w+)(?:\s[^<>]*)?>(.+?)</\3>', re.S)
# "Products: a, b, c" - a header line that states the allowed values of one string field.
_OPTION_HEADER = re.compile(r"^\s*(?:[-*•]\s*)?([^\n:]{1,40}?)\s*:\s*(.*)$")
_LIST_WORDS = frozenset({"catalogue", "catalog", "katalog", "catálogo", "list", "lista", "liste"})


@dataclass(frozen=True)
class LabelSpec:
    """A label set as the prompt states it: names, optional definitions, few-shot examples."""

    labels: list[str]
    definitions: dict[str, str] = field(default_factory=dict)
    examples: list[tuple[str, str]] = field(default_factory=list)  # (input text, label)


def text_of(message: dict) -> str:
    """A message's text; OpenAI also allows a list of {"type": "text", "text": ...} parts."""
    content = message.get("content")
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return content or ""


def system_text(messages: list[dict]) -> str:
    return "\n".join(text_of(m) for m in messages if m.get("role") in ("system", "developer"))


def last_user_index(messages: list[dict]) -> int | None:
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].get("role") == "user":
            return index
    return None


def last_user_text(messages: list[dict]) -> str:
    index = last_user_index(messages)
    return "" if index is None else text_of(messages[index])


def payload(text: str, few_shot: bool = True) -> str:
    """The part of a user message that is the input, not the instructions around it.

    Looks for, in order: the last "Text: ..." style line (up to its "Label:" line) when
    `few_shot` (extraction turns it off: there "Email: ..." is data, not a marker), the last
    delimited block (triple quotes, code fence or <tag>...</tag>), else the whole message.
    """
    lines = text.splitlines() if few_shot else []
    for start in range(len(lines) - 1, -1, -1):
        match = _INPUT_LINE.match(lines[start])
        if match:
            body = [match.group(1)]
            for line in lines[start + 1 :]:
                if _ANSWER_LINE.match(line):
                    break
                body.append(line)
            found = "\n".join(body).strip()
            if found:
                return found
    blocks = [m.group(1) or m.group(2) or m.group(4) for m in _BLOCK.finditer(text)]
    if blocks:
        return blocks[-1].strip()
    return text.strip()


def delimited_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of the body of every delimited block: triple quotes, code fence, <tag>."""
    spans = []
    for match in _BLOCK.finditer(text):
        group = next(g for g in (1, 2, 4) if match.group(g) is not None)
        spans.append(match.span(group))
    return spans


def undelimited(text: str) -> str:
    """`text` with the bodies of its delimited blocks cut out: what is left is instructions."""
    kept, last = [], 0
    for start, end in delimited_spans(text):
        kept.append(text[last:start])
        last = end
    return "".join(kept) + text[last:]


def instructions_text(messages: list[dict]) -> str:
    """The system prompt plus the last user turn minus its delimited data blocks.

    When the user turn has no delimited block, instructions and data cannot be told apart, so
    the whole turn counts as instructions: one more reason to delimit untrusted text.
    """
    return system_text(messages) + "\n" + undelimited(last_user_text(messages))


def option_list(instructions: str, cues: set[str]) -> tuple[list[str], list[str]]:
    """Allowed values stated for a field, and the prompt lines that stated them.

    A line "Products: Nimbus Router X2, Zephyr Laptop 14" (or such a header followed by bullet
    lines) lists the values when its header shares a word with `cues` (stemmed words of the
    field's name, or the catalogue words of its description), has no digits, and has a plural
    or a list word in it ("Products", "Product catalogue", "Known products"): so "Order
    ORD-99812: ..." or "Product: X" in a ticket is not a list. It needs two values or more.
    """
    lines = instructions.splitlines()
    for index, line in enumerate(lines):
        header = _OPTION_HEADER.match(line)
        if not header or not _lists(header.group(1), cues):
            continue
        rest = header.group(2).strip()
        if rest:
            parts = re.split(r"\s*(?:,|;|\||\band\b|\bor\b)\s*", rest.rstrip("."))
            items = [i for p in parts if (i := p.strip().strip("`'\"*.")) and len(i.split()) <= 6]
            if len(items) >= 2:
                return items, [line]
            continue
        options, used = [], [line]
        for follow in lines[index + 1 :]:
            bullet = _BULLET.match(follow)
            if not bullet:
                if options or follow.strip():
                    break
                continue
            name = re.split(r"\s*(?::|—|–| - |\()", bullet.group(1).strip())[0]
            options.append(name.strip("`'\"*. "))
            used.append(follow)
        if len(options) >= 2:
            return options, used
    return [], []


def _lists(header: str, cues: set[str]) -> bool:
    tokens = header.lower().split()
    plural = any(t.endswith("s") or t in _LIST_WORDS for t in tokens)
    return plural and not re.search(r"\d", header) and bool(cues & set(words(header)))


_NAME_OK = re.compile(r"^[^\W_][\w\- /&'.]{0,40}$")
# "the first column", "a word", "your answer": a phrase with a determiner is no label name.
_DETERMINER = re.compile(
    r"^(?:the|a|an|this|that|these|those|your|my|our|its|their|each|any|such\s+as|like|"
    r"e\.g\.|including|for\s+example)\s",
    re.I,
)
_FILLER_REST = re.compile(
    r"(?:the\s+following|these|those|below|this\s+list|one\s+word|one\s+label)?\s*"
    r"(?:\w+\s+)?(?:labels?|categor(?:y|ies)|class(?:es)?|options?|choices?|intents?|topics?|"
    r"tags?|values?|words?|answers?)?\s*(?:below|listed)?\s*[:.\-]?",
    re.I,
)
# "Pick one team: a, b or c", "Each ticket belongs to exactly one desk: ...": a verb of choosing
# or sorting, then "one <noun>:" and the list.
_ONE_NOUN = re.compile(
    r"\b(?:answer|reply|respond|classify|label|categori[sz]e|choose|pick|select|output|return|"
    r"belongs?|goes|go|falls?|fits?|assign|route|sort|put|file|tag|send)\b[^\n:]*?"
    r"\b(?:exactly\s+)?(?:one|a\s+single)\s+(?:[\w\-]+\s+)?[\w\-]+\s*:\s*(.*)$",
    re.I,
)
# "Reply with exactly one word: a, b or c" / "Choose from a / b / c" / "Respond with either a or b".
_CHOOSE = re.compile(
    r"\b(?:answer|reply|respond|output|return|choose|pick|select|classify|label|tag|categori[sz]e)"
    r"\b(?:[^\n]*?\b(?:exactly\s+)?(?:one|a\s+single)\s+(?:word|label|category|class|tag|value)"
    r"(?:\s+(?:only|from))?"
    # "Choose from", "Pick one option from": "from" close to the verb, not "grows from the soil".
    r"|(?:\s+[\w'\-]+){0,3}?\s+from"
    r"|[^\n]*?\b(?:with\s+either|as\s+either|either))\b\s*[:\-]?\s*(.*)$",
    re.I,
)
_WHETHER = re.compile(
    r"\bwhether\s+(?:it|this|that|the\s+\w+(?:\s+\w+)?)\s+(?:is|was|sounds|reads\s+as|"
    r"seems)\s+((?:[\w\-]+(?:\s*\((?:[^()]|\([^()]*\))*\))?(?:\s*,\s*|\s+))+or\s+[\w\-]+"
    r"(?:\s*\((?:[^()]|\([^()]*\))*\))?)"
    r"\s*[?.]?$",
    re.I,
)
# "Is this message spam or ham?": one-word options joined by "or" at the end of a question.
_IS_IT = re.compile(r"^\s*is\s+.*?\b((?:[\w\-]+,\s+)*[\w\-]+,?\s+or\s+[\w\-]+)\s*\?\s*$", re.I)
# "Sort the posts into safe (...), insult (...) and threat (...)".
_INTO = re.compile(
    r"\b(?:sort|split|divide|group|classify|categori[sz]e|bucket|route|put)\b[^\n]*?\binto\b"
    r"(?:\s+(?:one\s+of\s+)?(?:these|the\s+following)(?:\s+\w+)?)?\s*[:\-]?\s*(.*)$",
    re.I,
)
# "Classify the review as ...": "as" a few words after the verb ("the tag x is for ..., such as
# a, b or c" is a definition with examples, not a request to classify).
_CLASSIFY_AS = re.compile(
    r"\b(?:classify|label|tag|mark|categori[sz]e|rate)\b(?:\s+[\w'\-]+){0,6}?(?<!\bsuch)\s+as\b"
    r"\s*[:\-]?\s*(.*)$",
    re.I,
)
# Prose definitions, one clause at a time ("Use billing when ...", "bug means ...", "if ..., say
# x", "parcels go to shipping", "otherwise other"). NAME is one or two words, quotes allowed.
_NAME = r"""[`'"*]*(?P<name>[^\W\d][\w\-]*(?:\s[^\W\d][\w\-]*)?)[`'"*]*"""
_KIND = r"(?:(?:the\s+)?(?:label|category|class|tag|queue|intent|topic|bucket)\s+)?"
_SAY = (
    r"(?:use|choose|pick|select|answer|reply(?:\s+with)?|respond(?:\s+with)?|say|output|return|"
    r"write|go\s+with|assign|reserve|(?:label|tag|mark|classify|call|file|route)"
    r"(?:\s+(?:it|this|them|the\s+\w+|(?:a|an|each|every|any)\s+\w+))?(?:\s+(?:as|under|to|in))?|"
    # Verbs that move a message somewhere need the place word: "send it to X", not "send X".
    r"(?:put|send|move|place|forward|drop)(?:\s+(?:it|this|them|the\s+\w+))?"
    r"\s+(?:to|in|into|under|on)|"
    r"the\s+(?:label|category|class|answer|tag|queue|topic|intent|bucket)\s+(?:is|should\s+be)|"
    r"it\s+is|it'?s)"
)
_DEFINES = (
    r"(?:means|covers|is\s+for|are\s+for|takes|gets|receives|owns|looks\s+after|picks\s+up|"
    r"catches|collects|is\s+where|(?:is|are)\s+(?:the\s+)?(?:place|home|team|desk|queue)\s+for|is\s+used\s+(?:for|when)|applies\s+(?:to|when)|"
    r"refers\s+to|stands\s+for|captures|should\s+be\s+used\s+(?:for|when)|handles|deals\s+with|"
    r"is\s+about|is\s+(?=anything)|is\s+when|is\s+(?:reserved|meant|intended)\s+for|"
    r"is\s+(?:right|correct|best|appropriate)\s+(?:for|when|if)|"
    r"is\s+(?:the\s+)?(?:right\s+)?(?:label|category|class|tag|answer|choice)\s+(?:for|when)|describes|concerns|includes|fits|=|:|—|–|-(?=\s))"
)
_PROSE_FORMS = (
    re.compile(
        rf"^{_SAY}\s+{_KIND}{_NAME}\s+(?:for|when|if|whenever|where|in\s+case|to\s+mean)\s+"
        r"(?P<def>.+)$",
        re.I,
    ),
    re.compile(rf"^{_KIND}{_NAME}\s*{_DEFINES}\s*(?P<def>.+)$", re.I),
    re.compile(
        rf"^(?:if|when|whenever|where|for)\s+(?P<def>.+?),?\s+(?:then\s+)?{_SAY}\s+{_KIND}{_NAME}$",
        re.I,
    ),
    re.compile(
        r"^(?P<def>.+?)\s+(?:goes\s+to|go\s+to|should\s+go\s+to|belongs?\s+(?:in|to)|counts?\s+as|"
        r"(?:go(?:es)?|belongs?|falls?|fits?|sits?|should\s+go)\s+(?:under|into|in|with)|"
        r"gets?|means|(?:should\s+be|is|are)\s+(?:labell?ed|tagged|marked|classified|filed)"
        r"(?:\s+(?:as|under))?"
        rf"|->|=>|→)\s+{_KIND}{_NAME}$",
        re.I,
    ),
)
_PROSE_FORMS = (
    *_PROSE_FORMS,
    # "The billing label is for charges", "The bug queue handles crashes"
    re.compile(
        rf"^(?:the\s+)?{_NAME}\s+(?:label|category|class|tag|queue|intent|topic|bucket)\s*"
        rf"{_DEFINES}\s*(?P<def>.+)$",
        re.I,
    ),
    # "Label reviews that praise the product as positive"
    re.compile(
        rf"^(?:label|tag|mark|classify|call|file|flag)\s+(?P<def>.+?)\s+as\s+{_KIND}{_NAME}$", re.I
    ),
    # "A review is negative when it complains", "Messages are spam if they advertise"
    re.compile(
        r"^(?:[\w']+\s+){0,3}?(?:is|are|counts\s+as|should\s+be)\s+"
        rf"{_NAME}\s+(?:if|when|whenever|because)\s+(?P<def>.+)$",
        re.I,
    ),
)
_NAME_IS = re.compile(rf"^{_KIND}{_NAME}\s+(?:is|are)\s+(?P<def>.+)$", re.I)
_PROSE_IS = re.compile(rf"^(?P<def>.+?)\s+(?:is|are)\s+{_NAME}$", re.I)
_PROSE_ELSE = re.compile(
    r"^(?:otherwise|else|for\s+(?:everything|anything)\s+else|(?:everything|anything)\s+else"
    rf"(?:\s+(?:is|goes\s+to|gets))?)[,:]?\s+(?:{_SAY}\s+)?{_NAME}$",
    re.I,
)
# "..., or remove otherwise", "other for everything else": the fallback named first.
_ELSE_AFTER = re.compile(
    rf"^(?:{_SAY}\s+)?{_NAME}\s+(?:otherwise|else|in\s+(?:all\s+)?other\s+cases|"
    r"for\s+(?:everything|anything)\s+else|for\s+the\s+rest)$",
    re.I,
)
# "The first queue, invoices, is for ...", "The second, software, deals with ...": the
# ordinal lead is dropped so the rest reads as "invoices is for ...".
_ORDINAL_LEAD = re.compile(
    r"^(?:the\s+)?(?:first|second|third|fourth|fifth|sixth|seventh|last|final|next|other)"
    r"(?:\s+(?!is\b|are\b)[\w\-]+)?\s*,\s*(?P<name>[^\W\d][\w\-]*(?:\s[^\W\d][\w\-]*)?)\s*,\s*",
    re.I,
)
# "It's safe unless ...", "Everything is ok unless ...": the fallback label first.
_UNLESS = re.compile(
    rf"^(?:it\s+is|it'?s|(?:everything|anything|the\s+\w+|this)\s+(?:is|counts\s+as))\s+"
    rf"{_KIND}{_NAME}\s+unless\s+",
    re.I,
)
# "... harasses someone (harassment), sells something (spam) or ...": a description, then the
# name alone in brackets.
_PAREN_NAMED = re.compile(
    r"(?P<def>[^,;()]+?)\s*\(\s*[`'\"*]?(?P<name>[^\W\d][\w\-]*)[`'\"*]?\s*\)"
)
# "work if it is from a colleague, personal if from family": a bare name before "if"/"when",
# read only when a sentence holds two or more such clauses (one alone is ordinary prose).
_BARE_IF = re.compile(rf"^(?:and\s+|or\s+)?{_NAME}\s+(?:if|when|whenever|for)\s+(?P<def>.+)$", re.I)
_SEGMENT = re.compile(
    r"\s*(?:;|,\s*(?:and\s+|or\s+|but\s+)?"
    r"|\s+and\s+(?=(?:\S+\s+){0,3}?\S+\s+(?:for|if|when|whenever)\b))\s*"
)
# A word that makes a phrase a clause, not a label name ("toxic when it insults").
_CLAUSE_WORD = re.compile(r"\b(?:when|if|whenever|because|unless|that|which|who|it|is|are)\b", re.I)
_TABLE_ROW = re.compile(r"^\s*\|(.+)\|\s*$")
_TABLE_RULE = re.compile(r"^[\s|:\-]+$")
_YAML_KEY = re.compile(r"^\s*(?:-\s*)?(name|label|id|value|key)\s*:\s*(.+)$", re.I)
_YAML_DEF = re.compile(
    r"^\s*(description|definition|meaning|desc|when|means|use_when)\s*:\s*(.+)$", re.I
)
_CLASSIFY_ASK = re.compile(
    r"\b(?:classify|classification|categori[sz]e|label\s+(?:the|this|each|it)|tag\s+(?:the|this)|"
    r"which\s+(?:label|category|class)|sentiment|intent)\b",
    re.I,
)


def _clean_name(raw: str) -> str:
    return raw.strip().strip("`'\"*[](){}<>.,:;").strip()


_JOINT = re.compile(r"\s*(?:,\s*(?:or|and)\s+|[,;|]|\s+/\s+|/|\s+(?:or|and)\s+)\s*", re.I)


def _top_level_split(raw: str) -> list[str]:
    """Split at , ; | / and the words "or"/"and", but never inside parentheses or brackets."""
    masked, depth = [], 0
    for char in raw:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(0, depth - 1)
            masked.append("x")
            continue
        masked.append("x" if depth else char)
    parts, last = [], 0
    for joint in _JOINT.finditer("".join(masked)):
        parts.append(raw[last : joint.start()])
        last = joint.end()
    parts.append(raw[last:])
    return [p for p in parts if p.strip()]


def _split_labelled(raw: str) -> list[tuple[str, str]]:
    """Items of an inline list, each with the definition in its parentheses if it has one.

    "positive (happy, praising), negative (angry) or neutral" ->
    [("positive", "happy, praising"), ("negative", "angry"), ("neutral", "")].
    """
    return list(_split_labelled_cached(raw))


@lru_cache(maxsize=4096)
def _split_labelled_cached(raw: str) -> tuple[tuple[str, str], ...]:
    raw = _first_sentence(raw.strip()).rstrip(".")
    if raw[:1] in "[{" and raw[-1:] in "]}":
        raw = raw[1:-1]
    items = []
    for part in _top_level_split(raw):
        part = part.strip()
        inner = re.match(r"^(.*?)\s*[(\[](.*)[)\]]\s*$", part)
        name, definition = (inner.group(1), inner.group(2)) if inner else (part, "")
        if not inner:
            dashed = re.match(r"^(.{1,40}?)(?:\s+(?:-|—|–|=)|:)\s+(.+)$", part)
            if dashed:
                name, definition = dashed.group(1), dashed.group(2)
        name = _clean_name(name)
        if (
            name
            and len(name.split()) <= 4
            and _NAME_OK.match(name)
            and not _DETERMINER.match(name)
            and not (len(name.split()) > 1 and _CLAUSE_WORD.search(name))
        ):
            items.append((name, definition.strip()))
    return tuple(items)


_ABBREVIATION = re.compile(r"(?:\b(?:e\.g|i\.e|etc|vs|approx|incl|ca|no|nr|cf)|\b\w)$", re.I)


def _first_sentence(raw: str) -> str:
    """`raw` up to its first sentence end outside parentheses: ". " then a capital or markup
    (`**world** is ...`), or then any word unless the period ends an abbreviation ("e.g.")."""
    depth = 0
    for index, char in enumerate(raw):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(0, depth - 1)
        elif char in ".!?" and depth == 0 and re.match(r"[.!?]\s+\S", raw[index : index + 3]):
            after = raw[index : index + 4]
            if re.match(r"[.!?]\s+[A-Z*_`\"'\[(#]", after) or not _ABBREVIATION.search(raw[:index]):
                return raw[:index]
    return raw


def _split_items(raw: str) -> list[str]:
    return [name for name, _ in _split_labelled(raw)]


def _bullet_block(lines: list[str], start: int) -> list[tuple[str, str]]:
    """Label lines after a header: bullets, "label: definition", YAML, or one inline list."""
    found: list[tuple[str, str]] = []
    indented = bulleted = None
    for line in lines[start:]:
        if not line.strip():
            if found:
                break
            continue
        if not found and _header_rest(line) == "":
            continue  # a second header line ("labels:" under "Allowed labels:")
        if indented is None:
            indented, bulleted = line[:1].isspace(), bool(_BULLET.match(line))
        elif not line[:1].isspace() and not _BULLET.match(line) and (indented or bulleted):
            break
        key = _YAML_KEY.match(line)
        if key:
            found.append((_clean_name(key.group(2)), ""))
            continue
        more = _YAML_DEF.match(line)
        if more and found:
            name, definition = found[-1]
            found[-1] = (name, (definition + " " + more.group(2)).strip())
            continue
        body = _BULLET.match(line)
        item = (body.group(1) if body else line).strip()
        definition = _LABEL_DEF.match(item)
        if definition:
            found.append((_clean_name(definition.group(1)), definition.group(2).strip()))
            continue
        listed = _split_labelled(item)
        if len(listed) >= 2 and not found and not body:
            found.extend(listed)
            break
        if len(listed) == 1 and len(item.split()) <= 3 + len(listed[0][1].split()):
            found.append(listed[0])
        elif len(item.split()) <= 3:
            found.append((_clean_name(item), ""))
        else:
            break
    return [(n, d) for n, d in found if n and _NAME_OK.match(n)]


def _table(lines: list[str]) -> list[tuple[str, str]]:
    """The rows of a markdown table whose first column names labels (header row skipped)."""
    rows: list[list[str]] = []
    for index, line in enumerate(lines):
        match = _TABLE_ROW.match(line)
        if not match or _TABLE_RULE.match(line):
            continue
        nxt = lines[index + 1] if index + 1 < len(lines) else ""
        if _TABLE_RULE.match(nxt) and "-" in nxt:
            continue  # the header row sits right above the |---| rule
        rows.append([cell.strip() for cell in match.group(1).split("|")])
    pairs = [(_clean_name(r[0]), " ".join(c for c in r[1:] if c)) for r in rows if r and r[0]]
    return [(n, d) for n, d in pairs if n and len(n.split()) <= 4 and _NAME_OK.match(n)]


def _prose(text: str, known: list[str]) -> list[tuple[str, str]]:
    """Definitions written as sentences: "Use billing when ...", "bug means ...", "If ..., say
    x", "parcels go to shipping", "otherwise other"; also "Use a for x, b for y and c for z".

    With `known` labels only those names count; with none, the names these clauses give (a
    clause "x is y" counts only for a known name). A clause that matches nothing continues the
    previous definition ("charges, invoices, refunds").
    """
    found: list[tuple[str, str]] = []
    for sentence in _PROSE_SENTENCE.split(text):
        found.extend(_prose_sentence(sentence.strip().rstrip(".!?"), tuple(known)))
    return found


_PROSE_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


@lru_cache(maxsize=4096)
def _prose_sentence(sentence: str, known: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """The definitions one sentence gives (see `_prose`); cached per sentence and label set,
    since a prompt's instruction sentences repeat around every new input."""
    found: list[tuple[str, str]] = []
    lower = {k.lower(): k for k in known}
    ordinal = _ORDINAL_LEAD.match(sentence)
    if ordinal:  # "The first queue, invoices, is for ..." -> "invoices is for ..."
        sentence = f"{ordinal.group('name')} {sentence[ordinal.end() :]}"

    def accept(name: str) -> str | None:
        name = _clean_name(name)
        if known:
            return lower.get(name.lower())
        if not _NAME_OK.match(name) or _DETERMINER.match(name + " ") or name.lower() in _NOT_NAMES:
            return None
        if _QUANTIFIED.match(name):  # "Every article gets one topic"
            return None
        return name

    def read(clause: str) -> tuple[str, str] | None:
        for form in _PROSE_FORMS:
            match = form.match(clause)
            if match and (name := accept(match.group("name"))):
                definition = match.group("def").strip()
                if form is _PROSE_FORMS[3]:  # "Classify as follows: complaints -> negative"
                    definition = definition.split(": ")[-1]
                return name, definition
        match = _PROSE_ELSE.match(clause) or _ELSE_AFTER.match(clause)
        if match and (name := accept(match.group("name"))):
            return name, "anything else"
        match = _NAME_IS.match(clause) if known else None
        if match and (name := accept(match.group("name"))):
            return name, match.group("def").strip()  # "other is everything else"
        match = _PROSE_IS.match(clause)
        if match and (name := accept(match.group("name"))) and (known or " " not in name):
            if _PRONOUN_ONLY.match(match.group("def")):
                return None  # "that is x": what "that" points at is in another clause
            return name, match.group("def").strip()
        if ": " in clause:  # "Tag the review: say 'pos' if ..."
            return read(clause.split(": ", 1)[1])
        return None

    def read_end(clause: str) -> tuple[str, str] | None:
        """Forms whose name comes last ("... belong to billing", "if ..., use x", "... is x"):
        their definition may hold commas, so they are tried on whole clauses first."""
        for form in (_PROSE_FORMS[2], _PROSE_FORMS[3]):
            match = form.match(clause)
            if match and (name := accept(match.group("name"))):
                return name, match.group("def").strip().split(": ")[-1]
        match = _PROSE_IS.match(clause)
        if not match or re.match(rf"{_SAY}\s", clause, re.I):
            return None
        subject = match.group("def")
        pointed = _POINTED.search(subject)
        if pointed and (name := accept(match.group("name"))) and (known or " " not in name):
            # "If someone ..., or ..., that is x": the pronoun points back at the clause
            return name, _CONDITION.sub("", subject[: pointed.start()]).strip()
        if not known and (
            re.search(r"\b(?:when|if|whenever|for|whether)\b", subject, re.I)
            or re.search(r"\b(?:it|this|that|they|he|she|there|what)$", subject, re.I)
            # "... covers something is down": a predicate of an indefinite pronoun, no label
            or re.search(
                r"\b(?:something|someone|somebody|anything|anyone|nothing|nobody|everything|"
                r"everyone)\s+is\s+\S+$",
                clause,
                re.I,
            )
        ):
            return None  # "... whether it is compatible": a description, not a label
        name = accept(match.group("name"))
        return (name, match.group("def").strip()) if name and (known or " " not in name) else None

    stated = _IS_NAME_COLON.match(sentence)  # "Most comments are safe: questions, chat"
    if stated and (name := accept(stated.group("name"))) and " " not in name:
        return ((name, stated.group("def").strip()),)
    fallback = _PROSE_ELSE.match(sentence)  # "Otherwise, neutral": before the comma split
    if fallback and (name := accept(fallback.group("name"))):
        return ((name, "anything else"),)
    default = _UNLESS.match(sentence)  # "It's safe unless it insults someone (insult), ..."
    if default and (name := accept(default.group("name"))):
        found.append((name, "anything else"))
        sentence = sentence[default.end() :]
    named = [
        (name, _clean_name(match.group("def")))
        for match in _PAREN_NAMED.finditer(sentence)
        if (name := accept(match.group("name")))
        and sentence[: match.start()].count("(") <= sentence[: match.start()].count(")")
    ]
    if len(named) >= 2 or (found and named):
        return (*found, *named)
    verb_as = re.match(r"^(?:label|tag|mark|classify|flag|file)\s+", sentence, re.I)
    if verb_as:
        pairs = [
            (name, match.group("def").strip())
            for match in re.finditer(
                rf"(?P<def>(?:(?!\bas\b)[^,])+?)\s+as\s+{_KIND}{_NAME}(?=\s*(?:,|\band\b|$))",
                sentence[verb_as.end() :],
                re.I,
            )
            if (name := accept(match.group("name")))
        ]
        if len(pairs) >= 2:
            found.extend((n, re.sub(r"^(?:,\s*)?(?:and\s+)?", "", d)) for n, d in pairs)
            return tuple(found)
    head, _, tail = sentence.partition(": ")
    if tail and re.match(rf"{_SAY}\s", tail, re.I) and not read(head):
        sentence = tail  # "Tag the review: say 'pos' if ..., 'neg' if ..."
    ends, pending = [], []
    for piece in re.split(r",\s*|;\s*", sentence):
        pending.append(re.sub(r"^(?:and|but)\s+", "", piece.strip(), flags=re.I))
        hit = read_end(", ".join(p for p in pending if p))
        if hit:
            ends.append(hit)
            pending = []
    if ends:
        found.extend(ends)
        return tuple(found)
    verb, matched_here = "", False
    for segment in _SEGMENT.split(sentence):
        segment = re.sub(r"^(?:and|or|then)\s+", "", segment.strip(), flags=re.I)
        if not segment:
            continue
        said = re.match(rf"^{_SAY}\s", segment, re.I)
        carry = (
            verb
            and matched_here
            and not said
            and not (_PROSE_ELSE.match(segment) or _ELSE_AFTER.match(segment))
        )
        hit = (read(verb + segment) if carry else None) or read(segment)
        if hit:
            found.append(hit)
            matched_here = True
            lead = _PROSE_FORMS[0].match(segment) and re.match(rf"^{_SAY}\s+", segment, re.I)
            verb = lead.group(0) if lead else verb
        elif matched_here and found:
            name, definition = found[-1]
            found[-1] = (name, f"{definition}, {segment}")
    if not found:
        found.extend(_bare_ifs(sentence, accept))
    return tuple(found)


def _bare_ifs(sentence: str, accept: Callable[[str], str | None]) -> list[tuple[str, str]]:
    """ "work if ..., personal if ..., promo if ...": two or more clauses that each start with a
    name and "if"/"when"/"for" (after a colon, if there is one); a piece that starts no clause
    continues the previous definition."""
    body = sentence.split(": ", 1)[1] if ": " in sentence else sentence
    pairs: list[tuple[str, str]] = []
    for piece in re.split(r",\s*|;\s*", body):
        match = _BARE_IF.match(piece.strip())
        name = accept(match.group("name")) if match else None
        if name:
            pairs.append((name, match.group("def").strip()))
        elif pairs:
            pairs[-1] = (pairs[-1][0], f"{pairs[-1][1]}, {piece.strip()}")
        else:
            return []
    return pairs if len(pairs) >= 2 else []


# "..., that is x" / "..., then it's x": a pronoun that points back at the clause before it.
_POINTED = re.compile(r",\s*(?:that|this|it|then|then\s+it)(?:'s)?$", re.I)
_PRONOUN_ONLY = re.compile(r"^\s*(?:that|this|it|then|they|these|those)\s*$", re.I)
_CONDITION = re.compile(r"^\s*(?:if|when|whenever|where)\s+", re.I)
# "<things> are <name>: <definition>" - a one-word name right before a colon and its gloss.
_IS_NAME_COLON = re.compile(
    rf"^(?!{_SAY}\s)[^:]{{2,60}}?\s+(?:is|are)\s+{_NAME}\s*:\s*(?P<def>\S.+)$", re.I
)
# "<noun> are a (x, y), b (z) and c (w)": a list whose items carry definitions in brackets.
_PAREN_LEAD = re.compile(r"(?:\b(?:are|is|include|includes)\b|:)\s+(?=[`'\"*]?[^\W\d])", re.I)


@lru_cache(maxsize=4096)
def _paren_list(sentence: str) -> tuple[tuple[str, str], ...]:
    """Items of a list of two or more "name (definition)" items after "are"/"is"/":" in one
    sentence, every item a one-word name and all but at most one with a bracketed
    definition: the brackets are what make it a label set rather than a list of things."""
    for lead in _PAREN_LEAD.finditer(sentence):
        rest = sentence[lead.end() :]
        items = [(n, d) for n, d in _split_labelled(rest)]
        if len(items) < 2 or any(" " in n or n.lower() in _NOT_NAMES for n, _ in items):
            continue
        if sum(1 for _, d in items if d) >= max(2, len(items) - 1):
            return tuple(items)
    return ()


_QUANTIFIED = re.compile(r"^(?:one|every|each|some|all|no|any|two|three)\s+\S", re.I)
_NOT_NAMES = frozenset(
    {
        *["it", "this", "that", "them", "one", "only", "just", "the", "a", "an", "below"],
        *["above", "here", "there", "important", "required", "optional", "data", "text"],
        *["input", "output", "answer", "label", "category", "needed", "given", "shown", "not"],
    }
)


def find_labels(text: str) -> tuple[list[str], dict[str, str]]:
    """Label names and any definitions stated in `text` (cached: a prompt repeats per input)."""
    labels, definitions = _find_labels(text)
    return list(labels), dict(definitions)


@lru_cache(maxsize=4096)
def _find_labels(text: str) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    labels, definitions = _read_labels(text)
    return tuple(labels), tuple(definitions.items())


def _read_labels(text: str) -> tuple[list[str], dict[str, str]]:
    """Label names and any definitions stated in `text` (see docs/SIMULATOR.md for the forms).

    Reads, in order: header lines ("Labels: a, b", "Answer with one of: ...", "Reply with one
    word: a, b or c", "Choose from a / b / c") with their items inline (definitions in
    parentheses allowed) or in a block below (bullets, numbered lines, "label: definition",
    YAML); a markdown table; "- label: definition" bullets when the prompt talks about labels;
    and prose definitions ("Use billing when ...") for the names found, or on their own when
    two or more name a label.
    """
    lines = text.splitlines()
    labels: list[str] = []
    definitions: dict[str, str] = {}

    def add(name: str, definition: str = "") -> None:
        existing = next((lab for lab in labels if lab.lower() == name.lower()), None)
        if existing is None:
            labels.append(name)
            existing = name
        if definition and existing not in definitions:
            definitions[existing] = definition

    for index, line in enumerate(lines):
        rest = _header_rest(line)
        if rest is None:
            continue
        filler = _FILLER_REST.fullmatch(rest) is not None
        items = [] if filler else _split_labelled(rest)
        if len(items) >= 2 or (items and _HEADER.match(line)):
            for name, definition in items:
                add(name, definition)
        elif filler or not rest:
            for name, definition in _bullet_block(lines, index + 1):
                add(name, definition)
    table = _table(lines)
    if len(table) >= 2 and not any(name.lower() in map(str.lower, labels) for name, _ in table):
        labels.clear()
        definitions.clear()
    for name, definition in table if len(table) >= 2 else []:
        add(name, definition)
    cued = _cued(text)
    if cued:
        # A block of two or more "- label: definition" bullets also states a label set.
        bullets = [_LABEL_DEF.match(m.group(1).strip()) for m in map(_BULLET.match, lines) if m]
        pairs = [(_clean_name(b.group(1)), b.group(2).strip()) for b in bullets if b]
        stated = [lab.lower() for lab in labels]
        if len(pairs) >= 2:
            for name, definition in pairs:
                if not stated or name.lower() in stated:
                    add(name, definition)
    if not labels and cued:
        for name, definition in _any_list(lines):
            add(name, definition)
    # Prose is read in the instructions only: not in delimited data, not in "Text: ..." lines.
    instructions = undelimited(text)
    kept = [
        line
        for line in instructions.splitlines()
        if not _INPUT_LINE.match(line) and (not labels or _header_rest(line) is None)
    ]
    prose = _prose("\n".join(kept), labels)
    if not labels and (cued or _CHOICE_ASK.search(text)):
        # "Sports is matches, teams and athletes. Politics is ...": in a prompt that asks for a
        # label, sentences that give one word a list of things define that word; preferred
        # when they name more labels than the other prose readings.
        subjects = [
            pair
            for sentence in _PROSE_SENTENCE.split("\n".join(kept))
            if (pair := _subject_list(sentence.strip().rstrip(".!?")))
        ]
        if len(subjects) >= 2 and len(subjects) > len(prose):
            prose = subjects
        # "Sport articles cover ... Politics articles cover ...", "Put pieces about ... under
        # sport. Put pieces about ... under politics.": sentences written to one template
        # whose only one-word difference is the label.
        parallel = _parallel(tuple(_clauses("\n".join(kept))))
        if len(parallel) >= 2 and len(parallel) >= len(prose):
            prose = parallel
    if not labels:
        # "Our sections are sports (games, clubs), politics (elections) and health (...)".
        for sentence in _PROSE_SENTENCE.split("\n".join(kept)):
            bracketed = list(_paren_list(sentence.strip()))
            if len(bracketed) >= 2 and len(bracketed) > len(prose):
                prose = bracketed
    if labels or len(prose) >= 2:
        named = bool(labels)
        for name, definition in prose:
            add(name if named else _unstart(name), definition)
    if any("_" in lab for lab in labels):
        # Names written as identifiers (card_lost, money_transfer): every other identifier in
        # the instructions is a name of the same set, even where its sentence was not read.
        for sentence in _PROSE_SENTENCE.split("\n".join(kept)):
            for token in _IDENTIFIER.findall(sentence):
                if token.lower() not in {lab.lower() for lab in labels}:
                    rest = re.sub(rf"\W*\b{re.escape(token)}\b\W*", " ", sentence).strip()
                    add(token, rest)
    # An inline list ("... positive, negative or neutral") that holds every name found so far
    # and more: the set was only partly read (or not at all), so the list is the set.
    listed = _inline_list("\n".join(kept))
    if len(listed) >= 2 and {lab.lower() for lab in labels} < {n.lower() for n in listed}:
        for name in listed:
            add(name)
        order = {name.lower(): i for i, name in enumerate(listed)}
        labels.sort(key=lambda lab: order.get(lab.lower(), len(order)))
    return labels, definitions


def _clauses(text: str) -> list[str]:
    """Sentences and ";"-separated clauses of `text`, without end punctuation."""
    parts = re.split(r"(?<=[.!?])\s+|\n+|;\s*", text)
    return [part.strip().rstrip(".!?").strip() for part in parts if part and part.strip()]


_WORD_RUN = re.compile(r"\S+")
_FRAME_GLUE = frozenset({"and", "or", "the", "a", "an", "of", "to", "in", "on", "for", "with", "-"})
_BARE = re.compile(r"^[`'\"*]*([^\W\d][\w\-]*)[`'\"*,:]*$")


@lru_cache(maxsize=4096)
def _parallel(clauses: tuple[str, ...]) -> list[tuple[str, str]]:
    """Labels from the longest run (two or more) of consecutive clauses written to one template.

    The clauses share their first and last words; of what is left, either the first word
    differs and the next words are the same in all of them ("Sport articles cover X"), or the
    last word differs and the words before it are the same ("... about X under sport"). The
    word that differs is the label, the rest of the middle its definition.
    """
    best: list[tuple[str, str]] = []
    for start in range(len(clauses) - 1):
        end = start + 2
        found: list[tuple[str, str]] = []
        while end <= len(clauses):
            pairs = _template(clauses[start:end])
            if not pairs:
                break
            found, end = pairs, end + 1
        if len(found) > len(best):
            best = found
    return best


def _template(clauses: Sequence[str]) -> list[tuple[str, str]]:
    """The (label, definition) pairs of `_parallel` for clauses that all fit one template."""
    rows = [_WORD_RUN.findall(clause) for clause in clauses]
    low = [[w.lower() for w in row] for row in rows]
    prefix = 0
    while all(len(r) > prefix and r[prefix] == low[0][prefix] for r in low):
        prefix += 1
    suffix = 0
    while all(len(r) > prefix + suffix and r[-1 - suffix] == low[0][-1 - suffix] for r in low):
        suffix += 1
    middles = [row[prefix : len(row) - suffix] for row in rows]
    mids = [r[prefix : len(r) - suffix] for r in low]
    for side in ("first", "last"):
        same = 0
        at = (lambda r, k: r[1 + k]) if side == "first" else (lambda r, k: r[-2 - k])
        while all(len(r) > same + 2 and at(r, same) == at(mids[0], same) for r in mids):
            same += 1
        if not same:
            continue
        pairs = []
        for row in middles:
            if side == "first":
                name, rest = row[0], row[1 + same :]
            else:
                name, rest = row[-1], row[: -1 - same]
            bare = _BARE.match(name)
            if not bare or not rest or bare.group(1).lower() in _NOT_NAMES | _LIST_STOP:
                break
            pairs.append((bare.group(1), " ".join(rest).strip(" ,")))
        names = {name.lower() for name, _ in pairs}
        frame = [*low[0][:prefix], *low[0][len(low[0]) - suffix :]]
        frame += mids[0][1 : 1 + same] if side == "first" else mids[0][-1 - same : -1]
        # "..., teams and athletes" shares only "and": a frame needs two words or a verb/noun
        framed = len(frame) >= 2 or any(w.strip(",:") not in _FRAME_GLUE for w in frame)
        if framed and len(pairs) == len(middles) and len(names) == len(pairs):
            return pairs
    return []


_SUBJECT_LIST = re.compile(
    rf"^{_KIND}{_NAME}\s+(?:is|are|means|covers)\s+(?P<def>[^.;:]+?(?:,|\band\b|\bor\b)[^.;:]+)$",
    re.I,
)


@lru_cache(maxsize=4096)
def _subject_list(sentence: str) -> tuple[str, str] | None:
    """("sports", "matches, teams and athletes") from "Sports is matches, teams and athletes";
    a one-word subject only, never a determiner or a word that is no name."""
    match = _SUBJECT_LIST.match(sentence)
    if not match:
        return None
    name = _clean_name(match.group("name"))
    if " " in name or name.lower() in _NOT_NAMES or _DETERMINER.match(name + " "):
        return None
    return _unstart(name), match.group("def").strip()


_IDENTIFIER = re.compile(r"(?<![\w\-])[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+(?![\w\-])")
# "a, b, c or d" / "a, b and c" (three or more), or "a or b" after a word that asks to choose.
_LIST_RUN = re.compile(
    r"(?<![\w\-'])((?:[`'\"*]?[^\W\d][\w\-]*[`'\"*]?,\s+){1,11}"
    r"[`'\"*]?[^\W\d][\w\-]*[`'\"*]?,?\s+(?:or|and)\s+[`'\"*]?[^\W\d][\w\-]*[`'\"*]?)"
    r"(?![\w\-])"
)
_PAIR_RUN = re.compile(
    r"\b(?:between|either|whether|if\s+(?:it|this)(?:'s|\s+is)|is\s+it|as)\s+"
    r"([`'\"*]?[^\W\d][\w\-]*[`'\"*]?\s+(?:or|and)\s+[`'\"*]?[^\W\d][\w\-]*[`'\"*]?)"
    r"(?![\w\-])",
    re.I,
)
# Words that, inside a list, show it is a list of things rather than a set of labels.
_LIST_STOP = frozenset({"the", "a", "an", "it", "this", "that", "you", "they", "we", "i"})


def _inline_list(instructions: str) -> list[str]:
    """The longest list of one-word names in an instruction sentence that asks for a choice.

    Only lists of three or more (or a pair after "between", "either", "whether", "is it"); a
    sentence counts when it is cued (classify, label, category, sentiment, intent, one of) or
    asks a question of choice (which, whether, decide, tell me, is it). Names keep their
    spelling; snake_case and kebab-case names count as one word."""
    best: tuple[str, ...] = ()
    for sentence in _PROSE_SENTENCE.split(instructions):
        names = _sentence_list(sentence)
        if len(names) > len(best):
            best = names
    return list(best)


@lru_cache(maxsize=4096)
def _sentence_list(sentence: str) -> tuple[str, ...]:
    """`_inline_list` of one sentence (cached: instruction sentences repeat)."""
    if not (_line_cued(sentence) or _CHOICE_ASK.search(sentence)):
        return ()
    best: list[str] = []
    for pattern in (_LIST_RUN, _PAIR_RUN):
        for match in pattern.finditer(sentence):
            before = sentence[: match.start()]
            if before.count("(") > before.count(")") and _bracket_groups(sentence) >= 2:
                continue  # "joy (delight or relief), anger (rage)": definitions, not the set
            if not _LIST_END.match(sentence, match.end()):
                continue  # "which steps, tools and people are needed": a list inside a clause
            if not _LIST_LEAD.search(sentence[: match.start()]):
                continue  # "a review of a restaurant, hotel or product": things, not labels
            parts = re.split(r",\s*(?:or\s+|and\s+)?|\s+(?:or|and)\s+", match.group(1))
            names = [_clean_name(part) for part in parts]
            if any(not n or n.lower() in _LIST_STOP or n.lower() in _NOT_NAMES for n in names):
                continue
            if len(names) > len(best):
                best = names
    return tuple(best)


def _bracket_groups(sentence: str) -> int:
    """How many top-level (...) groups `sentence` holds."""
    groups = depth = 0
    for char in sentence:
        if char == "(":
            groups += depth == 0
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
    return groups


# A choice list follows a colon, a bracket or a word that introduces values ("is", "be", "as",
# "between", "about"), never a determiner or an ordinary preposition ("of a", "for the").
_LIST_LEAD = re.compile(
    r"(?:[:(\u2014\u2013]|\s-|\b(?:is|are|be|was|as|between|either|whether|into|about|from|"
    r"among|sounds|seems|reads))\s*[`'\"*]?$",
    re.I,
)
# A choice list ends its clause: then only a closing bracket or quote, punctuation, the end.
_LIST_END = re.compile(r"""[)\]'"`*]?\s*(?:[.;:!?)]|$)""")


_CHOICE_ASK = re.compile(
    r"\b(?:which|whether|decide|tell\s+me|is\s+it|choose|pick|select|between|either|"
    r"sentiment|topic|category|label|intent|tag|queue|route|assign|team|desk|department)\b",
    re.I,
)


# "label\nthe ...": the only way a classification cue can run across a line break.
_CUE_ACROSS_LINES = re.compile(r"\b(?:label|tag|which)\s*\n", re.I)


def _cued(text: str) -> bool:
    """True when `text` talks about classifying (`_CLASSIFY_CUE` or `_CLASSIFY_ASK`).

    Read line by line with each line's answer cached (the instruction lines repeat around a
    new input); the whole text is searched only when a cue could span a line break.
    """
    if any(_line_cued(line) for line in text.split("\n")):
        return True
    return bool(_CUE_ACROSS_LINES.search(text) and _CLASSIFY_ASK.search(text))


@lru_cache(maxsize=4096)
def _line_cued(line: str) -> bool:
    return bool(_CLASSIFY_CUE.search(line) or _CLASSIFY_ASK.search(line))


def label_definitions(labels: list[str], text: str) -> dict[str, str]:
    """Definitions of already known `labels` found in `text` (e.g. a JSON-schema enum's
    description), in any layout `find_labels` reads, plus prose naming those labels.

    For a schema enum the names are given, so prose such as "billing covers charges, bug
    covers crashes" is read against them even when no header introduces it.
    """
    known = {label.lower(): label for label in labels}
    found: dict[str, str] = {}
    # "a = x. b = y.": a sentence end starts a new line only where a known label's name and
    # its ":" / "=" / dash follow, so a definition of several sentences stays whole.
    names = "|".join(re.escape(label) for label in sorted(labels, key=len, reverse=True))
    next_label = (
        rf"(?<=[.!?])\s+(?=[`'\"*]*(?:{names})[`'\"*]*\s*(?:[:=—–]|-\s))" if names else "$^"
    )
    lines = re.sub(rf";\s*|{next_label}", "\n", text, flags=re.I)
    _, stated = find_labels("Labels:\n" + lines)
    for name, definition in [*stated.items(), *_prose(text, labels)]:
        label = known.get(name.lower())
        if label and label not in found:
            found[label] = definition
    return found


@lru_cache(maxsize=4096)
def _header_rest(line: str) -> str | None:
    """What follows the label-set header on `line`, or None if it has none.

    Every header form is tried; a match that starts inside parentheses ("(... either way)")
    is no header, and of the rest the one listing the most items wins. Cached per line: a
    prompt's instruction lines repeat around every new input.
    """
    best: tuple[int, str] | None = None
    for pattern in (_HEADER, _ONE_OF, _CHOOSE, _CLASSIFY_AS, _WHETHER, _IS_IT, _INTO, _ONE_NOUN):
        match = pattern.match(line) if pattern in (_HEADER, _IS_IT) else pattern.search(line)
        if not match:
            continue
        before = line[: match.start(1)]
        if before.count("(") > before.count(")") or before.count("[") > before.count("]"):
            continue
        rest = match.group(1).strip()
        if re.match(r"^[\w\-'\"`*]+\s+(?:if|when|whenever)\b", rest, re.I):
            continue  # "Mark it as sport if it ...": one prose rule, not a list
        head, colon, tail = rest.partition(":")
        if colon and tail.strip() and _FILLER_REST.fullmatch(head.strip()):
            rest = tail.strip()  # "one of these words: a / b / c": the list is after the colon
        count = len(_split_labelled(rest)) if rest else 0
        if best is None or count > best[0]:
            best = (count, rest)
    return None if best is None else best[1]


def _unstart(name: str) -> str:
    """A name capitalised only because it starts a sentence ("Positive means") is lowercased."""
    if name[:1].isupper() and name[1:] == name[1:].lower() and " " not in name:
        return name.lower()
    return name


def _any_list(lines: list[str]) -> list[tuple[str, str]]:
    """The most plausible label set when the prompt asks for a label but no header names one:
    the first block of two or more short bullet or numbered lines."""
    for index, line in enumerate(lines):
        if _BULLET.match(line):
            block = _bullet_block(lines, index)
            if len(block) >= 2:
                return block
    return []


def find_examples(text: str, labels: list[str]) -> list[tuple[str, str]]:
    """Few-shot pairs written as "Text: ..." then "Label: ..." lines whose label is in the set."""
    by_lower = {label.lower(): label for label in labels}
    examples: list[tuple[str, str]] = []
    pending: str | None = None
    for line in text.splitlines():
        answer = _ANSWER_LINE.match(line)
        if answer and pending is not None:
            label = by_lower.get(answer.group(1).strip().strip("`'\".").lower())
            if label:
                examples.append((pending, label))
            pending = None
            continue
        given = _INPUT_LINE.match(line)
        if given:
            pending = given.group(1).strip()
    return examples


def _answer_labels(text: str) -> list[str]:
    """Labels implied by few-shot answers, used only when no set is stated explicitly."""
    seen: list[str] = []
    pending = False
    for line in text.splitlines():
        answer = _ANSWER_LINE.match(line)
        if answer and pending:
            value = answer.group(1).strip().strip("`'\".")
            if value and len(value.split()) <= 3 and value.lower() not in map(str.lower, seen):
                seen.append(value)
            pending = False
        elif _INPUT_LINE.match(line):
            pending = True
    return seen


def _stated_labels(messages: list[dict], instructions: str) -> tuple[list[str], dict[str, str]]:
    """The label set of the prompt, read so that the cache serves a prompt repeated around a
    different input: from the turns before the last user turn when they state it and the last
    turn adds no list or definition lines; else without delimited data; else from everything.
    """
    last = last_user_index(messages)
    if last is not None:
        user = text_of(messages[last])
        before = "\n\n".join(
            text_of(m) for i, m in enumerate(messages) if i != last and m.get("role") != "assistant"
        )
        labels, definitions = find_labels(before) if before.strip() else ([], {})
        listed = any(
            _BULLET.match(line) or _header_rest(line) is not None for line in user.splitlines()
        )
        named = any(_starts_with(lab).match(user) for lab in labels)
        if labels and not listed and not named:
            return labels, definitions
    # Delimited blocks are data, not instructions: read the set without them first.
    labels, definitions = find_labels(undelimited(instructions))
    if not labels:
        labels, definitions = find_labels(instructions)
    return labels, definitions


@lru_cache(maxsize=4096)
def _starts_with(label: str) -> re.Pattern[str]:
    """Matches a text that begins with `label` (after any punctuation), compiled once."""
    return re.compile(rf"\W*{re.escape(label)}\b", re.I | re.M)


def label_spec(messages: list[dict]) -> LabelSpec | None:
    """The label set a classification prompt states, or None if it states none.

    It reads only each message's role and text, so it is memoised on those (several skills
    ask for it per request, and a notebook sends one prompt many times); each caller gets
    its own copy of the lists.
    """
    spec = _label_spec(tuple((m.get("role"), text_of(m)) for m in messages))
    if spec is None:
        return None
    return LabelSpec(list(spec.labels), dict(spec.definitions), list(spec.examples))


@lru_cache(maxsize=2048)
def _label_spec(turns: tuple[tuple[str | None, str], ...]) -> LabelSpec | None:
    messages = [{"role": role, "content": text} for role, text in turns]
    last = last_user_index(messages)
    instructions = "\n\n".join(text_of(m) for m in messages if m.get("role") != "assistant")
    labels, definitions = _stated_labels(messages, instructions)
    if not labels:
        labels = _answer_labels(instructions)
        if len(labels) < 2:
            return None
    examples = find_examples(instructions, labels)
    # Earlier user/assistant turns whose answer is a bare label are few-shot examples too.
    by_lower = {label.lower(): label for label in labels}
    for index, message in enumerate(messages):
        if message.get("role") != "assistant" or index == 0 or (last is not None and index > last):
            continue
        label = by_lower.get(text_of(message).strip().strip("`'\".").lower())
        previous = messages[index - 1]
        if label and previous.get("role") == "user":
            examples.append((payload(text_of(previous)), label))
    return LabelSpec(labels=labels, definitions=definitions, examples=examples)


_FIELD_HEAD = re.compile(r"^\s*[A-Za-z][\w '\-]{0,30}:\s+(?=\S)")


def classification_input(messages: list[dict]) -> str:
    """The text to classify: `payload` of the last user turn, narrowed further when that turn
    also carries the task and the label set.

    When `payload` finds no marker or delimiter and the turn has several paragraphs, the last
    paragraph is the input (the label set and the task come before it); a short field name in
    front of it ("Customer review: ...") is dropped.
    """
    user = last_user_text(messages)
    found = payload(user)
    if found != user.strip():
        return found
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", user) if p.strip()]
    if len(paragraphs) < 2:
        return found
    last = paragraphs[-1]
    head = _FIELD_HEAD.match(last)
    return last[head.end() :].strip() if head else last


def asks_for_json(messages: list[dict]) -> bool:
    """True when the instructions (system prompt or last user turn) mention JSON, or ask for a
    machine-readable key-value object in other words (cues.asks_for_json_output, read on the
    instructions minus delimited data). Memoised on the two texts it reads."""
    return _asks_for_json(system_text(messages), last_user_text(messages))


@lru_cache(maxsize=2048)
def _asks_for_json(system: str, user: str) -> bool:
    if _JSON_ASK.search(system + "\n" + user):
        return True
    from course.sim.reading import cues  # local: cues loads the embedding model on first use

    return cues.asks_for_json_output(system + "\n" + undelimited(user))


def json_keys_from_prompt(text: str) -> dict[str, object]:
    """The keys (and example values, if given) that a prose prompt asks the JSON to have.

    Reads a JSON example in the prompt if there is one, else a "keys: a, b and c" list, else
    back-ticked names in the sentence that mentions JSON. Values are example values or None.
    """
    for match in re.finditer(r"\{[^{}]*\}", text):
        try:
            example = json.loads(match.group(0))
        except json.JSONDecodeError:
            keys = re.findall(r"""["'](\w+)["']\s*:""", match.group(0))
            if keys:
                return dict.fromkeys(keys)
            continue
        if isinstance(example, dict) and example:
            return example
    listed = re.search(
        r"\b(?:keys|fields|properties|attributes)\b\s*(?:named|called)?\s*[:\-]?\s*([^\n.]+)",
        text,
        re.I,
    )
    if listed:
        keys = [re.sub(r"\W+", "_", k).strip("_") for k in _split_items(listed.group(1))]
        keys = [k for k in keys if k]
        if keys:
            return dict.fromkeys(keys)
    for sentence in re.split(r"(?<=[.!?])\s+|\n", text):
        if _JSON_ASK.search(sentence):
            ticked = re.findall(r"`(\w+)`", sentence)
            if ticked:
                return dict.fromkeys(ticked)
    return {}
