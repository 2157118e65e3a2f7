"""Words the built-in engine knows: tokenizing, light lemmatizing and the phrase vocabulary.

Everything here is about English, never about a particular table: schema words come from the
user's own column names at question time (see schema).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import lemminflect

# --------------------------------------------------------------------------- tokens
_QUOTED = re.compile(
    r"""``\s*(?P<b>.+?)\s*''"""  # LaTeX-style quotes
    r"""|"(?P<d>[^"]+)\""""
    r"""|“(?P<c>[^”]+)”"""
    r"""|‘(?P<s>[^’]+)’"""
    r"""|(?<![\w])'(?P<q>[^']+)'(?![\w])"""
    r"""|`(?P<t>[^`]+)`"""
)
_TOKEN = re.compile(
    r"(?P<num>[-+]?\$?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:%|(?:st|nd|rd|th)\b)?)"
    r"|(?P<word>[A-Za-z\u00c0-\u024f]+(?:[-'’][A-Za-z\u00c0-\u024f]+)*)"
    r"|(?P<punct>[^\sA-Za-z\d])"
)

NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50, "hundred": 100, "thousand": 1000, "single": 1,
    "once": 1, "twice": 2, "dozen": 12,
}  # fmt: skip
ORDINAL_WORDS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10,
}  # fmt: skip


@dataclass
class Token:
    text: str  # as written
    low: str  # lower case; for quoted tokens the inner text
    kind: str  # word | number | quoted | punct
    index: int = 0
    start: int = 0  # character offsets in the question
    end: int = 0
    number: float | None = None
    forms: frozenset[str] = field(default_factory=frozenset)


def tokenize(question: str) -> list[Token]:
    """Split a question into words, numbers, quoted strings and punctuation."""
    tokens: list[Token] = []
    position = 0
    for quoted in _QUOTED.finditer(question):
        tokens.extend(_plain_tokens(question[position : quoted.start()], position))
        inner = next(group for group in quoted.groups() if group is not None)
        tokens.append(Token(text=inner, low=inner.lower(), kind="quoted", start=quoted.start(), end=quoted.end()))
        position = quoted.end()
    tokens.extend(_plain_tokens(question[position:], position))
    for index, token in enumerate(tokens):
        token.index = index
    return tokens


def _plain_tokens(text: str, offset: int) -> list[Token]:
    out: list[Token] = []
    for match in _TOKEN.finditer(text):
        first = len(out)
        if match.group("num"):
            raw = match.group("num")
            cleaned = re.sub(r"(st|nd|rd|th)$", "", raw.replace(",", "").replace("$", "").rstrip("%"))
            try:
                value = float(cleaned)
            except ValueError:
                continue
            forms = frozenset({raw.lower(), str(int(value))}) if value.is_integer() else frozenset({raw.lower()})
            out.append(Token(text=raw, low=raw.lower(), kind="number", number=value, forms=forms))
        elif match.group("word"):
            word = match.group("word").replace("’", "'")
            if word.lower().startswith("non-") and len(word) > 4:
                out.append(_word_token("non"))  # "non-smokers": a negation before the word
                word = word[4:]
            if word.lower().endswith("'s"):
                word = word[:-2]
            elif word.lower().endswith("n't"):
                out.append(_word_token(word[:-3]))
                word = "not"
            head, dash, rest = word.partition("-")
            if dash and _is_superlative(head.lower()):
                out.append(_word_token(head))  # "the highest-calorie cereal": highest calorie
                word = rest
            out.append(_word_token(word))
        elif _joins_number_and_word(text, match, out, offset):
            continue  # "8-cylinder cars" are 8 cylinder cars
        else:
            out.append(Token(text=match.group("punct"), low=match.group("punct"), kind="punct"))
        for token in out[first:]:
            token.start, token.end = offset + match.start(), offset + match.end()
        if len(out) - first == 2 and match.group("word") and "-" in match.group("word"):
            # "non-European", "highest-calorie": the second word starts after the dash
            out[first].end = out[first].start + len(out[first].text)
            out[first + 1].start = out[first].end + 1
        _scale_number(out)
        _percent_number(out)
    return out


