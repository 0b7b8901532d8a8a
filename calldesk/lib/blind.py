"""Blind indexes: finding sealed text by a word or the start of a word without storing either.

The design is CipherSweet's: the text is normalised (accents removed, case folded), cut into
words, and each word and each of its starts of 3 letters or more becomes a keyed hash (HMAC-SHA256
under a key derived from CALLDESK_HASH_KEY) cut to 64 bits. The database holds those numbers
beside the sealed value; a search turns what was typed into the same numbers and looks them up.
Each token also carries the organization and the field key, so the same word gives unrelated
numbers in another field or another helpline. What a dump still tells: docs/security.md.

Pure functions: no ORM, no HTTP.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections.abc import Iterable
from functools import cache

from calldesk.lib.crypto import keyring

# A start of a word is found from this many letters on; a shorter term must be a whole word.
MIN_PREFIX = 3
# Starts longer than this are not indexed: a longer term is looked up by its first PREFIX_MAX
# letters (every word that begins with them; a 21st letter that differs is the only false match).
PREFIX_MAX = 20
# A long note gives at most this many tokens per field, so one save stays a bounded write.
MAX_TOKENS = 4000
# Marks that join the parts of one name ("O'Brien", "Okonkwo-Larsson"): each part is a word,
# and so is the whole written without them ("obrien").
JOINERS = frozenset("'’‘`´-‐‑‒–")
# Letters NFKD does not split into a base letter and an accent.
FOLDED = str.maketrans({"ø": "o", "đ": "d", "ð": "d", "ł": "l", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe", "þ": "th"})


def normalised(text: str) -> str:
    """Lower case without accents: "José" and "JOSE" give "jose"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return plain.translate(FOLDED)


def words(text: str) -> list[str]:
    """The words of `text`, normalised, in order, each once; a name joined by an apostrophe or
    a hyphen gives its parts and the parts written together."""
    found: dict[str, None] = {}
    for chunk in normalised(text).split():
        parts: list[str] = []
        current: list[str] = []
        for char in chunk:
            if char.isalnum():
                current.append(char)
                continue
            if current:
                parts.append("".join(current))
                current = []
            if char not in JOINERS and parts:
                _add_compound(found, parts)
                parts = []
        if current:
            parts.append("".join(current))
        _add_compound(found, parts)
    return list(found)


def _add_compound(found: dict[str, None], parts: list[str]) -> None:
    for part in parts:
        found[part] = None
    if len(parts) > 1:
        found["".join(parts)] = None


def _terms(word: str) -> Iterable[str]:
    """What one stored word is found by: itself when short, else each start of 3+ letters."""
    if len(word) < MIN_PREFIX:
        yield "w:" + word
        return
    for end in range(MIN_PREFIX, min(len(word), PREFIX_MAX) + 1):
        yield "p:" + word[:end]


def query_term(word: str) -> str:
    """The term a typed (normalised) word looks up: a whole short word, or a start of 3+ letters."""
    return "w:" + word if len(word) < MIN_PREFIX else "p:" + word[:PREFIX_MAX]


@cache
def _index_key(hash_key: bytes) -> bytes:
    # Its own key, so a token can never equal another keyed hash made from the same key.
    return hmac.new(hash_key, b"calldesk blind index v1", hashlib.sha256).digest()


def token(scope: str, term: str) -> int:
    """A term as stored: 64 bits of HMAC-SHA256, as a signed integer (a BIGINT column)."""
    key = _index_key(keyring().hash_key)
    digest = hmac.new(key, f"{scope}\x00{term}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def scope(organization_id: int, field_key: str) -> str:
    return f"{organization_id}\x00{field_key}"


def text_tokens(scope_: str, text: str) -> set[int]:
    """Every token a stored text is found by (at most MAX_TOKENS)."""
    terms: dict[str, None] = {}
    for word in words(text):
        for term in _terms(word):
            terms[term] = None
        if len(terms) >= MAX_TOKENS:
            break
    return {token(scope_, term) for term in list(terms)[:MAX_TOKENS]}


def query_tokens(scope_: str, typed: str) -> list[int]:
    """The tokens a search needs, all of them (every word typed must match); [] for no word."""
    return list(dict.fromkeys(token(scope_, query_term(word)) for word in words(typed)))
