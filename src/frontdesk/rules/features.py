"""Cheap per-message features that sit beside the embedding in the classifiers."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

# Requests pair a verb of contact with a who; questions *about* people start like lookups.
CONTACT = re.compile(
    r"\b(talk|tlak|speak|speek|chat|connect|transfer|put (me )?(through|on)|call|ring|"
    r"reach|escalate|hand|pass|route|forward|get|give|have|contact|message|ping|text)\b"
)
WHO = re.compile(
    r"\b(human|hmuan|person|persn|people|someone|somebody|anyone|anybody|agent|rep|"
    r"representative|staff|team|operator|manager|supervisor|employee|advisor|specialist|"
    r"sales|salesperson|consultant|receptionist|nurse|doctor|boss|owner|member)s?\b"
)
ASKING = re.compile(
    r"\b(can i|could i|may i|i want|i wanna|i'?d like|i need|let me|lemme|please|pls|plz|"
    r"connect me|put me|get me|transfer me|i'?d prefer|i'?d rather|i wish)\b"
)
LOOKUP = re.compile(r"^(do|does|did|who|what|which|how|is|are|was|where|when|will|why)\b")
# Praise wrapped around a failure reads as sarcasm ("great, another broken part").
SARCASM = re.compile(
    r"^(oh )?(great|perfect|wonderful|fantastic|brilliant|nice( job)?|cool|sure|wow|lovely)\b"
    r"|thanks (a lot|for nothing)|of course\.|just (great|perfect)"
)
TROUBLE = re.compile(
    r"\b(broke|broken|dead|crash\w*|lost|lose|wrong|late|cancell?ed|charged|waiting|waited|"
    r"nobody|no one|never|zero|nothing|again|still|not|doesn'?t|didn'?t|won'?t|can'?t|isn'?t)\b"
)
ACCUSING = re.compile(r"\b(you|your|you'?re|you people|you guys)\b")
RHETORICAL = re.compile(
    r"\b(what kind of|how (do|can|could) you|why (do|does|would|is|are) (you|every)|who runs)\b"
)
ANGRY_EMOJI = re.compile("[\U0001f620\U0001f621\U0001f624\U0001f92c\U0001f612\U0001f644]")
ELONGATED = re.compile(r"([a-z])\1{2,}")
REPEATED = re.compile(
    r"\b(again|still|already|keeps?|kept|every (single )?time|over and over|"
    r"(\d+|two|three|four|five|six|several|many) times|for the last time|\d+(rd|th|nd) time)\b"
)

# Shapes that separate asking for a person from talking *about* something or someone.
VERB = r"(talk|tlak|tlk|speak|speek|chat|discuss|call|ring|phone|text|message|email|contact|reach)"
TALK_ABOUT = re.compile(
    r"\b(talk|chat|speak)\w*( it)? (about|over|through|numbers|me through|price)\b"
)
TALK_PERSONAL = re.compile(
    r"\b(talk|speak|chat|check|discuss|consult|ask)\w*( it| this)?( over| with| to)? (my|our) "
    r"(wife|husband|partner|spouse|family|mom|mum|dad|parents|kids?|son|daughter|friend|boss|"
    r"accountant|lawyer|bank|landlord|roommate|business partner)\b"
)
NEGATED = re.compile(
    r"\b(without|not to|rather not|don'?t (want|need|like) to|do i (have|need) to|hate|never)\b"
    r".{0,25}\b(talk|speak|call|chat|phone)"
)
AVAILABLE = re.compile(
    r"\b(available|around|free|online|on duty|there)\b.{0,15}\b(to|for)( a)? "
    r"(talk|chat|speak|call|word|minute)"
)
HUMAN_DOES = re.compile(
    r"\b(can|could|would|will) (a|an|one of your|someone|somebody|anyone) ?(real |actual |live )?"
    r"(human|person|people|agent|rep|staff|team member|employee)\w* (please )?"
    r"(help|explain|handle|approve|look|review|take|call|contact|chat|talk|speak|go through|walk)"
)
ABOUT_BOT = re.compile(
    r"\b(are you|is this|am i (talking|chatting|speaking) (to|with)|is it)( a| an)?"
    r"( real| actual)? (bot|human|person|real|ai|automated|robot|machine|software)\b"
)
WANT_WHO = re.compile(
    r"\b(want|need|get|give|prefer|rather|like) (me )?(a |an |to )?(real |actual |live )?"
    r"(human|person|agent|rep|representative|someone|somebody|staff|operator)\b"
)
VERB_TO_WHO = re.compile(
    VERB + r"\w* (to|with|w/?|2) (a |an |the |your |one of your |some |sum1|someone|somebody)"
)

# Frustration: words of anger and politeness, sarcasm cues, rhetorical complaints.
ANGER = re.compile(
    r"\b(furious|livid|fuming|outraged|outrageous|angry|mad at|pissed|annoy\w*|irritat\w*|"
    r"frustrat\w*|fed up|sick of|sick and tired|tired of|had enough|unacceptable|ridiculous|absurd|"
    r"disgrace\w*|disgust\w*|appall\w*|pathetic|useless|hopeless|pointless|joke|scam\w*|rip ?off|"
    r"garbage|trash|junk|worst|terrible|horrible|horrendous|awful|incompetent|clueless|rude|"
    r"shameful|ashamed|nightmare|shambles|mess|circus|lied|liars?|excuses?|waste|wasting|wasted|"
    r"ignor\w*|unbelievable|seriously|sucks?|crap|damn|hell|wtf|ffs|smh|omfg|jfc|"
    r"u+g+h+|a+r+g+h+|gr+|sigh|enough|done with|over it|give up|lose it|losing it|anger|"
    r"for (god'?s|pete'?s|heaven'?s) sake|for the love of (god|pete))\b"
)
POLITE = re.compile(
    r"\b(please|pls|plz|thanks?|thank you|thx|sorry|apolog\w+|no rush|no worries|no problem|"
    r"no stress|whenever|when you (get|have) a (chance|moment|sec)|appreciate\w*|"
    r"just (checking|following|wondering|a reminder)|any (update|news)|quick question|could you|"
    r"would you|kindly|if possible|i know you'?re busy|hope you|have a (good|great|nice))\b"
)
# Questions about the product's own anger handling are not anger.
META = re.compile(
    r"\b(detect\w*|sentiment|filter\w*|rules?|policy|classes|course|training|handl\w*|"
    r"dealing with|flag\w*)\b.*\b(angry|anger|frustrat\w*|upset|rude|abusive|complain\w*|negative)"
    r"|\b(angry|anger|frustrat\w*|upset|rude|abusive|negative)\b.*"
    r"\b(detect\w*|sentiment|filter\w*|rules?)\b"
)
SCARE_QUOTES = re.compile('["\u201c][^"\u201d]{1,40}["\u201d]')
PRAISE = re.compile(
    r"\b(great|perfect|wonderful|fantastic|brilliant|lovely|awesome|nice|cool|love|loving|thanks|"
    r"thank you|good job|well done|way to go|real helpful|super helpful|amazing)\b"
)
RHETORICAL_MORE = re.compile(
    r"\b(how hard (is|can) it|is it (really |that |so )*hard|(is it |is that )?too much to "
    r"(ask|expect)|what am i paying|how many (more )?times|"
    r"(do|did|does|are|can) (you|your \w+|they|anyone|anybody)( people| guys| there)? "
    r"(even|ever|actually)|do i (have|need) to (come|drive|call|camp|beg|sue)|"
    r"can you not|what('?s| is) the point|"
    r"how is (this|that|it) (my fault|acceptable|ok|okay|possible)|who (trained|hired|runs)|"
    r"how are you (still )?in business|what is (wrong|going on)|what part of|"
    r"why (is|does|do|can'?t|won'?t|isn'?t|doesn'?t|would) (it|this|nobody|no one|anyone|you|"
    r"your|every))\b"
)
DURATION = re.compile(
    r"\b((\d+|two|three|four|five|six|several|many) (days|weeks|months|hours)|"
    r"since (monday|tuesday|wednesday|thursday|friday|\d)|forever|ages)\b"
)
NEGATED_ANGER = re.compile(
    r"\b(not|no|never|without|isn'?t|wasn'?t|i'?m not|am not)( at all| even| really| that| too)? "
    r"(upset|angry|mad|annoyed|frustrated|complain\w*|big deal|problem|worries|stress|rush)"
)
SLANG_PRAISE = re.compile(r"\b(sick|fire|dope|insane|crazy|killer|wicked|nasty|unreal|beast|lit)\b")
# Thanks or praise for something that went wrong ("gee, thanks. real helpful").
MOCK_THANKS = re.compile(
    r"^(gee|yay|oh (good|sure|joy))\b|\bthanks? (for nothing|for the "
    r"(super|very|really|oh so) \w+)|\b(real|really|super|very) "
    r"(helpful|useful|professional|personal)\b[.!]|\bhow (convenient|helpful|nice)\b|"
    r"\bwhat a (surprise|treat|joke)\b|\b(as|like) (always|usual)\b|\bof course (the|it|they|you)\b"
)
# A praise word opening a report, the usual shape of sarcasm ("super, the pool is closed").
PRAISE_OPENER = re.compile(
    r"^(oh |well |yeah |wow,? )?(great|perfect|wonderful|fantastic|brilliant|lovely|super|"
    r"outstanding|terrific|stellar|excellent|awesome|amazing|nice|cool|sure|yay|thanks|"
    r"thank you)( job| work| one)?( guys| so much| a lot)?[,.!:]+\s*(?P<rest>.*)$"
)
SIGN_OFF = re.compile(r"(i|i'?ll|i will|we|we'?ll|we will|let'?s|see you|talk|that works|sounds)\b")
# Questions that complain rather than ask ("so I'm supposed to guess?").
SUPPOSED_TO = re.compile(
    r"\b(so|am) i('?m)? (just )?(supposed|meant|expected) to\b|\bso what,? (am )?i\b|"
    r"\bwhat (do|am) i (have|supposed|meant) to\b"
)
ANYONE_THERE = re.compile(
    r"\b(is|does|do|can|will) (anyone|anybody|someone|any of you|one of you)( (there|over there|"
    r"at (your|this|that) \w+))? (even |actually |ever |really )?(know|read|care|do|answer|"
    r"listen|work|give|bother|check)\b"
)
KIDDING = re.compile(
    r"\b(are|r) (you|u) (kidding|serious|joking|for real)\b|\byou('?re| are| must be) "
    r"(kidding|joking)\b|\bcome on\b|\bno way\b.*\?"
)
# A closure, cancellation or failure happening "again" (shouted or not).
AGAIN_FAILED = re.compile(
    r"\b(closed|shut|cancell?ed|down|out|broken|late|delayed|missed|lost|failed|crashed|"
    r"wrong)\b.{0,30}\bagain\b|\bagain\b.{0,15}\b(closed|shut|cancell?ed|down|broken|late)\b"
)
MONEY = re.compile(r"[$\u00a3\u20ac]\s?\d|\b\d[\d,.]* ?(dollars|bucks|usd|eur|gbp|quid)\b")
OUTRAGE = re.compile(
    r"\b(robbery|rip(ped)?[- ]?off|greed\w*|insane|crazy|joking|kidding|absurd|ridiculous|"
    r"outrageous|shameless|scam\w*|no way|are you|seriously|daylight)\b"
)
DISSATISFIED = re.compile(
    r"\b(disappoint\w*|dissatisfied|unhappy|not (happy|ok|okay|acceptable|good enough)|"
    r"unacceptable|upset|let down|lost (all )?(confidence|faith|trust)|end of my (rope|tether)|"
    r"(lost|losing|run out of|reached the end of) (my )?patience|worn (me )?down|"
    r"not the (level|standard|quality|service)|deeply|frankly|honestly|formally complain|"
    r"complaint|appalled|shocking|cheated|treated)\b"
)
EXCITED = re.compile(
    r"\b(excited|can'?t wait|yay|woo+hoo+|yes+|finally|congrat\w*|engaged|pregnant|passed|"
    r"got (the|my|approved|in)|so happy|thrilled|best \w+ (ever|of my life)|love (it|this|you)|"
    r"thank you|thanks|amazing|awesome|incredible|perfect|rock)\b"
)
CORRECTION = re.compile(
    r"^(sorry|oops|whoops|actually|wait|correction|scratch that|my (bad|mistake)|no,? (wait|sorry|"
    r"no))\b|\b(i meant|meant to (say|write)|typo|to clarify|should (be|read) |instead of|"
    r"not the \w+( one)?,? (the|it'?s))\b"
)
# Annoyance at someone or something else: the weather, a former provider, oneself.
ELSEWHERE = re.compile(
    r"\bmy (old|previous|last|former|ex)[- ]?\w*|\b(other|another) (shop|store|company|dealer|"
    r"garage|bank|provider|insurer|gym|dentist|clinic|hotel|place)s?\b|\bthe (weather|traffic|"
    r"rain|snow|storm|heat|wind|airline|airport|city)\b|\b(myself|stupid me|silly me|my (bad|"
    r"fault)|i'?m (an idiot|so dumb|hopeless|terrible at))\b"
)
LAUGH = re.compile(
    "\\b(lol|lmao|haha\\w*|hehe\\w*|jk)\\b|[\U0001f602\U0001f605\U0001f643\U0001f923]"
)
CAPS_WORD = re.compile(r"\b[A-Z]{2,}\b")
ACRONYMS = frozenset({"OK", "ID", "US", "AC", "TV", "ATV", "USA", "FAQ", "PDF", "VIN", "APR", "ER"})

REQUEST_FEATURES = (
    "contact",
    "who",
    "asking",
    "lookup",
    "contact_and_who",
    "short",
    "talk_about",
    "talk_personal",
    "negated",
    "available",
    "human_does",
    "about_bot",
    "want_who",
    "verb_to_who",
    "log_words",
    "question",
    "sentences",
)
FRUSTRATION_FEATURES = (
    "compound",
    "neg",
    "pos",
    "exclaims",
    "repeated_punct",
    "caps",
    "elongated",
    "angry_emoji",
    "repeated",
    "caps_not_positive",
    "exclaims_not_positive",
    "sarcasm",
    "trouble",
    "accusing_negative",
    "rhetorical",
    "anger_words",
    "polite_words",
    "meta",
    "scare_quotes",
    "praise_and_trouble",
    "rhetorical_more",
    "duration",
    "slang_praise",
    "caps_words",
    "log_words",
    "question",
    "short_no_signal",
    "pure_positive",
    "negated_anger",
    "mock_thanks",
    "supposed_to",
    "anyone_there",
    "kidding",
    "again_failed",
    "money",
    "money_outrage",
    "dissatisfied",
    "polite_dissatisfied",
    "caps_excited",
    "correction",
    "elsewhere",
    "laugh_no_anger",
    "praise_opens_report",
    "excited_no_trouble",
)


def _lower(text: str) -> str:
    return text.lower().strip().replace("\u2019", "'")


def request_features(texts: Sequence[str]) -> np.ndarray:
    rows = []
    for text in texts:
        low = _lower(text)
        contact = bool(CONTACT.search(low))
        who = bool(WHO.search(low))
        words = len(low.split())
        rows.append(
            [
                contact,
                who,
                bool(ASKING.search(low)),
                bool(LOOKUP.search(low)),
                contact and who,
                words <= 3,
                bool(TALK_ABOUT.search(low)),
                bool(TALK_PERSONAL.search(low)),
                bool(NEGATED.search(low)),
                bool(AVAILABLE.search(low)),
                bool(HUMAN_DOES.search(low)),
                bool(ABOUT_BOT.search(low)),
                bool(WANT_WHO.search(low)),
                bool(VERB_TO_WHO.search(low)),
                np.log1p(words),
                "?" in text,
                len(re.findall(r"[.?!]\s+\S", text)) >= 1,
            ]
        )
    return np.asarray(rows, dtype=np.float32)


@lru_cache(maxsize=1)
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def sentiment(text: str) -> dict[str, float]:
    """VADER's polarity scores (compound in [-1, 1], neg/neu/pos proportions)."""
    return dict(_vader().polarity_scores(text))