def _is_superlative(word: str) -> bool:
    """`highest`, `most`, `best`: the first half of "highest-calorie", "best-selling"."""
    if word in ("most", "least", "best", "worst"):
        return True
    adjectives = lemminflect.getAllLemmas(word).get("ADJ", ())
    return word.endswith("est") and bool(adjectives) and word not in adjectives


def _joins_number_and_word(text: str, match: re.Match[str], out: list[Token], offset: int) -> bool:
    """A hyphen right between a number and a word: `8-cylinder`, `5-star`."""
    return (
        match.group("punct") == "-"
        and bool(out)
        and out[-1].kind == "number"
        and out[-1].end == offset + match.start()
        and match.end() < len(text)
        and text[match.end()].isalpha()
    )


_SCALES = {"k": 1e3, "thousand": 1e3, "thousands": 1e3, "million": 1e6, "millions": 1e6, "mn": 1e6, "billion": 1e9,
           "billions": 1e9, "bn": 1e9, "trillion": 1e12}


def _scale_number(tokens: list[Token]) -> None:
    """`100 million` is one number, 100,000,000 (`$30k` is 30,000)."""
    if len(tokens) < 2 or tokens[-1].low not in _SCALES or tokens[-2].kind != "number":
        return
    amount = tokens[-2].number
    if amount is None:
        return
    scale, number = tokens.pop(), tokens[-1]
    value = amount * _SCALES[scale.low]
    number.text, number.low, number.end = f"{number.text} {scale.text}", f"{number.low} {scale.low}", scale.end
    number.number = value
    number.forms = frozenset({number.low, str(int(value))}) if value.is_integer() else frozenset({number.low})


_PERCENT_WORDS = ("percent", "pct", "cent")  # "cent" only after "per"
PERCENT_SUFFIXES = ("%", " percent", " pct", " per cent")


def said_as_percent(text: str) -> bool:
    """`20%`, `20 percent`, `20 per cent`: a number said as a percentage."""
    return text.lower().endswith(PERCENT_SUFFIXES)


def _percent_number(tokens: list[Token]) -> None:
    """`70 percent` is one number said as a percentage, like `70%`: the word is the number's
    unit, not a question about a share of the rows."""
    if len(tokens) < 2 or tokens[-1].low not in _PERCENT_WORDS:
        return
    per = tokens[-1].low == "cent"
    if per and (len(tokens) < 3 or tokens[-2].low != "per"):
        return
    number = tokens[-3] if per else tokens[-2]
    if number.kind != "number" or said_as_percent(number.text):
        return
    said = tokens[-2:] if per else tokens[-1:]
    del tokens[-len(said):]
    words = " ".join(token.text for token in said)
    number.text, number.low, number.end = f"{number.text} {words}", f"{number.low} {words.lower()}", said[-1].end
    number.forms = number.forms | {number.low}


def _word_token(word: str) -> Token:
    low = word.lower()
    if low in NUMBER_WORDS:
        value = NUMBER_WORDS[low]
        return Token(text=word, low=low, kind="number", number=float(value), forms=frozenset({low, str(value)}))
    return Token(text=word, low=low, kind="word", forms=word_forms(low))


# --------------------------------------------------------------------------- word forms
_SUFFIXES = ("ings", "ing", "ied", "ies", "ed", "es", "s", "ly", "er", "ers", "or", "ors", "ion", "ions", "ity")


@lru_cache(maxsize=20000)
def word_forms(word: str) -> frozenset[str]:
    """The word, its lemmas (noun, verb, adjective) and a crude stem: what must meet to match."""
    word = word.lower()
    forms = {word}
    if not word.isalpha():
        return frozenset(forms)
    lemmas = lemminflect.getAllLemmas(word)
    for values in lemmas.values():
        forms.update(values)
    if not lemmas and len(word) > 3:
        forms.update(lemminflect.getAllLemmasOOV(word, "NOUN").get("NOUN", ()))
    forms.add(stem(word))
    return frozenset(form for form in forms if form)


@lru_cache(maxsize=20000)
def stem(word: str) -> str:
    """Strip common suffixes so that `directors`, `directed` and `directing` meet at `direct`."""
    once = _strip_suffix(word)
    return _strip_suffix(once) if once != word else once


