"""How a Vietnamese syllable is spelt: onset, vowel nucleus, coda and tone placement.

``split_syllable`` cuts a toneless lower-case syllable into its parts,
``is_syllable`` checks it against the spelling rules (which codas each nucleus
takes, stops only with the sắc or nặng tone, the c/k, g/gh, ng/ngh rules before
front vowels, qu and gi, the glide o), and ``place_tone`` puts the tone mark on
the main vowel, new style ("hoà", "thuỷ"). Apart from the Telex/VNI key reader
(components/telex.py, which re-exports these names) because it is knowledge of
Vietnamese spelling, not of any input method.
"""

from __future__ import annotations

import unicodedata

# Tone marks, combined with a (possibly hatted/horned) vowel and composed by NFC.
ACUTE, GRAVE, HOOK, TILDE, DOT = "\u0301", "\u0300", "\u0309", "\u0303", "\u0323"

_VOWELS = set("aăâeêioôơuưy")
_ONSETS = sorted(
    "b c ch d đ g gh gi h k kh l m n ng ngh nh p ph qu r s t th tr v x".split(),
    key=len,
    reverse=True,
)
_NO_GLIDE_O = ("b", "c", "m", "p", "ph", "v")
_GLIDE_O = ("oa", "oă", "oe")
_STOPS = {"c", "ch", "p", "t"}
_ALL = {"", "c", "ch", "m", "n", "ng", "nh", "p", "t"}
_OPEN = {""}
# Vowel nucleus -> codas it can take ("" = none). Nuclei ending in a glide take none.
_NUCLEI = {
    "a": _ALL,
    "ă": {"c", "m", "n", "ng", "p", "t"},
    "â": {"c", "m", "n", "ng", "p", "t"},
    "e": {"", "c", "m", "n", "ng", "p", "t"},
    "ê": {"", "ch", "m", "n", "nh", "p", "t"},
    "i": {"", "ch", "m", "n", "nh", "p", "t"},
    "o": {"", "c", "m", "n", "ng", "p", "t"},
    "ô": {"", "c", "m", "n", "ng", "p", "t"},
    "ơ": {"", "m", "n", "p", "t"},
    "u": {"", "c", "m", "n", "ng", "p", "t"},
    "ư": {"", "c", "m", "n", "ng", "t"},
    "y": _OPEN,
    "iê": {"c", "m", "n", "ng", "p", "t"},
    "yê": {"m", "n", "ng", "t"},
    "uô": {"c", "m", "n", "ng", "t"},
    "ươ": {"c", "m", "n", "ng", "p", "t"},
    "oo": {"c", "ng"},
    "uâ": {"n", "ng", "t"},
    "oă": {"c", "m", "n", "ng", "t"},
    "uyê": {"n", "t"},
    "oa": _ALL,
    "oe": {"", "n", "t"},
    "uê": {"", "ch", "nh"},
    "uy": {"", "ch", "n", "nh", "p", "t"},
    **dict.fromkeys(
        "ai ao au ay âu ây eo êu ia iu oi ôi ơi ui ưi ưu ua ưa uơ "
        "oai oao oay oeo uây uôi uya uyu ươi ươu iêu yêu".split(),
        _OPEN,
    ),
}
_FRONT = ("i", "e", "ê", "y")  # k, gh, ngh go before these; c, g, ng before the others
_CODAS = _ALL - {""}


def split_syllable(syllable: str) -> tuple[str, str, str] | None:
    """Onset, vowel nucleus and coda of a toneless lower-case syllable, or None."""
    onset = ""
    for candidate in _ONSETS:
        rest = syllable[len(candidate) :]
        if syllable.startswith(candidate) and (
            candidate not in ("gi", "qu") or (rest[:1] in _VOWELS)
        ):
            onset = candidate
            break
    if not onset and syllable[:1] not in _VOWELS:
        return None
    i = len(onset)
    j = i
    while j < len(syllable) and syllable[j] in _VOWELS:
        j += 1
    nucleus, coda = syllable[i:j], syllable[j:]
    if not nucleus or (coda and coda not in _CODAS):
        return None
    return onset, nucleus, coda


def is_syllable(syllable: str, tone: str = "") -> bool:
    """Whether a toneless syllable with this tone mark is spelt like Vietnamese."""
    parts = split_syllable(syllable)
    if parts is None:
        return False
    onset, nucleus, coda = parts
    codas = _NUCLEI.get(nucleus)
    if onset == "qu" and nucleus == "y":
        codas = {"", "ch", "nh", "t"}  # quy, quých, quỳnh, quýt
    if codas is None or coda not in codas:
        return False
    if coda in _STOPS and tone not in (ACUTE, DOT):
        return False
    front = nucleus.startswith(_FRONT)
    if onset in ("k", "gh", "ngh") and not front:
        return False
    if onset in ("c", "ng") and front:
        return False
    if onset == "g" and front and nucleus != "i":  # gì, gìn; otherwise gh
        return False
    if onset == "qu" and nucleus[0] in "ouư":
        return False
    if onset == "gi" and nucleus[0] in "iy":
        return False
    if onset in _NO_GLIDE_O and nucleus[:2] in _GLIDE_O:  # "qua" not "coa"; no "boa"
        return False
    if nucleus == "ưi" and not onset:
        return False
    if nucleus.startswith("iê") and onset in ("", "qu"):
        return False
    if nucleus.startswith("yê") and onset not in ("", "qu"):
        return False
    return True


def place_tone(syllable: str, tone: str) -> str:
    """The syllable with the tone mark on its main vowel (new style: hoà, thuỷ)."""
    if not tone:
        return syllable
    onset, nucleus, coda = split_syllable(syllable) or ("", syllable, "")
    marked = [i for i, ch in enumerate(nucleus) if ch in "ăâêôơư"]
    if len(nucleus) == 1:
        at = 0
    elif marked:
        at = marked[-1]
    elif coda or nucleus in ("oa", "oe", "uy"):
        at = len(nucleus) - 1 if coda else 1
    elif len(nucleus) == 3:
        at = 1  # oai, oay, oao, uya, uyu, oeo
    else:
        at = 0  # ai, ao, au, ay, eo, ia, iu, oi, ui, ua
    vowel = unicodedata.normalize("NFC", nucleus[at] + tone)
    return onset + nucleus[:at] + vowel + nucleus[at + 1 :] + coda