def _praise_opens_report(low: str) -> bool:
    """Praise, then a statement of some length with nothing positive in it and no question."""
    match = PRAISE_OPENER.match(low)
    if not match or "?" in low:
        return False
    rest = match.group("rest")
    if SIGN_OFF.match(rest):
        return False
    return len(rest.split()) >= 4 and sentiment(rest)["pos"] == 0


def frustration_features(texts: Sequence[str]) -> np.ndarray:
    rows = []
    for text in texts:
        polarity = sentiment(text)
        low = _lower(text)
        letters = [c for c in text if c.isalpha()]
        caps = sum(c.isupper() for c in letters) / len(letters) if len(letters) >= 4 else 0.0
        exclaims = min(text.count("!"), 3)
        not_positive = polarity["pos"] == 0
        anger = min(len(ANGER.findall(low)), 3)
        trouble = min(len(TROUBLE.findall(low)), 3)
        caps_words = [w for w in CAPS_WORD.findall(text) if w not in ACRONYMS]
        words = len(low.split())
        money = bool(MONEY.search(low))
        dissatisfied = min(len(DISSATISFIED.findall(low)), 2)
        polite = min(len(POLITE.findall(low)), 3)
        rows.append(
            [
                polarity["compound"],
                polarity["neg"],
                polarity["pos"],
                exclaims,
                bool(re.search(r"[!?]{2,}", text)),
                caps,
                bool(ELONGATED.search(low)),
                bool(ANGRY_EMOJI.search(text)),
                bool(REPEATED.search(low)),
                caps * not_positive,
                exclaims * not_positive,
                bool(SARCASM.search(low)) and trouble > 0,
                trouble,
                bool(ACCUSING.search(low)) * polarity["neg"],
                bool(RHETORICAL.search(low)),
                anger,
                polite,
                bool(META.search(low)),
                bool(SCARE_QUOTES.search(text)),
                bool(PRAISE.search(low)) and (trouble > 0 or anger > 0 or polarity["neg"] > 0.2),
                bool(RHETORICAL_MORE.search(low)),
                bool(DURATION.search(low)),
                bool(SLANG_PRAISE.search(low)),
                min(len(caps_words), 4),
                np.log1p(words),
                "?" in text,
                words <= 3 and not (anger or trouble or exclaims) and caps < 0.5,
                polarity["pos"] >= 0.3 and polarity["neg"] == 0 and not (anger or trouble),
                bool(NEGATED_ANGER.search(low)),
                bool(MOCK_THANKS.search(low)),
                bool(SUPPOSED_TO.search(low)),
                bool(ANYONE_THERE.search(low)),
                bool(KIDDING.search(low)),
                bool(AGAIN_FAILED.search(low)),
                money,
                money and (bool(OUTRAGE.search(low)) or "??" in text or "?!" in text or anger > 0),
                dissatisfied,
                dissatisfied * min(polite, 1),
                caps * (bool(EXCITED.search(low)) and not anger and not trouble),
                bool(CORRECTION.search(low)),
                bool(ELSEWHERE.search(low)),
                bool(LAUGH.search(low)) and not anger,
                _praise_opens_report(low),
                bool(EXCITED.search(low)) and not (anger or trouble or dissatisfied),
            ]
        )
    return np.asarray(rows, dtype=np.float32)