def _strip_suffix(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            base = word[: -len(suffix)]
            if suffix in ("ied", "ies"):
                base += "y"
            return base
    if word.endswith("e") and len(word) > 4:
        return word[:-1]
    return word


@lru_cache(maxsize=20000)
def is_english_word(word: str) -> bool:
    return bool(lemminflect.getAllLemmas(word.lower())) or word.lower() in FUNCTION_WORDS


@lru_cache(maxsize=20000)
def is_verb_only(word: str) -> bool:
    """A verb with no noun or adjective reading: it links the subject to a value and adds no filter."""
    lemmas = lemminflect.getAllLemmas(word.lower())
    return bool(lemmas) and set(lemmas) <= {"VERB", "AUX"}


@lru_cache(maxsize=20000)
def has_verb_reading(word: str) -> bool:
    return "VERB" in lemminflect.getAllLemmas(word.lower())


@lru_cache(maxsize=20000)
def verb_lemmas(word: str) -> tuple[str, ...]:
    return tuple(lemminflect.getAllLemmas(word.lower()).get("VERB", ()))


def is_inflected_verb(word: str) -> bool:
    """A verb in another form than its base (`had`, `scored`, `sleeps`): said as what a row did."""
    verbs = verb_lemmas(word)
    return bool(verbs) and word.lower() not in verbs


def letters_in_order(short: str, word: str) -> bool:
    """`mfr` in manufacturer, `asst` in assistant: every letter of the short form, in order."""
    position = 0
    for letter in short:
        position = word.find(letter, position) + 1
        if position == 0:
            return False
    return True


def edit_distance_at_most_one(a: str, b: str) -> bool:
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diffs) == 1 or (len(diffs) == 2 and diffs[1] == diffs[0] + 1 and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


# --------------------------------------------------------------------------- vocabulary
# Words that carry no meaning of their own for the query (articles, pronouns, auxiliaries,
# question framing, generic verbs of asking).
FUNCTION_WORDS = frozenset(
    """
    a an the this that these those there here it its it's they them their theirs he him his she her hers
    we us our you your i me my one ones
    is are was were be been being am do does did done doing has have had having will would shall should
    can could may might must
    what which who whom whose where when why how
    of in on at to for with from by about as into onto upon within through across among along during out
    and or but nor also both either neither
    please kindly just only ever any some
    show list give tell find return display get provide report see know want need like
    us me all every
    than then so such
    there's what's
    respectively corresponding correspond corresponds together along
    """.split()
)

# Nouns that stand for "the rows of the table" whatever the table is.
ROW_NOUNS = frozenset(
    "record records row rows entry entries item items thing things line lines instance instances "
    "data dataset table tables element elements observation observations case cases event events "
    "occurrence occurrences entity entities anyone anybody someone somebody everyone everybody".split()
)

# Words that add nothing once the rest of the question is placed (framing, politeness, vague verbs).
FILLER_WORDS = frozenset(
    """
    information info detail details value values total overall whole entire everything
    listed registered recorded available exist exists existing existed present stored contained
    make made use used using uses belong belongs belonged affiliated associated related
    go goes went come comes came take takes took put set sort sorted order ordered
    result results respective possible whole kind kinds type types category categories
    name named called titled labeled labelled known
    number numbers count counts amount
    many much
    table database column columns field fields world origin combination combinations pair pairs chart listed
    currently current now today still already yet
    list listing also too well
    aboard board onboard
    """.split()
)


# Nouns that count what a numeric column holds: "3 bronze medals" is 3 in `Bronze`, "how many medals"
# the `Total` of a medal table.
COUNT_UNITS = frozenset(
    "medal medals goal goals point points vote votes run runs title titles seat seats "
    "appearance appearances trophy trophies award awards".split()
)


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]
    tag: str
    value: object = None


def _phrases(tag: str, entries: str, value: object = None) -> list[Phrase]:
    return [Phrase(tuple(entry.split()), tag, value) for entry in entries.split(",") if entry.strip()]


