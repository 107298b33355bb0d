"""Decide whether a genre or mood the user named is one they want to avoid ("not horror", "no musicals").

Pure Python (no Rasa import); ``entity_refiner.py`` uses it to give such entities the role ``exclude``.
"""

from __future__ import annotations

import re

# A negation cue right before the entity, allowing a few filler words in between:
# "not horror", "no scary stuff", "anything but westerns", "I hate musicals", "nothing too dark".
_CUE_BEFORE = re.compile(
    r"""(?:\b(?:not|no|nothing|without|except|excluding|skip|avoid|hate|dislike|don'?t\s+(?:want|like|do)|
        do\s+not\s+(?:want|like)|can'?t\s+stand|anything\s+but|other\s+than|less|never|none|rather\s+not|
        not\s+into|no\s+more|sick\s+of|tired\s+of|enough)\b
       |\b\w+n't\b)
       (?:\s+(?:a|an|any|the|more|too|so|very|really|in|of|with|for|into|some|kind\s+of|sort\s+of|fan\s+of|
       big\s+fan\s+of|another|fond\s+of|[a-z]+(?:y|ing)))*\s+$""",
    re.I | re.X,
)
# "horror is not for me", "horror please no", "no to horror" after the entity.
_CUE_AFTER = re.compile(
    r"^\s*(?:movies?|films?|shows?|series|stuff|ones?|things?)?\s*(?:is|are)?\s*(?:not\s+for\s+me|please\s+no|"
    r"no\s+thanks|is\s+a\s+no|are\s+a\s+no|not\s+please|scares?\s+me)",
    re.I,
)
# A new clause ends the reach of a negation: "not horror, but a comedy" keeps comedy wanted
# ("anything but" is itself the negation, not a new clause).
_CLAUSE_BREAK = re.compile(
    r"[,.;!?]|\b(?<!anything\s)(?<!all\s)(?:but|instead|rather|and\s+want|prefer(?:ably)?|more\s+like)\b",
    re.I,
)


def is_negated(text: str, start: int, end: int) -> bool:
    """True when the entity at ``text[start:end]`` is something the user does not want."""
    text = text.replace("\u2019", "'")  # typographic apostrophes from phone keyboards
    before = text[:start]
    clause = _CLAUSE_BREAK.split(before)[-1]
    if _CUE_BEFORE.search(clause):
        return True
    after = _CLAUSE_BREAK.split(text[end:])[0]
    return bool(_CUE_AFTER.match(after))
