"""Quiz answers: understanding which option a learner meant, in any supported language."""

from __future__ import annotations

import re
import unicodedata

#: Ordinal words and option letters, per language, mapped to a 0-based option index.
_WORDS: dict[str, int] = {}
for _index, _forms in enumerate(
    [
        "a first 1st one pehla pahla pehle pahle पहला पहली पहले अ क முதல் முதலாவது ஒன்று প্রথম ক",
        "b second 2nd two doosra dusra doosri dusri दूसरा दूसरी दूसरे ब ख இரண்டாவது இரண்டு দ্বিতীয় খ",
        "c third 3rd three teesra tisra teesri tisri तीसरा तीसरी तीसरे स ग மூன்றாவது மூன்று তৃতীয় গ",
        "d fourth 4th four chautha chauthi चौथा चौथी चौथे द घ நான்காவது நான்கு চতুর্থ ঘ",
    ]
):
    for _word in _forms.split():
        _WORDS[unicodedata.normalize("NFC", _word)] = _index

#: Filler words that may surround the choice ("option 2", "answer is b", "b wala").
_FILLER_WORDS = (
    "option opt answer ans is my the its it's choice no number wala wali vala vali "
    "विकल्प उत्तर नंबर वाला वाली जवाब விருப்பம் பதில் எண் বিকল্প উত্তর"
)
_FILLER = frozenset(_FILLER_WORDS.split())
_DIGITS = str.maketrans("०१२३४५६७८९௦௧௨௩௪௫௬௭௮௯০১২৩৪৫৬৭৮৯", "0123456789" * 3)


def parse_option(text: str, options: int) -> int | None:
    """The 0-based option a learner chose, or None when the text names no single option.

    Understands letters (`b`), numbers in Latin, Devanagari, Tamil or Bengali digits (`2`,
    `२`), "option 2", ordinals ("second", "दूसरा", "doosra", "இரண்டாவது") and Hindi option
    letters (अ ब स द, क ख ग घ).

    Args:
        text: What the learner typed.
        options: How many options the question has (2 to 4).

    Examples:
        >>> parse_option("option 2", 4), parse_option("दूसरा", 4), parse_option("e", 4)
        (1, 1, None)
    """
    cleaned = unicodedata.normalize("NFC", text).translate(_DIGITS).lower()
    words = [w for w in re.split(r"[\s.,:;!?()\"'’)\-]+", cleaned) if w and w not in _FILLER]
    if len(words) > 1:  # "the second one": "one" only counts on its own
        words = [w for w in words if w != "one"]
    if len(words) != 1:
        return None
    word = words[0]
    index = int(word) - 1 if word.isdigit() else _WORDS.get(word)
    if index is None or not 0 <= index < options:
        return None
    return index