# Longer phrases win; matching is on lower-case words (see match_phrases).
PHRASES: list[Phrase] = [
    *_phrases("count", "how many,number of,numbers of,count of,count,total number of,total count of,the number of,quantity of,tally of,how many times,number of times,the number of times,how often"),
    *_phrases("agg", "average,mean,avg,on average,typical", "avg"),
    *_phrases("agg", "total,sum,sum of,combined,in total,altogether,overall", "sum"),
    *_phrases("agg", "minimum,min,lowest value of,smallest value of", "min"),
    *_phrases("agg", "maximum,max,highest value of,largest value of", "max"),
    *_phrases("agg", "median", "median"),
    *_phrases("agg", "standard deviation,std,stddev,std dev,spread", "stddev"),
    *_phrases("sup", "highest,largest,greatest,biggest,most,top,best,maximum,max,max.,higher,larger,bigger,greater,more,longest,better,peak,peaked,at its peak,at their peak", "desc"),
    *_phrases("sup", "lowest,smallest,least,fewest,minimum,min,worst,bottom,lower,smaller,fewer,less,worse,bottomed out,bottomed,hit bottom,at its lowest,at their lowest", "asc"),
    *_phrases("common", "most common,most frequent,most popular,most often,most usual,commonest,most frequently", "desc"),
    *_phrases("common", "least common,least frequent,least popular,rarest,least often,least usual", "asc"),
    *_phrases("cmp", "more than,greater than,larger than,bigger than,higher than,over,above,exceeding,exceeds,exceed,in excess of,beyond,longer than", ">"),
    *_phrases("cmp", "less than,fewer than,smaller than,lower than,under,below,shorter than,beneath", "<"),
    *_phrases("cmp", "at least,no less than,not less than,no fewer than,not fewer than,minimum of,or more,and more,and above,or above,or higher,or greater,and over", ">="),
    *_phrases("cmp", "at most,no more than,not more than,not higher than,not greater than,maximum of,or less,or fewer,and below,or below,or lower,and under,up to,not over,not above", "<="),
    *_phrases("cmp", "equal to,equals,equal,exactly,is exactly", "="),
    *_phrases("cmp", "not equal to,other than,different from,except,excluding,apart from,besides", "!="),
    *_phrases("between", "between,from,ranging from,in the range"),
    *_phrases("diff", "difference,difference between,difference in,the difference of,gap between,gap in,margin between,margin of,how far apart", "abs"),
    *_phrases("diff", "how many more,how much more,how much higher,how much larger,how much bigger,how much greater,how much longer,how much taller,how much older,how much later", "more"),
    *_phrases("corr", "correlation,correlation between,correlation of,correlation coefficient,correlated,correlate,relationship between,relation between", None),
    *_phrases("diff", "grow,grew,grown,growth,change,changed,increase,increased,rise,rose,risen,go up,went up,gone up", "change"),
    *_phrases("diff", "fall,fell,fallen,drop,dropped,decline,declined,decrease,decreased,go down,went down,shrink,shrank", "drop"),
    *_phrases("diff", "how many fewer,how many less,how much less,how much lower,how much smaller,how much shorter,how much younger,how much earlier", "less"),
    *_phrases("same", "the same,same,identical"),
    *_phrases("cmpcol", "older than,elder than", (">", "age")),
    *_phrases("cmpcol", "younger than", ("<", "age")),
    *_phrases("cmpcol", "heavier than", (">", "weight")),
    *_phrases("cmpcol", "lighter than", ("<", "weight")),
    *_phrases("cmpcol", "taller than", (">", "height")),
    *_phrases("cmpcol", "more expensive than,costlier than,pricier than", (">", "price")),
    *_phrases("cmpcol", "cheaper than,less expensive than", ("<", "price")),
    *_phrases("cmpcol", "before,earlier than,prior to,until,till,up until", ("<", "time")),
    *_phrases("cmpcol", "after,later than,since,following", (">", "time")),
    *_phrases("position", "next,after,following,right after,immediately after,directly after,just after,the one after,comes after,came after,listed after", 1),
    *_phrases("position", "previous,before,preceding,right before,immediately before,directly before,just before,the one before,comes before,came before,listed before,prior to", -1),
    *_phrases("supcol", "youngest", ("asc", "age")),
    *_phrases("supcol", "oldest,eldest", ("desc", "age")),
    *_phrases("supcol", "heaviest", ("desc", "weight")),
    *_phrases("supcol", "lightest", ("asc", "weight")),
    *_phrases("supcol", "tallest", ("desc", "height")),
    *_phrases("supcol", "shortest", ("asc", "height")),
    *_phrases("supcol", "most expensive,costliest,priciest", ("desc", "price")),
    *_phrases("supcol", "cheapest,least expensive", ("asc", "price")),
    *_phrases("supcol", "most recent,most recently,latest,newest,last", ("desc", "time")),
    *_phrases("supcol", "earliest,first", ("asc", "time")),
    *_phrases("supcol", "most populated,most populous", ("desc", "population")),
    *_phrases("supcol", "least populated,least populous", ("asc", "population")),
    *_phrases("supcol", "most highly rated,highest rated,best rated,top rated,most rated", ("desc", "rating")),
    *_phrases("supcol", "lowest rated,worst rated", ("asc", "rating")),
    *_phrases("order", "order by,ordered by,sort by,sorted by,sorted,ordered,in order of,rank by,ranked by,arrange by,arranged by,sort,order,by order of"),
    *_phrases("dir", "from young to old,from oldest to newest,from earliest to latest,from old to new,ascending,in ascending order,increasing,in increasing order,from low to high,from lowest to highest,from smallest to largest,from small to large,from least to most,lowest first,smallest first,fewest first,highest last,largest last,most last", "asc"),
    *_phrases("dir", "from old to young,from newest to oldest,from latest to earliest,from new to old,from recent to old,descending,in descending order,decreasing,in decreasing order,from high to low,from highest to lowest,from largest to smallest,from large to small,from most to least,highest first,largest first,most first,lowest last,smallest last,fewest last,reverse,reversed,in reverse order", "desc"),
    *_phrases("chrono", "chronological order,in chronological order,chronologically,chronological,in time order,in order of time", "asc"),
    *_phrases("chrono", "reverse chronological order,in reverse chronological order,reverse chronological,reverse chronologically", "desc"),
    *_phrases("alpha", "alphabetical,alphabetically,lexicographical,lexicographic,lexicographically,alphabetic,a to z", "asc"),
    *_phrases("alpha", "reverse alphabetical,reversed alphabetical,reverse lexicographical,reversed lexicographical,z to a", "desc"),
    *_phrases("group", "for each,for every,per,each,every,by each,of each,in each,broken down by,grouped by,group by,split by,for all the different,for the different,for different,across all the different,for all"),
    *_phrases("distinct", "different,distinct,unique,various,possible,all the different,all the distinct"),
    *_phrases("neg", "not,no,never,non,without,isn't,aren't,doesn't,don't"),
    *_phrases("arith", "divided by,multiplied by,minus,plus,ratio of,the ratio of,the ratio,as a ratio,per unit of,as a percent of,as a percentage of"),
    *_phrases("missing", "missing,blank,null,not recorded,unrecorded,not available,absent,left blank,is missing,are missing,was missing,were missing,unknown,is unknown,are unknown,not known"),
    *_phrases("cmp", "leaving out,leave out,left out,skip,skipping,omit,omitting,ignore,ignoring,not counting,dropping,drop", "!="),
    *_phrases("like", "contain,contains,containing,contained,include,includes,including,substring,with the word,has the word,have the word,the word,the letter,the string,the text,the phrase,the substring,string,letter,word,text,phrase,mention,mentions,mentioning", "contains"),
    *_phrases("like", "start with,starts with,starting with,begin with,begins with,beginning with,starts,begins,prefix", "starts"),
    *_phrases("like", "end with,ends with,ending with,ends,suffix", "ends"),
    *_phrases("star", "all the information,all information,all the info,all info,all the details,all details,all the data,all data,all columns,all the columns,all fields,all the fields,everything,all attributes,full details,all the records,all records,all rows,every column"),
    *_phrases("wh", "who", "person"),
    *_phrases("wh", "when,what time,what date,which date,what year,which year,in what year,in which year", "time"),
    *_phrases("wh", "where,what place,which place,what location", "place"),
    *_phrases("top", "top,first,leading,best", "desc"),
    *_phrases("bottom", "bottom,last,worst", "asc"),
    *_phrases("share", "share,percentage,percent,proportion,fraction,portion,% of,pct", None),
    *_phrases("trend", "over time,trend,trends,evolution,evolve,change over time,changed over time,history", None),
    *_phrases("bucket", "by year,per year,each year,every year,yearly,annually,annual,a year,by years,over the years", "year"),
    *_phrases("bucket", "by month,per month,each month,every month,monthly,a month", "month"),
    *_phrases("bucket", "by day,per day,each day,every day,daily,a day", "day"),
    *_phrases("bucket", "by week,per week,each week,every week,weekly", "week"),
    *_phrases("bucket", "by quarter,per quarter,each quarter,quarterly", "quarter"),
    *_phrases("vs", "vs,vs.,versus,against,compared to,compared with,relative to", None),
    *_phrases("and", "and,as well as,along with,together with,plus,&,also,with their,with its,and their,and its", None),
    *_phrases("or", "or,either,and/or", None),
    *_phrases("yes", "yes,true", True),
]

