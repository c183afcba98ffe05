"""What kind of answer a question wants, and whether a sentence can be one.

Near-miss questions share almost every word with some passage ("How many grievances were
received in 2025?" over a memorandum that reviews the grievances of 2025 but never counts
them), so word coverage alone says "confident". A question that asks *how many*, *how much*,
*how long* (कितने, kitna, எத்தனை, எவ்வளவு, কত ...) is only answered by a sentence that
gives a quantity the question does not already give: a figure, or a number word. An answer
without one is less sure (`QUANTITY_PENALTY`), so a passage that has the figure wins, and when
none has, the answer abstains. Numbers that name rather than count (phone, PIN, room and
extension numbers) are no quantity.
"""

from __future__ import annotations

import re

from knowledge.text import normalize, words

#: The confidence of an answer to a quantity question that gives no new quantity is scaled by this.
QUANTITY_PENALTY = 0.4

_QUANTITY_EN = re.compile(
    r"\bhow\s+(?:many|much|long|often|old)\b|\bwhat\s+(?:percentage|percent|proportion)\b"
    r"|\bnumber\s+of\b"
    # "What is the monthly licence fee ...", "At what rate ...", "What interest does ...":
    # a measure named within three words of "what" (a verb's "rate" further away is not).
    r"|\bwhat\s+(?:is\s+|are\s+|was\s+|were\s+)?(?:the\s+)?(?:[\w-]+\s+){0,3}?"
    r"(?:rate|fee|fees|fare|amount|interest|price|cost|charges?|percentage|salary|ceiling)\b",
    re.IGNORECASE,
)
#: Question words, by whole word (Devanagari, romanized Hindi, Tamil, Bengali).
_QUANTITY_WORDS = frozenset(
    word
    for words_of_a_language in (
        "कितना कितनी कितने कितनों कितनो",
        "kitna kitni kitne kitnee kitana kitani kitane kitnaa",
        "எத்தனை எவ்வளவு எத்தனையாவது",
        "কত কতগুলি কতগুলো কতটা কতটুকু কতজন কতদিন কতক্ষণ কতো",
    )
    for word in words_of_a_language.split()
)
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
#: Number words that can carry a quantity without a figure.
_NUMBER_WORDS = frozenset(
    word
    for words_of_a_language in (
        "one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty "
        "forty fifty sixty seventy eighty ninety hundred thousand lakh lakhs crore crores "
        "million half twice double once dozen",
        "एक दो तीन चार पाँच पांच छह छः सात आठ नौ दस बारह पंद्रह बीस तीस चालीस पचास साठ सत्तर "
        "अस्सी नब्बे सौ हज़ार हजार लाख करोड़ आधा आधी दोगुना दुगुना",
        "ஒன்று ஒரு இரண்டு மூன்று நான்கு ஐந்து ஆறு ஏழு எட்டு ஒன்பது பத்து இருபது முப்பது நூறு "
        "ஆயிரம் லட்சம் கோடி பாதி",
        "এক দুই তিন চার পাঁচ ছয় সাত আট নয় দশ বিশ ত্রিশ পঞ্চাশ একশো শত হাজার লক্ষ লাখ কোটি অর্ধেক",
    )
    for word in words_of_a_language.split()
)


def asks_quantity(question: str) -> bool:
    """Whether the question asks how many, how much, how long or how often."""
    text = normalize(question)
    if _QUANTITY_EN.search(text):
        return True
    return any(word.casefold() in _QUANTITY_WORDS for word in words(text))


#: A paragraph number opening a line ("7.1 Files ...", "(3) The ...", "2. A ...") is no quantity.
_PARAGRAPH = re.compile(r"(?m)^\s*\(?\d+(?:\.\d+)*[.)]?\s+")


#: Numbers that name rather than count: phone numbers, PIN codes, room, extension and file
#: numbers ("Tel: 011-2306 3512", "New Delhi-110001", "Room No. 258-A", "Extension 2231").
_IDENTIFIER = re.compile(
    r"\b0\d{2,4}[-\s]\d{3,4}[-\s]?\d{3,4}\b"
    r"|[-–]\s?[1-9]\d{5}\b"
    r"|\b(?:room|extension|ext|tel|phone|fax|pin|f\.\s?no|no|कमरा|दूरभाष|फ़ैक्स|पिन)\.?\s*(?:no\.?|नं\.?|सं\.?)?"
    r"\s*[:.-]?\s*[\w/-]*\d[\w/-]*(?:\s\d{3,4}\b)?",
    re.IGNORECASE,
)


def _figures(text: str) -> set[str]:
    body = _IDENTIFIER.sub(" ", _PARAGRAPH.sub("", normalize(text)))
    return {re.sub(r"[.,]", "", m) for m in _DIGITS.findall(body)}


def gives_quantity(sentence: str, question: str) -> bool:
    """Whether `sentence` states a figure or number word that `question` does not."""
    if _figures(sentence) - _figures(question):
        return True
    asked = {w.casefold() for w in words(normalize(question))}
    return any(
        w.casefold() in _NUMBER_WORDS and w.casefold() not in asked
        for w in words(normalize(sentence))
    )


def answer_fit(question: str, answer: str) -> float:
    """A factor (at most 1) for how well `answer` can be the kind of answer `question` wants."""
    if asks_quantity(question) and not gives_quantity(answer, question):
        return QUANTITY_PENALTY
    return 1.0
