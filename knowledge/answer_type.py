"""What kind of answer a question wants, and whether a sentence can be one.

Near-miss questions share almost every word with some passage ("How many grievances were
received in 2025?" over a memorandum that reviews the grievances of 2025 but never counts
them), so word coverage alone says "confident". A question that asks *how many*, *how much*,
*how long* (कितने, kitna, எத்தனை, எவ்வளவு, কত ...) is only answered by a sentence that
gives a quantity the question does not already give: a figure, or a number word. An answer
without one is less sure (`QUANTITY_PENALTY`), so a passage that has the figure wins, and when
none has, the answer abstains.
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


#: "When ...?", "By what date ...?", "Till when ...?", "What is the last date ...?".
_TIME_EN = re.compile(
    r"^\W*(?:(?:by|till|until|from|since|and|so|but|then)\s+)?when\b"
    r"|\b(?:by|till|until|before|from|since|on|at)\s+(?:what|which)\s+(?:date|time|day|month)\b"
    r"|\b(?:what|which)\s+(?:is\s+the\s+)?(?:date|day|deadline)\b"
    r"|\b(?:last|closing|due)\s+date\b|\bdeadline\b|\btill\s+when\b|\bhow\s+soon\b",
    re.IGNORECASE,
)
#: Question words asking when, by whole word (Devanagari, romanized Hindi, Tamil, Bengali).
_TIME_WORDS = frozenset(["कब", "kab", "kabtak", "எப்போது", "எப்பொழுது", "எப்போ", "কবে", "কখন"])
_TIME_PHRASES = re.compile(
    r"किस\s+(?:तारीख|तिथि|दिन|समय)|अंतिम\s+(?:तारीख|तिथि)|आखिरी\s+(?:तारीख|तिथि)"
    r"|\bkis\s+(?:tarikh|tareekh|tareek|din|samay|time|date)\b|\blast\s+date\b"
    r"|எந்த\s+(?:தேதி|நாள்|மாத)|கடைசி\s+தேதி|কোন\s+(?:তারিখ|দিন|সময়)|শেষ\s+তারিখ|কত\s+তারিখ",
    re.IGNORECASE,
)
#: Words that make a sentence say when: months, weekdays, units of time and words of frequency.
_TIME_ANSWER_WORDS = frozenset(
    word.casefold()
    for words_of_a_language in (
        "january february march april may june july august september october november december "
        "jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday "
        "friday saturday sunday day days week weeks month months year years hour hours minute "
        "minutes fortnight am pm noon midnight immediately daily weekly monthly annually "
        "yearly quarterly every each today tomorrow",
        "जनवरी फरवरी फ़रवरी मार्च अप्रैल मई जून जुलाई अगस्त सितंबर सितम्बर अक्टूबर नवंबर नवम्बर "
        "दिसंबर दिसम्बर सोमवार मंगलवार बुधवार गुरुवार शुक्रवार शनिवार रविवार दिन दिनों सप्ताह हफ्ते "
        "हफ़्ते महीने महीना माह वर्ष साल घंटे घंटा मिनट तुरंत प्रतिदिन प्रति हर तिमाही बजे",
        "ஜனவரி பிப்ரவரி மார்ச் ஏப்ரல் மே ஜூன் ஜூலை ஆகஸ்ட் செப்டம்பர் அக்டோபர் நவம்பர் டிசம்பர் "
        "நாள் நாட்கள் நாட்களுக்குள் வாரம் மாதம் ஆண்டு மணி உடனடியாக",
        "জানুয়ারি ফেব্রুয়ারি মার্চ এপ্রিল মে জুন জুলাই আগস্ট সেপ্টেম্বর অক্টোবর নভেম্বর ডিসেম্বর "
        "দিন দিনের সপ্তাহ মাস বছর ঘণ্টা মিনিট অবিলম্বে",
    )
    for word in words_of_a_language.split()
)


def asks_time(question: str) -> bool:
    """Whether the question asks when, by when or till when."""
    text = normalize(question)
    if _TIME_EN.search(text) or _TIME_PHRASES.search(text):
        return True
    return any(word.casefold() in _TIME_WORDS for word in words(text))


def gives_time(sentence: str, question: str) -> bool:
    """Whether `sentence` says when: a new figure or number word, a month, a weekday, a unit of
    time or a word of frequency."""
    if gives_quantity(sentence, question):
        return True
    return any(w.casefold() in _TIME_ANSWER_WORDS for w in words(normalize(sentence)))


def answer_fit(question: str, answer: str) -> float:
    """A factor (at most 1) for how well `answer` can be the kind of answer `question` wants:
    a quantity question needs a quantity, a question asking when needs a time."""
    if asks_quantity(question) and not gives_quantity(answer, question):
        return QUANTITY_PENALTY
    if asks_time(question) and not gives_time(answer, question):
        return QUANTITY_PENALTY
    return 1.0