# Concepts that an adjective implies ("older" -> a column about age); matched against column words.
CONCEPT_WORDS: dict[str, tuple[str, ...]] = {
    "age": ("age",),
    "weight": ("weight", "weigh", "mass"),
    "height": ("height", "tall"),
    "price": ("price", "cost", "amount", "fee", "charge", "fare", "expense", "paid"),
    "time": ("date", "time", "year", "day", "datetime", "timestamp", "created", "when"),
    "population": ("population", "populate", "people", "inhabitant"),
    "size": ("area", "size", "surface", "capacity", "volume", "length"),
    "rating": ("rating", "rate", "rated", "score", "stars"),
    "person": ("name", "person", "who"),
    "place": ("location", "city", "country", "town", "hometown", "place", "address", "state", "region", "where", "venue", "site", "area"),
}

# Nouns that name no column but stand for one through its concept: "how many people" adds up a
# population, "the fewest inhabitants".
CONCEPT_NOUNS: dict[str, str] = {"people": "population", "inhabitant": "population", "resident": "population"}

# Adjectives that rank things by their size: "the 5 largest countries" (by area, or else population).
SIZE_ADJECTIVES = frozenset("largest biggest smallest tiniest larger bigger smaller".split())

# Column-name abbreviations people use, mapped to the word they stand for.
ABBREVIATIONS: dict[str, str] = {
    "num": "number", "no": "number", "nbr": "number", "qty": "quantity", "amt": "amount", "desc": "description",
    "descr": "description", "addr": "address", "yr": "year", "yrs": "year", "pct": "percent", "perc": "percent",
    "avg": "average", "cnt": "count", "tel": "telephone", "dob": "birth", "dept": "department", "mgr": "manager",
    "emp": "employee", "cust": "customer", "prod": "product", "qtr": "quarter", "mo": "month", "temp": "temperature",
    "pop": "population", "lifeexp": "life", "gdp": "gdp", "gdppercap": "gdp", "percap": "capita", "std": "standard",
    "min": "minimum", "max": "maximum", "indep": "independence", "dest": "destination", "src": "source",
    "sex": "sex", "cat": "category", "info": "information", "ref": "reference", "loc": "location",
    "lat": "latitude", "lon": "longitude", "lng": "longitude", "pos": "position", "ht": "height", "wt": "weight",
    "id": "id", "yn": "yes",
}  # fmt: skip

