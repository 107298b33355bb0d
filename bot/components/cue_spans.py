"""Best-effort ``title`` and ``person`` spans from the words around them ("something like X", "with X").

Rasa's NLU has no catalog, so it cannot know that "the office" is a title. It can, however, see that the
words after "something like" or "starring" name one. These spans are hints: the action server resolves
titles and people against the catalog from the raw text (PhraseMatcher + fuzzy) and may ignore them.
Pure Python (no Rasa import); ``entity_refiner.py`` calls it.
"""

from __future__ import annotations

import re

from bot.components.constraint_values import Span

_MAX_TOKENS = 6
# Words that end a name: prepositions and fillers that follow a title or person in requests.
_STOP_WORDS = frozenset(
    [
        "in",
        "on",
        "from",
        "under",
        "over",
        "for",
        "that",
        "which",
        "who",
        "or",
        "please",
        "pls",
        "plz",
        "tonight",
        "today",
        "now",
        "but",
        "without",
        "is",
        "was",
        "are",
        "any",
        "worth",
        "available",
        "about",
        "streaming",
        "rated",
        "here",
        "there",
        "to",
        "too",
        "again",
        "though",
        "because",
        "since",
        "cause",
        "so",
        "if",
        "when",
        "with",
        "instead",
        "maybe",
        "except",
        "not",
        "no",
        "movies",
        "films",
        "shows",
        "series",
        "stuff",
        "ones",
        "kind",
        "type",
        "rather",
        "than",
        "yet",
    ]
)
# A span that starts with one of these does not name anything ("with my kids", "like that").
_NOT_A_NAME = frozenset(
    [
        "it",
        "that",
        "this",
        "these",
        "those",
        "them",
        "they",
        "one",
        "ones",
        "something",
        "anything",
        "everything",
        "nothing",
        "some",
        "me",
        "you",
        "him",
        "her",
        "his",
        "us",
        "our",
        "your",
        "their",
        "my",
        "there",
        "what",
        "which",
        "more",
        "less",
        "lots",
        "plenty",
        "subtitles",
        "friends",
        "family",
        "kids",
        "children",
        "wife",
        "husband",
        "partner",
        "girlfriend",
        "boyfriend",
        "mom",
        "dad",
        "son",
        "daughter",
        "people",
        "someone",
        "somebody",
        "a",
        "an",
        "the",
        "good",
        "great",
        "bad",
        "high",
        "low",
        "lot",
        "little",
        "bit",
        "time",
        "way",
        "next",
        "last",
        "same",
        "other",
        "another",
        "new",
        "old",
        "what's",
        "whats",
        "i",
        "i've",
        "ive",
    ]
)
_ARTICLES = frozenset({"the", "a", "an"})
_TOKEN = re.compile(r"[\w'’&:.-]+", re.UNICODE)

_PERSON_CUES = re.compile(
    r"\b(?:starring|featuring|feat\.?|directed\s+by|by\s+director|from\s+director|acted\s+by|with|by)\s+",
    re.I,
)
_TITLE_CUES = {
    "ask_similar": r"\b(?:like|similar\s+to|same\s+as|as\s+good\s+as|in\s+the\s+vein\s+of|vibes?\s+(?:of|like)|"
    r"reminds?\s+me\s+of|along\s+the\s+lines\s+of|fans?\s+of|if\s+i\s+(?:liked|loved|enjoyed)|"
    r"(?:liked|loved|enjoyed))\s+",
    "ask_title_info": r"\b(?:about|is|of|for|watch|tell\s+me\s+about|info\s+on|details\s+(?:on|about|for)|"
    r"cast\s+of|who'?s\s+in|who\s+is\s+in|how\s+long\s+is|when\s+is|what'?s|what\s+is|does)\s+",
    "feedback_positive": r"\b(?:loved|liked|enjoyed|adored)\s+",
    "feedback_negative": r"\b(?:hated|disliked|didn'?t\s+like|did\s+not\s+like|couldn'?t\s+stand)\s+",
    "feedback_watched": r"\b(?:watched|seen|saw|finished)\s+",
    "already_seen": r"\b(?:watched|seen|saw)\s+",
    "add_to_list": r"\b(?:add|save|put|bookmark)\s+",
}
_TITLE_CUE_PATTERNS = {intent: re.compile(cue, re.I) for intent, cue in _TITLE_CUES.items()}


def _span_after(text: str, position: int, entity: str) -> Span | None:
    """The name that starts at ``position``: tokens up to a stop word or punctuation, at most six."""
    tokens: list[re.Match[str]] = []
    for match in _TOKEN.finditer(text, position):
        gap = text[(tokens[-1].end() if tokens else position) : match.start()]
        if gap.strip() or match.group(0).lower() in _STOP_WORDS or len(tokens) == _MAX_TOKENS:
            break
        tokens.append(match)
    while tokens and tokens[-1].group(0).lower() in _ARTICLES:
        tokens.pop()
    if not tokens:
        return None
    words = [token.group(0).lower().strip(".:'’") for token in tokens]
    content = words[1:] if words[0] in _ARTICLES and len(words) > 1 else words
    if words[0] in _NOT_A_NAME - _ARTICLES or not content or content[0] in _NOT_A_NAME:
        return None
    start, end = tokens[0].start(), tokens[-1].end()
    value = text[start:end].rstrip(".:")
    return Span(entity, start, start + len(value), value)


def find_people(text: str) -> list[Span]:
    spans = [_span_after(text, cue.end(), "person") for cue in _PERSON_CUES.finditer(text)]
    # Titles may start with an article ("The Office"); people's names do not ("with a twist").
    return [span for span in spans if span and span.value.split()[0].lower() not in _ARTICLES]


def find_titles(text: str, intent: str | None) -> list[Span]:
    pattern = _TITLE_CUE_PATTERNS.get(intent or "")
    if pattern is None:
        return []
    spans = [_span_after(text, cue.end(), "title") for cue in pattern.finditer(text)]
    return [span for span in spans if span]
