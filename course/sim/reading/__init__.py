"""Reading a request: the simulator's parsers, shared by the skills (course/sim/skills/).

Each module turns prompt text into something a skill decides with, and none answers a request:
text.py (words, stems, sentences), lexicon.py (groups of words that mean the same), finders.py
(values by type: dates, ids, numbers, names), money.py (amounts and currencies), prompt.py (the
prompt's parts, label sets, JSON keys), passages.py (context passages and the QA task), cues.py
(prompt techniques recognised by meaning), facts.py (quantities, identifiers and abstentions in
answers) and redo.py (the repair-turn view). Reading never imports a skill, a behaviour or
writing.py (an import-linter contract), so a parser can be tested and reused on its own.
"""