# Plain-language synonyms used when a question word has to meet a column word.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "sex": ("gender",), "gender": ("sex",),
    "number": ("count",), "count": ("number",),
    "country": ("nation", "nationality"), "nation": ("country", "nationality"), "nationality": ("country", "citizenship", "nation"),
    "citizenship": ("nationality",),
    "town": ("city", "hometown"), "city": ("town",), "hometown": ("town", "city"),
    "cost": ("price", "amount", "charge", "fee"), "price": ("cost",), "fee": ("cost", "price"),
    "amount": ("cost", "sum"), "charge": ("cost", "fee"),
    "salary": ("pay", "wage", "income", "earnings"), "income": ("salary", "earnings"),
    "earnings": ("income", "salary"),
    "revenue": ("sales", "income"), "sales": ("revenue",),
    "source": ("origin", "depart", "leave", "from"), "destination": ("arrive", "land", "into", "to"),
    "origin": ("source",),
    "phone": ("telephone", "cell", "mobile"), "telephone": ("phone",), "mobile": ("cell", "phone"),
    "cell": ("mobile", "phone"),
    "email": ("mail",), "zip": ("postcode", "postal"), "postcode": ("zip",),
    "title": ("name",), "surname": ("last",), "forename": ("first",),
    "birth": ("born",), "born": ("birth",),
    "description": ("describe",), "details": ("detail",),
    "region": ("area",), "area": ("region", "surface", "size"), "size": ("area",),
    "capacity": ("capacity", "size"),
    "quantity": ("number", "amount"), "rank": ("ranking", "rating"), "ranking": ("rank",),
    "score": ("rating", "points", "mark"), "rating": ("score",),
    "weight": ("weigh",), "weigh": ("weight",),
    "tip": ("gratuity",), "bill": ("check",), "shop": ("store",), "store": ("shop",),
}  # fmt: skip


def _symmetric(table: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    both: dict[str, set[str]] = {key: set(values) for key, values in table.items()}
    for key, values in table.items():
        for value in values:
            both.setdefault(value, set()).add(key)
    return {key: tuple(sorted(values)) for key, values in both.items()}


SYNONYMS = _symmetric(SYNONYMS)

# Stored values written differently in speech: "women" for "F", "Sunday" for "Sun".
VALUE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "female": ("f", "female", "woman", "women", "girl", "girls", "females"),
    "male": ("m", "male", "man", "men", "boy", "boys", "males"),
    "monday": ("mon",), "tuesday": ("tue", "tues"), "wednesday": ("wed",), "thursday": ("thu", "thur", "thurs"),
    "friday": ("fri",), "saturday": ("sat",), "sunday": ("sun",),
    "january": ("jan",), "february": ("feb",), "march": ("mar",), "april": ("apr",), "june": ("jun",),
    "july": ("jul",), "august": ("aug",), "september": ("sep", "sept"), "october": ("oct",),
    "november": ("nov",), "december": ("dec",),
    "usa": ("united states", "us", "u.s.", "america"), "uk": ("united kingdom", "britain"),
}  # fmt: skip

# Places and the adjectives (demonyms) people use for them: "French singers" are singers whose
# country is France, "Asian countries" are in Asia. Looked up only when the data holds the value.
_PLACE_ADJECTIVES = """
afghanistan:afghan albania:albanian algeria:algerian andorra:andorran angola:angolan
argentina:argentinian,argentine,argentinean armenia:armenian australia:australian austria:austrian
azerbaijan:azerbaijani bahamas:bahamian bahrain:bahraini bangladesh:bangladeshi barbados:barbadian
belarus:belarusian belgium:belgian belize:belizean benin:beninese bhutan:bhutanese bolivia:bolivian
bosnia and herzegovina:bosnian botswana:botswanan brazil:brazilian brunei:bruneian bulgaria:bulgarian
burkina faso:burkinabe burundi:burundian cambodia:cambodian cameroon:cameroonian canada:canadian
cape verde:cape verdean chad:chadian chile:chilean china:chinese colombia:colombian comoros:comoran
congo:congolese costa rica:costa rican croatia:croatian cuba:cuban cyprus:cypriot
czech republic:czech,czechian czechoslovakia:czechoslovak,czechoslovakian denmark:danish,dane
djibouti:djiboutian dominica:dominican dominican republic:dominican ecuador:ecuadorian,ecuadorean
egypt:egyptian el salvador:salvadoran,salvadorian england:english eritrea:eritrean estonia:estonian
ethiopia:ethiopian fiji:fijian finland:finnish,finn france:french gabon:gabonese gambia:gambian
georgia:georgian germany:german,west german,east german ghana:ghanaian great britain:british,briton
greece:greek grenada:grenadian guatemala:guatemalan guinea:guinean guyana:guyanese haiti:haitian
honduras:honduran hong kong:hongkonger hungary:hungarian iceland:icelandic,icelander india:indian
indonesia:indonesian iran:iranian,persian iraq:iraqi ireland:irish israel:israeli italy:italian
ivory coast:ivorian jamaica:jamaican japan:japanese jordan:jordanian kazakhstan:kazakh,kazakhstani
kenya:kenyan kosovo:kosovar kuwait:kuwaiti kyrgyzstan:kyrgyz laos:laotian,lao latvia:latvian
lebanon:lebanese lesotho:basotho liberia:liberian libya:libyan liechtenstein:liechtensteiner
lithuania:lithuanian luxembourg:luxembourgish,luxembourger madagascar:malagasy malawi:malawian
malaysia:malaysian maldives:maldivian mali:malian malta:maltese mauritania:mauritanian
mauritius:mauritian mexico:mexican moldova:moldovan monaco:monegasque mongolia:mongolian
montenegro:montenegrin morocco:moroccan mozambique:mozambican myanmar:burmese,myanma namibia:namibian
nepal:nepalese,nepali netherlands:dutch,netherlander new zealand:new zealander,kiwi nicaragua:nicaraguan
niger:nigerien nigeria:nigerian north korea:north korean north macedonia:macedonian norway:norwegian
oman:omani pakistan:pakistani palestine:palestinian panama:panamanian papua new guinea:papua new guinean
paraguay:paraguayan peru:peruvian philippines:filipino,philippine poland:polish,pole portugal:portuguese
puerto rico:puerto rican qatar:qatari romania:romanian russia:russian rwanda:rwandan samoa:samoan
san marino:sammarinese saudi arabia:saudi,saudi arabian scotland:scottish,scot senegal:senegalese
serbia:serbian serbia and montenegro:serbian seychelles:seychellois sierra leone:sierra leonean
singapore:singaporean slovakia:slovak,slovakian slovenia:slovenian,slovene somalia:somali
south africa:south african south korea:south korean,korean soviet union:soviet spain:spanish,spaniard
sri lanka:sri lankan sudan:sudanese suriname:surinamese swaziland:swazi sweden:swedish,swede
switzerland:swiss syria:syrian taiwan:taiwanese tajikistan:tajik tanzania:tanzanian thailand:thai
togo:togolese tonga:tongan trinidad and tobago:trinidadian tunisia:tunisian turkey:turkish,turk
turkmenistan:turkmen uganda:ugandan ukraine:ukrainian united arab emirates:emirati
united kingdom:british,briton united states:american uruguay:uruguayan uzbekistan:uzbek
vanuatu:vanuatuan venezuela:venezuelan vietnam:vietnamese wales:welsh yemen:yemeni
yugoslavia:yugoslav,yugoslavian zambia:zambian zimbabwe:zimbabwean
africa:african asia:asian europe:european north america:north american south america:south american
latin america:latin american oceania:oceanian antarctica:antarctic caribbean:caribbean
middle east:middle eastern scandinavia:scandinavian
"""


def _place_words() -> dict[str, tuple[str, ...]]:
    """Both ways: an adjective gives its places, a place gives its adjectives."""
    table: dict[str, set[str]] = {}
    for entry in re.findall(r"([a-z][a-z ]*?):([a-z ,]+?)(?=\s+[a-z][a-z ]*:|\s*$)", " ".join(_PLACE_ADJECTIVES.split())):
        place, adjectives = entry
        for adjective in adjectives.split(","):
            table.setdefault(adjective.strip(), set()).add(place.strip())
            table.setdefault(place.strip(), set()).add(adjective.strip())
    return {word: tuple(sorted(others)) for word, others in table.items()}


PLACE_WORDS = _place_words()

# Labels of rows that sum up the others (a spreadsheet's last line): left out of every answer
# unless the question names them. With the spellings other languages' tables use for the same line
# (`Totaal`, `Gesamt`, `Totale`), and the lines under an election's candidates (`Turnout`, `Majority`).
SUMMARY_ROW_LABELS = (
    "total", "totals", "grand total", "total:", "totals:", "overall", "totaal", "gesamt", "totale",
    "turnout", "majority", "registered electors", "rejected ballots", "valid votes", "total votes",
)

TRUE_VALUES = ("yes", "y", "true", "t", "1", "1.0")
FALSE_VALUES = ("no", "n", "false", "f", "0", "0.0")


def phrase_index() -> dict[str, list[Phrase]]:
    """Phrases by their first word, longest first, for a left-to-right greedy scan."""
    index: dict[str, list[Phrase]] = {}
    for phrase in PHRASES:
        index.setdefault(phrase.words[0], []).append(phrase)
    for entries in index.values():
        entries.sort(key=lambda p: -len(p.words))
    return index


PHRASE_INDEX = phrase_index()
