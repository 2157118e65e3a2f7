"""From linked mentions to a query plan: which columns to show, filter, group, order and count.

The planner reads the mentions left to right in passes (limits, comparisons, values, order,
superlatives, aggregates, groups, projection); each pass marks what it used. Anything that no
pass could use is reported back so the engine can refuse instead of guessing.
"""

from __future__ import annotations

from typing import Any

from lumiere.nlq.lexicon import SIZE_ADJECTIVES, verb_lemmas
from lumiere.nlq.linking import Linked, Mention
from lumiere.nlq.plan import (
    COUNT_ROWS,
    ORDER_BY_SHOWN,
    ORDER_BY_SHOWN_MEASURE,
    Cond,
    Difference,
    Expr,
    Plan,
    RowComparison,
    Side,
    Unplaced,
)
from lumiere.nlq.schema import ColumnRef, SchemaIndex

_SKIP = ("stop", "filler", "punct")
_RELATIVE_CUES = frozenset("that who which whose with are is were was been be have has having where by for among".split())
_YEAR_PREPOSITIONS = frozenset("in during of for on at from".split())
_OWNER_CUES = frozenset("of for in from by all each every per among".split())
_NUMBER_LINKS = frozenset("than of the a an is are was were".split())
_EQUALITY_LINKS = frozenset("of is are was were be equal equals to the a an".split())
# Measures that add up over time (a population, sales); others (rates, prices) are averaged.
_ADDITIVE_WORDS = frozenset(
    "pop population count quantity qty sales revenue amount total volume cases deaths births sum units orders".split()
)
_COUNT_COLUMN_NAMES = frozenset("count counts quantity qty n".split())
_NEGATED = {">": "<=", "<": ">=", ">=": "<", "<=": ">", "=": "!=", "!=": "="}
_YES_NO_STARTS = frozenset("is are was were did does do has have had can could will would".split())
_BE_WORDS = frozenset("is are was were be been being".split())
_AGG_WORDS = frozenset("count avg sum min max median stddev".split())
_NUMBER_AGGREGATES = frozenset("avg sum median stddev".split())  # meaningless on text
_ORDER_OPS = frozenset((">", "<", ">=", "<=", "between"))
# Values named together are compared one by one ("smokers vs non-smokers", "compare France and
# Germany") or taken as one group ("Europe or Asia", "China and Japan combined", "both").
_COMPARING_WORDS = frozenset("vs versus compare compared comparing each respectively separately".split())
_COMBINING_WORDS = frozenset("or combined together altogether total overall both sum".split())




def _is_verb_form(word: str) -> bool:
    """`ranked`, `scored`, `playing`: a verb's participle rather than a noun."""
    return word.endswith(("ed", "ing")) and any(word != lemma for lemma in verb_lemmas(word))




class Planner:
    def __init__(self, linked: Linked) -> None:
        self.ms: list[Mention] = linked.mentions
        self.summary_rows = linked.summary_rows
        self.tokens = linked.tokens
        self.schema: SchemaIndex = linked.schema
        self.plan = Plan()
        self.pending_limit: int | None = None
        self.pending_dir: bool | None = None
        self.count_order: tuple[bool, Expr] | None = None  # order groups by a count
        self.group_all = False  # "... and how many correspond to each"
        self.count_requested = False
        self.rows_counted = False  # "how many rows": the rows, even when a column holds counts
        self.inner_subject: int | None = None  # "above age 20": the column between operator and number
        self.trend = False  # a trend question: shown measures are aggregated per period
        self.ordering_only = False  # "most populous first": a superlative that sorts, keeping every row
        self.asked_value: ColumnRef | None = None  # "what is the first year?": that column is the answer

    # ------------------------------------------------------------------ helpers
    def nxt(self, i: int, skip: tuple[str, ...] = _SKIP) -> int | None:
        j = i + 1
        while j < len(self.ms):
            if self.ms[j].kind in skip:
                j += 1
                continue
            return j
        return None

    def prv(self, i: int, skip: tuple[str, ...] = _SKIP) -> int | None:
        j = i - 1
        while j >= 0:
            if self.ms[j].kind in skip:
                j -= 1
                continue
            return j
        return None

    def m(self, i: int | None) -> Mention | None:
        return self.ms[i] if i is not None and 0 <= i < len(self.ms) else None

    def is_kw(self, i: int | None, *tags: str) -> bool:
        mention = self.m(i)
        return mention is not None and mention.kind == "kw" and any(mention.has(tag) for tag in tags)

    # ------------------------------------------------------------------ entry
    def run(self) -> Plan:
        self._star()
        self._likes()
        self._limits()
        self._superlative_first()
        self._order()
        self._column_comparisons()
        self._yes_no()
        self._differences()
        self._choices()
        self._same_as()
        self._than_a_row()
        self._numbers()
        self._positions()
        self._values()
        self._booleans()
        self._absences()
        self._superlatives()
        self._counts_and_aggregates()
        self._shares()
        self._groups()
        self._buckets()
        self._wh()
        self._projection()
        self._finish()
        self._check_measures()
        self._check_row_comparison()
        self._check_unplaced()
        return self.plan

    # ------------------------------------------------------------------ passes
    def _star(self) -> None:
        for m in self.ms:
            if m.kind == "kw" and m.has("star"):
                self.plan.star = True
                m.used = True

    def _likes(self) -> None:
        for i, m in enumerate(self.ms):
            if m.used or m.kind != "kw" or not m.has("like"):
                continue
            mode = m.payload("like")
            j = self.nxt(i, skip=("stop", "punct", "filler"))
            extra_words = []
            # further like-words ("containing the substring ...") before the literal
            while j is not None and self.is_kw(j, "like") and self.ms[j].kind != "quoted":
                extra_words.append(self.ms[j])
                j = self.nxt(j, skip=("stop", "punct", "filler"))
            literal_mention = self.m(j)
            if literal_mention is None or literal_mention.used or literal_mention.kind not in ("quoted", "unknown", "value", "number"):
                continue
            literal = literal_mention.text.strip()
            column = self._like_column(i, j, literal_mention)
            m.used = literal_mention.used = True
            for word in extra_words:
                word.used = True
            pattern = {"contains": f"%{literal}%", "starts": f"{literal}%", "ends": f"%{literal}"}[mode]
            negated = self._negated_before(i)
            self._add_cond(i, Cond(Expr(column), "notlike" if negated else "like", [pattern]))

    def _like_column(self, i: int, j: int, literal: Mention) -> ColumnRef:
        if literal.kind == "value":
            return literal.values[0][0]
        # "whose name contains ..." (column before) or "... in their description" (column after)
        for k in (self.prv(i), self.nxt(j, skip=("stop", "punct", "filler"))):
            mention = self.m(k)
            if mention is not None and mention.kind == "column" and not mention.used:
                text_cols = [c for c in mention.columns if c.text] or mention.columns
                mention.used = True
                owner = self._owner_of_name(k)
                return owner if owner is not None else text_cols[0]
        return self.schema.display_column

    def _owner_of_name(self, k: int) -> ColumnRef | None:
        """`the state whose name contains ...`: the name is the state's, not a name column."""
        if self.ms[k].low not in ("name", "names", "title", "value"):
            return None
        before = k - 2
        if before >= 0 and self.ms[before].kind == "column" and self.ms[k - 1].low in ("whose", "with", "where"):
            owner = self.ms[before]
            owner.used = True
            return owner.column
        return None

    def _limits(self) -> None:
        for i, m in enumerate(self.ms):
            if m.kind != "number" or m.used or m.number is None or m.number != int(m.number) or m.number < 1:
                continue
            before, after = self.prv(i), self.nxt(i)
            if self.is_kw(before, "top", "bottom") and not self.ms[before].used:
                kw = self.ms[before]
                self.pending_limit = int(m.number)
                self.pending_dir = not (kw.has("bottom") and not kw.has("top"))  # "top 5" means descending
                kw.used = m.used = True
            elif self.is_kw(after, "sup", "supcol", "common") and not self._is_comparison_after(after):
                self.pending_limit = int(m.number)
                m.used = True
            elif self._counted_subject(i, after):
                # "which 3 countries had the lowest ...": how many rows the superlative keeps
                self.pending_limit = int(m.number)
                m.used = True

    def _counted_subject(self, i: int, after: int | None) -> bool:
        subject = self.m(after)
        if subject is None or subject.kind not in ("table", "column") or i == 0:
            return False
        if self.ms[i - 1].low not in ("which", "what", "the", "top", "first", "show", "list", "give", "find"):
            return False
        return any(
            x.kind == "kw" and (x.has("sup") or x.has("supcol") or x.has("common")) for x in self.ms[after + 1 :]
        )

    def _is_comparison_after(self, i: int) -> bool:
        k = self.nxt(i, skip=("column", "stop", "filler"))
        return k is not None and self.ms[k].low == "than"

    def _order(self) -> None:
        """Every way people ask for an order: `sort X by Y`, `ordered by Y descending`, `in
        descending order of Y`, `by descending Y`, `from the lowest to the highest Y`, `rank X by Y`,
        or a bare `in descending order` that sorts what the answer shows."""
        for i, m in enumerate(self.ms):
            if m.used or m.kind != "kw" or not (m.has("order") or m.has("dir") or m.has("alpha")):
                continue
            after = self.nxt(i, skip=("stop", "punct", "filler", "table"))
            if m.has("dir") and not m.has("order") and self.is_kw(after, "order") and not self.ms[after].used:
                continue  # "in descending order by age": the order phrase that follows reads both
            m.used = True
            target, at = self._order_target(i)
            descending = self._direction_near(i if at is None else min(i, at))
            if descending is None and (m.has("dir") or m.has("alpha")):
                descending = (m.payload("dir") or m.payload("alpha")) == "desc"
            if descending is None:
                descending = m.payload("order") == "desc"  # "rank by" puts the highest first
            if target is None:
                target = ORDER_BY_SHOWN if m.has("alpha") or m.has("order") and not m.has("dir") else ORDER_BY_SHOWN_MEASURE
            self.plan.order.append((target, descending))
        self._order_from_to()
        self._rank_verb()

    def _superlative_first(self) -> None:
        """`most populous first`, `with the highest score first`: sort, do not keep only the top row."""
        for i, m in enumerate(self.ms):
            if m.used or m.kind != "kw" or m.low not in ("first", "last") or not (m.has("top") or m.has("bottom")):
                continue
            before = self.prv(i, skip=("stop", "column"))
            if self.is_kw(before, "sup", "supcol") and not self.ms[before].used and self.nxt(i) is None:
                m.used = True
                self.ordering_only = True
                if m.low == "last":
                    self._reverse_superlative(before)

    def _reverse_superlative(self, i: int) -> None:
        """`highest last` lists the lowest first."""
        m = self.ms[i]
        flipped = {"asc": "desc", "desc": "asc"}
        m.tags = [
            (tag, flipped.get(payload, payload) if tag == "sup" else (flipped[payload[0]], payload[1]) if tag == "supcol" else payload)
            for tag, payload in m.tags
        ]

    def _superlative_limit(self) -> int | None:
        return None if self.ordering_only else self.pending_limit or 1

    def _rank_verb(self) -> None:
        """`Rank the countries by GDP`: an order verb that puts the highest first."""
        first = self.m(0)
        if first is not None and first.low in ("rank", "ranked") and first.kind in ("unknown", "column") and not first.used:
            by = self._by_after(0)
            key = self._sort_key_at(by)
            if key is not None:
                first.used = True
                descending = self._direction_near(by)
                self.plan.order.append((key, True if descending is None else descending))

    def _order_target(self, i: int) -> tuple[Expr | None, int | None]:
        """What an order word sorts by, and where that is said."""
        m = self.ms[i]
        j = self.nxt(i, skip=("stop", "punct", "filler", "table"))
        if self.is_kw(j, "dir", "alpha") and not self.ms[j].used:
            j = self.nxt(j, skip=("stop", "punct", "filler", "table"))  # "ordered descending by age"
        if self.m(j) is not None and self.ms[j].low == "by":
            j = self.nxt(j, skip=("stop", "punct", "filler", "table"))
        said_by = m.low.endswith((" by", " of")) or self._word_before_is(j, ("by", "of"))
        if m.has("order") and not said_by:
            by = self._by_after(i)
            if by is not None:  # "sort employee names by their age": names are shown, age sorts
                return self._sort_key_at(by), by
        if m.has("order") or said_by:
            key = self._sort_key_at(j)
            return key, j if key is not None else None
        return None, None

    def _word_before_is(self, j: int | None, words: tuple[str, ...]) -> bool:
        if j is None or j == 0:
            return False
        k = j - 1
        while k > 0 and self.ms[k].kind == "stop" and self.ms[k].low not in words:
            k -= 1
        return self.ms[k].low in words

    def _by_after(self, i: int) -> int | None:
        """The mention after the `by` that follows an order verb, within the same clause."""
        for k in range(i + 1, min(len(self.ms), i + 8)):
            mention = self.ms[k]
            if mention.kind == "punct" or (mention.kind == "kw" and (mention.has("order") or mention.has("cmp"))):
                return None
            if mention.low == "by" and mention.kind == "stop":
                return self.nxt(k, skip=("stop", "punct", "filler"))
        return None

    def _sort_key_at(self, j: int | None) -> Expr | None:
        mention = self.m(j)
        if mention is None or mention.used:
            return None
        if mention.kind == "column":
            mention.used = True
            return Expr(mention.column)
        if mention.kind == "kw" and mention.has("agg"):
            k = self.nxt(j, skip=("stop", "punct", "filler"))
            target = self.m(k)
            if target is not None and target.kind == "column" and not target.used:
                mention.used = target.used = True
                return Expr(self._numeric_first(target), mention.payload("agg"))
            if mention.columns:
                mention.used = True
                return Expr(mention.columns[0])
        if mention.kind == "kw" and mention.has("count"):
            mention.used = True
            k = self.nxt(j, skip=("stop", "punct", "filler"))
            counted = self.m(k)
            if counted is not None and counted.kind == "column" and not counted.used and counted.column.numeric_measure:
                counted.used = True  # "by the number of years worked": the column holds that number
                return Expr(counted.column)
            if counted is not None and counted.kind == "table":
                counted.used = True
            self.count_requested = True
            return COUNT_ROWS
        return None

    def _order_from_to(self) -> None:
        """`from the lowest to the highest life expectancy`, `from most to least populous`."""
        for i, m in enumerate(self.ms):
            if m.used or not self.is_kw(i, "between") or m.low != "from":
                continue
            first = self.nxt(i, skip=("stop",))
            if not self.is_kw(first, "sup", "supcol") or self.ms[first].used:
                continue
            to = self.nxt(first, skip=())
            if to is None or self.ms[to].low != "to":
                continue
            last = self.nxt(to, skip=("stop",))
            if not self.is_kw(last, "sup", "supcol") or self.ms[last].used:
                continue
            start = self.ms[first]
            concept_payload = start.payload("supcol")
            direction = concept_payload[0] if concept_payload else start.payload("sup")
            m.used = start.used = self.ms[to].used = self.ms[last].used = True
            key = self._sort_key_at(self.nxt(last, skip=("stop", "punct", "filler")))
            if key is None and concept_payload:
                columns = self.schema.concept_columns(concept_payload[1])
                key = Expr(self._prefer_mentioned(columns)) if columns else None
            self.plan.order.append((key or ORDER_BY_SHOWN_MEASURE, direction == "desc"))

    def _word_before(self, j: int, word: str) -> bool:
        return j > 0 and self.ms[j - 1].low == word

    def _direction_near(self, i: int) -> bool | None:
        """Ascending/descending said around position i (`from the oldest to the youngest`)."""
        for k in range(max(0, i - 3), min(len(self.ms), i + 8)):
            m = self.ms[k]
            if m.kind != "kw" or m.used:
                continue
            if m.has("dir") or m.has("alpha"):
                m.used = True
                return (m.payload("dir") or m.payload("alpha")) == "desc"
            if m.has("between") and k > i:
                first = self.nxt(k, skip=("stop",))
                if self.is_kw(first, "supcol", "sup"):
                    end = self.nxt(first, skip=("stop",))
                    m.used = self.ms[first].used = True
                    if self.is_kw(end, "supcol", "sup"):
                        self.ms[end].used = True
                    payload = self.ms[first].payload("supcol") or (self.ms[first].payload("sup"), None)
                    return payload[0] == "desc"
        return None

    # ------------------------------------------------------------------ comparisons on numbers
    def _numbers(self) -> None:
        previous_subject: tuple[Expr, bool] | None = None
        previous_end = -1
        for i, m in enumerate(self.ms):
            if m.kind != "number" or m.used:
                continue
            op, op_index, concept, explicit = self._operator_before(i)
            after = self.nxt(i, skip=("stop",))
            if op is None and self.is_kw(after, "cmp") and self.ms[after].payload("cmp") in (">=", "<="):
                op, op_index, explicit = self.ms[after].payload("cmp"), after, True
                self.ms[after].used = True
                after = self.nxt(after, skip=("stop",))
            values: list[Any] = [m.number]
            if op == "between":
                second = self._between_second(i)
                if second is None:
                    op = None
                else:
                    values.append(self.ms[second].number)
                    self.ms[second].used = True
                    after = self.nxt(second, skip=("stop",))
            connector = self._connector(previous_end, op_index if op_index is not None else i)
            subject = self._number_subject(i, op_index, concept, after, values[0], explicit)
            if subject is None and previous_subject is not None and connector is not None and op in (None, "="):
                subject = previous_subject
            if subject is None:
                continue
            expr, is_having = subject
            m.used = True
            if op_index is not None:
                self.ms[op_index].used = True
            cond = Cond(expr, op or "=", values, year_of=bool(expr.column and expr.column.temporal and not is_having))
            if is_having:
                self.plan.having.append(cond)
            else:
                self._add_cond(i, cond, join_previous=connector == "or")
            previous_subject, previous_end = subject, i

    # ------------------------------------------------------------------ one column against another
    def _column_comparisons(self) -> None:
        """`days when GOOG was higher than AAPL`, `whose permanent address is different from the
        current one`: both sides are columns of the same row."""
        for i, m in enumerate(self.ms):
            if m.used or m.kind != "kw" or not (m.has("cmp") or m.has("sup") or m.has("neg")):
                continue
            op = self._comparison_operator(i)
            if op is None:
                continue
            left_index = self.prv(i, skip=("stop", "filler"))
            negated = self.is_kw(left_index, "neg") and not self.ms[left_index].used
            if negated:
                left_index = self.prv(left_index, skip=("stop", "filler"))
            left = self.m(left_index)
            if left is None or left.kind != "column" or left.used:
                continue
            right_column, right_mentions = self._compared_column(i, left.column)
            if right_column is None or right_column is left.column:
                continue
            if not self._comparable_columns(left.column, right_column, op):
                continue
            if negated:
                self.ms[left_index + 1].used = True
                op = _NEGATED[op]
            for mention in (m, left, *right_mentions):
                mention.used = True
            self._add_cond(i, Cond(Expr(left.column), op, [], other=Expr(right_column)))

    def _comparison_operator(self, i: int, *, column_between: bool = False) -> str | None:
        """`greater than`, `higher than`, and with `column_between`, `a higher life expectancy than`."""
        m = self.ms[i]
        if m.has("cmp") and m.payload("cmp") in _NEGATED:
            return m.payload("cmp")
        k = i + 1
        if column_between:
            while k < len(self.ms) and self.ms[k].kind in ("column", "stop", "filler") and self.ms[k].low != "than":
                k += 1
        nxt = self.m(k)
        if m.has("sup") and nxt is not None and nxt.low == "than":
            return ">" if m.payload("sup") == "desc" else "<"  # "higher than"
        return None

    def _compared_column(self, i: int, left: ColumnRef) -> tuple[ColumnRef | None, list[Mention]]:
        """The column after the operator, or `the current one`: the left column's noun with
        another modifier."""
        k = i + 1
        modifiers: list[Mention] = []
        while k < len(self.ms) and k <= i + 6:
            mention = self.ms[k]
            if mention.kind == "column":
                if mention.used:
                    return None, []
                following = self.m(self.nxt(k, skip=("stop",)))
                if following is not None and following.low in ("one", "ones"):
                    return self._numeric_first(mention), [mention, following, *modifiers]  # "his current one"
                if following is not None and following.kind in ("number", "value", "quoted"):
                    return None, []
                return self._numeric_first(mention), [mention, *modifiers]
            if mention.kind in ("number", "value", "quoted", "table"):
                return None, []
            if mention.low in ("one", "ones") and modifiers:
                head = left.words[-1].word
                for modifier in reversed(modifiers):
                    for column in self.schema.columns:
                        if column is not left and column.words[-1].word == head and modifier.low in column.word_set:
                            return column, [mention, *modifiers]
                return None, []
            if mention.kind in ("filler", "unknown"):
                modifiers.append(mention)
            elif mention.kind not in ("stop", "punct") and not (mention.kind == "kw" and mention.has("or")):
                return None, []
            k += 1
        return None, []

    @staticmethod
    def _comparable_columns(left: ColumnRef, right: ColumnRef, op: str) -> bool:
        if op in ("=", "!="):
            return left.numeric == right.numeric or (left.temporal and right.temporal)
        return (left.numeric or left.temporal) and (right.numeric or right.temporal) and left.temporal == right.temporal

    # ------------------------------------------------------------------ differences and comparisons of rows
    def _yes_no(self) -> None:
        """`Did France have a higher life expectancy than Germany?`, `Is there a tip over 10?`."""
        first = self.m(0)
        if first is not None and first.kind == "stop" and first.low in _YES_NO_STARTS:
            if not any(m.kind == "kw" and m.has("or") for m in self.ms):
                self.plan.answer = "yes_no"
                first.used = True

    def _differences(self) -> None:
        for i, m in enumerate(self.ms):
            if m.used or m.kind != "kw" or not m.has("diff"):
                continue
            mode = m.payload("diff")
            difference = self._difference_of_rows(i, mode) or self._difference_of_extremes(i) or self._difference_of_columns(i)
            if difference is None:
                if m.columns:
                    m.kind = "column"  # a column named `difference`
                continue
            m.used = True
            self.plan.difference = difference
            return
        self._comparison_of_rows()

    def _difference_of_rows(self, i: int, mode: str) -> Difference | None:
        """`difference in population between France and Germany`, `how many more medals did A win
        than B`, `how many years between 1990 and 2000`."""
        sides = self._two_values() or self._two_years()
        if sides is None:
            return None
        first_index, second_index, column, first_value, second_value = sides
        measure = self._difference_measure(i, exclude=column)
        if measure is None:
            return None
        self.ms[first_index].used = self.ms[second_index].used = True
        for k in range(i + 1, second_index):
            if self.is_kw(k, "between", "and") and not self.ms[k].used:
                self.ms[k].used = True  # "the difference in X between A and B"
        conditions = [Cond(Expr(column), "=", [first_value], year_of=column.temporal)]
        other = [Cond(Expr(column), "=", [second_value], year_of=column.temporal)]
        return Difference(Side(measure, conditions, first_value), Side(measure, other, second_value), mode)

    def _two_values(self) -> tuple[int, int, ColumnRef, Any, Any] | None:
        """Two values said in the question that belong to the same column."""
        values = [k for k, m in enumerate(self.ms) if m.kind == "value" and not m.used]
        for a_pos, a in enumerate(values):
            for b in values[a_pos + 1 :]:
                for column, first_value in self.ms[a].values:
                    second_value = next((v for c, v in self.ms[b].values if c is column), None)
                    if second_value is not None and second_value != first_value:
                        return a, b, column, first_value, second_value
        return None

    def _two_years(self) -> tuple[int, int, ColumnRef, Any, Any] | None:
        numbers = [k for k, m in enumerate(self.ms) if m.kind == "number" and not m.used and self._looks_like_year(m.number or 0)]
        columns = self.schema.concept_columns("time")
        if len(numbers) != 2 or not columns:
            return None
        column = self._prefer_mentioned(columns)
        return numbers[0], numbers[1], column, self.ms[numbers[0]].number, self.ms[numbers[1]].number

    def _difference_measure(self, i: int, *, exclude: ColumnRef | None) -> Expr | None:
        """What is compared: the number column named (with its aggregate), or the rows counted."""
        for k, m in enumerate(self.ms):
            if m.kind != "column" or m.used:
                continue
            numeric = [c for c in m.columns if c.numeric and c is not exclude]
            if not numeric:
                continue
            column = numeric[0]
            agg_index = self.prv(k, skip=("stop",))
            m.used = True
            if self.is_kw(agg_index, "agg") and not self.ms[agg_index].used:
                self.ms[agg_index].used = True
                return Expr(column, self.ms[agg_index].payload("agg"))
            return Expr(column, "sum" if column.words[-1].word in _ADDITIVE_WORDS else "avg")
        count = next((k for k, m in enumerate(self.ms) if not m.used and self.is_kw(k, "count")), None)
        if count is not None:
            self.ms[count].used = True
            return self._count_expr()
        nouns = [m for m in self.ms[i + 1 :] if m.kind == "table" and not m.used]
        if nouns or self.ms[i].payload("diff") in ("more", "less"):
            for noun in nouns[:1]:
                noun.used = True
            return self._count_expr() if nouns else None
        return None

    def _difference_of_extremes(self, i: int) -> Difference | None:
        """`the difference between the highest and the lowest tip`."""
        first = self.nxt(i, skip=("stop",))
        if not self.is_kw(first, "sup") or self.ms[first].used:
            return None
        joiner = self.nxt(first, skip=("stop",))
        second = self.nxt(joiner, skip=("stop",)) if joiner is not None else None
        if not (self.is_kw(joiner, "and") and self.is_kw(second, "sup")):
            return None
        target = self.nxt(second, skip=("stop", "filler"))
        column = self.m(target)
        if column is None or column.kind != "column" or column.used or not any(c.numeric or c.temporal for c in column.columns):
            return None
        measure = self._numeric_first(column)
        for k in (first, joiner, second, target):
            self.ms[k].used = True
        high = "max" if self.ms[first].payload("sup") == "desc" else "min"
        low = "min" if high == "max" else "max"
        return Difference(Side(Expr(measure, high)), Side(Expr(measure, low)), "abs")

    def _difference_of_columns(self, i: int) -> Difference | None:
        """`the difference between sepal length and sepal width`: two numbers of each row."""
        first = self.nxt(i, skip=("stop", "filler"))
        joiner = self.nxt(first, skip=("stop",)) if first is not None else None
        second = self.nxt(joiner, skip=("stop", "filler")) if joiner is not None else None
        mentions = [self.m(first), self.m(second)]
        if not self.is_kw(joiner, "and") or any(x is None or x.kind != "column" or x.used for x in mentions):
            return None
        columns = [self._numeric_first(x) for x in mentions]  # type: ignore[arg-type]
        if not all(c.numeric for c in columns) or columns[0] is columns[1]:
            return None
        for k in (first, joiner, second):
            self.ms[k].used = True
        return Difference(Side(Expr(columns[0])), Side(Expr(columns[1])), "abs", per_row=True)

    def _comparison_of_rows(self) -> None:
        """`Did France have a higher life expectancy than Germany in 2007?`: A, more/less, than, B."""
        if self.plan.answer != "yes_no":
            return
        for i, m in enumerate(self.ms):
            if m.used or not self.is_kw(i, "sup", "cmp"):
                continue
            op = self._comparison_operator(i, column_between=True)
            if op not in (">", "<"):
                continue
            sides = self._two_values()
            if sides is None:
                return
            first_index, second_index, column, first_value, second_value = sides
            if not first_index < i < second_index:
                return
            measure = self._difference_measure(i, exclude=column)
            if measure is None:
                return
            m.used = self.ms[first_index].used = self.ms[second_index].used = True
            mode = "more" if op == ">" else "less"
            self.plan.difference = Difference(
                Side(measure, [Cond(Expr(column), "=", [first_value])], first_value),
                Side(measure, [Cond(Expr(column), "=", [second_value])], second_value),
                mode,
            )
            return

    def _choices(self) -> None:
        """`Which had more gold medals, Canada or China?`: the value whose measure is larger."""
        if self.plan.difference is not None or self.plan.answer == "yes_no":
            return
        ors = [k for k, m in enumerate(self.ms) if self.is_kw(k, "or") and not m.used]
        for k in ors:
            before, after = self.prv(k), self.nxt(k)
            a, b = self.m(before), self.m(after)
            if a is None or b is None or a.kind != "value" or b.kind != "value" or a.used or b.used:
                continue
            shared = [(c, va, next(vb for cb, vb in b.values if cb is c)) for c, va in a.values if any(cb is c for cb, _ in b.values)]
            if not shared:
                continue
            superlative = next(
                (j for j, m in enumerate(self.ms) if not m.used and self.is_kw(j, "sup") and not m.has("agg")), None
            )
            if superlative is None:
                continue
            column, first_value, second_value = shared[0]
            measure = self._difference_measure(superlative, exclude=column)
            if measure is None:
                continue
            for j in (before, after, k, superlative):
                self.ms[j].used = True
            larger = self.ms[superlative].payload("sup") == "desc"
            if measure.column is not None and measure.column.rank_like:
                larger = not larger  # "the higher ranked" has the smaller rank
            mode = "more" if larger else "less"
            self.plan.difference = Difference(
                Side(measure, [Cond(Expr(column), "=", [first_value])], first_value),
                Side(measure, [Cond(Expr(column), "=", [second_value])], second_value),
                mode,
            )
            self.plan.answer = "choice"
            self._consume_question_subject()
            return

    def _consume_question_subject(self) -> None:
        """`which country ...`: in a choice the answer is one of the two values said."""
        for k in range(min(3, len(self.ms))):
            m = self.ms[k]
            if m.kind in ("column", "table") and not m.used:
                m.used = True
                return
            if m.kind == "kw" and m.has("wh"):
                m.used = True

    def _same_as(self) -> None:
        """`which driver has the same number of laps as X`: rows sharing X's value, X left out."""
        for i, m in enumerate(self.ms):
            if m.used or not self.is_kw(i, "same"):
                continue
            target_index = self.nxt(i, skip=("stop", "filler"))
            if self.is_kw(target_index, "count") and not self.ms[target_index].used:
                counted = self.nxt(target_index, skip=("stop", "filler"))
                if self.m(counted) is not None and self.ms[counted].kind == "column":
                    self.ms[target_index].used = True
                    target_index = counted
            target = self.m(target_index)
            if target is None or target.kind != "column" or target.used:
                continue
            as_index = self.nxt(target_index, skip=("filler",))
            anchor_index = self.nxt(as_index, skip=("stop", "filler")) if as_index is not None else None
            anchor = self.m(anchor_index)
            if as_index is None or self.ms[as_index].low != "as" or anchor is None or anchor.kind != "value" or anchor.used:
                continue
            anchor_column, anchor_value = anchor.values[0]
            for k in (i, target_index, as_index, anchor_index):
                self.ms[k].used = True
            self._compare_with_row(anchor_column, anchor_value, Expr(target.column), "=")
            return

    def _than_a_row(self) -> None:
        """`countries with a higher life expectancy than France`, `a population larger than Japan`:
        a comparison whose other side is a named row rather than a number."""
        for i, m in enumerate(self.ms):
            if m.used or not self.is_kw(i, "sup", "cmp"):
                continue
            op = self._comparison_operator(i, column_between=True)
            if op not in (">", "<"):
                continue
            than = i if m.low.endswith(" than") else next(
                (k for k in range(i + 1, min(len(self.ms), i + 8)) if self.ms[k].low == "than"), None
            )
            anchor_index = self.nxt(than, skip=("stop", "filler")) if than is not None else None
            anchor = self.m(anchor_index)
            if anchor is None or anchor.kind != "value" or anchor.used:
                continue
            between = [k for k in range(i + 1, than) if self.ms[k].kind == "column" and not self.ms[k].used]
            before = self.prv(i, skip=("stop", "filler"))
            if between:
                measure_index = between[0]
            elif self.m(before) is not None and self.ms[before].kind == "column" and not self.ms[before].used:
                measure_index = before
            else:
                continue
            column = self._numeric_first(self.ms[measure_index])
            anchor_column, anchor_value = anchor.values[0]
            if not (column.numeric or column.temporal) or column is anchor_column:
                continue
            for k in {i, than, anchor_index, measure_index}:
                self.ms[k].used = True
            if column.rank_like and m.has("sup"):
                op = "<" if op == ">" else ">"  # "ranked higher than X": a smaller rank number
            self._compare_with_row(anchor_column, anchor_value, Expr(column), op)
            return

    def _compare_with_row(self, anchor_column: ColumnRef, anchor_value: Any, measure: Expr, op: str) -> None:
        self.plan.row_comparison = RowComparison(Cond(Expr(anchor_column), "=", [anchor_value]), measure, op)

    def _check_row_comparison(self) -> None:
        """The named row must be one row: `France` in a table of countries by year needs a year."""
        comparison = self.plan.row_comparison
        if comparison is None or comparison.anchor.expr.column.unique or comparison.anchor_filters(self.plan):
            return
        value = comparison.anchor.values[0]
        raise Unplaced(
            [str(value)],
            f"'{value}' has several rows in {comparison.anchor.expr.column.name}; say which one to compare with "
            "(a year, for instance).",
        )

    def _connector(self, previous_end: int, start: int) -> str | None:
        if previous_end < 0:
            return None
        between = self.ms[previous_end + 1 : start]
        if any(x.kind == "kw" and x.has("or") for x in between):
            return "or"
        if any(x.kind == "kw" and x.has("and") for x in between) or any(x.low == "," for x in between):
            return "and"
        return None

    def _operator_before(self, i: int) -> tuple[str | None, int | None, str | None, bool]:
        """(op, index of the operator mention, implied concept, operator said explicitly)."""
        k = i - 1
        saw_than = False
        steps = 0
        self.inner_subject = None
        adjacent = True  # only "than"/"of"/articles may separate that column from the number
        while k >= 0 and steps < 4:
            m = self.ms[k]
            if m.kind == "stop" or m.kind == "punct":
                saw_than = saw_than or m.low == "than"
                if m.kind == "punct" and m.low in ",;.?!":
                    break
                adjacent = adjacent and m.low in _NUMBER_LINKS
                k -= 1
                continue
            if m.kind == "column" and not m.used and steps == 0 and self.inner_subject is None and adjacent:
                # "above age 20", "a greater weight than 10": the column sits between operator and number
                self.inner_subject = k
                k -= 1
                steps += 1
                continue
            if m.kind == "kw" and not m.used:
                if m.has("cmpcol"):
                    op, concept = m.payload("cmpcol")
                    return self._maybe_negate(k, op), k, concept, True
                if m.has("cmp"):
                    return self._maybe_negate(k, m.payload("cmp")), k, None, True
                if m.has("between"):
                    return "between", k, None, True
                if saw_than and m.has("sup"):
                    return (">" if m.payload("sup") == "desc" else "<"), k, None, True
                if m.has("neg"):
                    return "!=", k, None, True
                if m.has("or") or m.has("and"):
                    return None, None, None, False
            if m.kind in ("filler",):
                k -= 1
                continue
            break
        self.inner_subject = None
        return None, None, None, False

    def _maybe_negate(self, k: int, op: str) -> str:
        before = self.prv(k, skip=("stop",))
        if self.is_kw(before, "neg") and not self.ms[before].used:
            self.ms[before].used = True
            return {">": "<=", "<": ">=", ">=": "<", "<=": ">", "=": "!=", "!=": "="}[op]
        return op

    def _between_second(self, i: int) -> int | None:
        j = self.nxt(i, skip=("stop", "punct"))
        if j is not None and (self.is_kw(j, "and") or self.ms[j].low == "to"):
            k = self.nxt(j, skip=("stop",))
            if k is not None and self.ms[k].kind == "number":
                return k
        if j is not None and self.ms[j].kind == "number":
            return j
        k = i + 1
        if k < len(self.ms) and self.ms[k].low == "to":
            k2 = self.nxt(k, skip=("stop",))
            if k2 is not None and self.ms[k2].kind == "number":
                return k2
        return None

    def _number_subject(
        self, i: int, op_index: int | None, concept: str | None, after: int | None, number: float, explicit: bool
    ) -> tuple[Expr, bool] | None:
        inner = self.m(self.inner_subject)
        if inner is not None and inner.kind == "column" and not inner.used:
            inner.used = True
            self.inner_subject = None
            return Expr(self._numeric_first(inner)), False
        after_m = self.m(after)
        # "more than one employee": a count of rows per group
        if after_m is not None and after_m.kind == "table" and explicit:
            after_m.used = True
            return COUNT_ROWS, True
        if after_m is not None and after_m.kind == "column" and after_m.also_table and explicit and not after_m.column.numeric:
            after_m.used = True
            return COUNT_ROWS, True
        # "more than 4 cylinders", "8 cylinders"
        if after_m is not None and after_m.kind == "column" and not after_m.used:
            numeric = [c for c in after_m.columns if c.numeric]
            if numeric:
                after_m.used = True
                return Expr(numeric[0]), False
            if explicit:
                after_m.used = True
                return Expr(after_m.column, "count", distinct=True), True
        # "age above 20", "grade 10", "average life expectancy longer than 72"
        start = op_index if op_index is not None else i
        subject = self._column_before(start, allow_gap=explicit)
        if subject is not None:
            return subject
        if concept is not None:
            columns = self.schema.concept_columns(concept)
            if columns:
                return Expr(self._prefer_mentioned(columns)), False
        if self._looks_like_year(number) and (concept == "time" or self._year_preposition(i)):
            columns = self.schema.concept_columns("time")
            if columns:
                return Expr(self._prefer_mentioned(columns)), False
        return None

    def _column_before(self, start: int, *, allow_gap: bool) -> tuple[Expr, bool] | None:
        k = start - 1
        gap = 0
        while k >= 0 and gap <= (3 if allow_gap else 1):
            m = self.ms[k]
            if m.kind in ("stop", "punct", "filler") or (m.kind == "kw" and m.has("neg")):
                if m.kind == "punct" and m.low == ",":
                    return None
                if not allow_gap and m.kind == "stop" and m.low not in _EQUALITY_LINKS:
                    return None  # "per continent in 2007": the year is not a continent
                k -= 1
                continue
            if m.kind == "column" and not m.used:
                numeric = [c for c in m.columns if c.numeric or c.temporal] or m.columns
                agg_index = self.prv(k)
                m.used = True
                if self.is_kw(agg_index, "agg") and not self.ms[agg_index].used:
                    self.ms[agg_index].used = True
                    return Expr(numeric[0], self.ms[agg_index].payload("agg")), True
                return Expr(numeric[0]), False
            if m.kind == "column" and m.used:
                return None
            if m.kind == "kw" and (m.has("count") and not m.used):
                m.used = True
                return COUNT_ROWS, True
            gap += 1
            k -= 1
            if m.kind in ("table", "value", "number", "kw"):
                if m.kind == "value" and allow_gap:
                    return self._aggregate_before(k)  # "the average life expectancy in Europe above 70"
                if m.kind != "kw":
                    return None
        return None

    def _aggregate_before(self, k: int) -> tuple[Expr, bool] | None:
        """An aggregated column said before the filters: the comparison tests the aggregate."""
        while k >= 0 and self.ms[k].kind in ("stop", "value", "punct"):
            k -= 1
        m = self.m(k)
        agg_index = self.prv(k) if k >= 0 else None
        if m is None or m.kind != "column" or m.used or not self.is_kw(agg_index, "agg") or self.ms[agg_index].used:
            return None
        m.used = self.ms[agg_index].used = True
        return Expr(self._numeric_first(m), self.ms[agg_index].payload("agg")), True

    def _prefer_mentioned(self, columns: list[ColumnRef]) -> ColumnRef:
        for m in self.ms:
            if m.kind == "column" and not m.used:
                for column in m.columns:
                    if column in columns:
                        m.used = True
                        return column
        return columns[0]

    @staticmethod
    def _looks_like_year(number: float) -> bool:
        return number == int(number) and 1000 <= number <= 2200

    def _year_preposition(self, i: int) -> bool:
        if i == 0:
            return True
        return self.ms[i - 1].low in _YEAR_PREPOSITIONS or self.is_kw(i - 1, "or", "and") or self.ms[i - 1].kind == "punct"

    def _positions(self) -> None:
        for i, m in enumerate(self.ms):
            if m.used or m.kind != "kw" or not m.has("position"):
                continue
            anchors = [k for k in range(i + 1, len(self.ms)) if self.ms[k].kind == "value" and not self.ms[k].used]
            anchors += [k for k in range(i) if self.ms[k].kind == "value" and not self.ms[k].used]
            if not anchors:
                continue
            column, value = self._choose_value_column(anchors[0])
            self.ms[anchors[0]].used = True
            offset = m.payload("position")
            for other in self.ms:
                if other.kind == "kw" and other.payload("position") == offset:
                    other.used = True  # "the next episode after X" says it twice
            self.plan.position = (Cond(Expr(column), "=", [value]), offset)
            return

    # ------------------------------------------------------------------ values
    def _values(self) -> None:
        for i, m in enumerate(self.ms):
            if m.kind != "value" or m.used:
                continue
            column, value = self._choose_value_column(i)
            m.used = True
            op = "!=" if self._negated_before(i) else "="
            same = [
                (k, group)
                for k, group in enumerate(self.plan.where)
                if all(c.expr.column is column and c.op in ("=", "!=") and not c.year_of for c in group)
            ]
            cond = Cond(Expr(column), op, [value])
            if same and op == "=" and all(c.op == "=" for c in self.plan.where[same[0][0]]):
                self.plan.where[same[0][0]].append(cond)
            else:
                self._add_cond(i, cond)

    def _choose_value_column(self, i: int) -> tuple[ColumnRef, Any]:
        m = self.ms[i]
        options = m.values
        before = self.prv(i, skip=("stop", "filler", "punct"))
        if self.is_kw(before, "neg") or (self.m(before) is not None and self.ms[before].payload("cmp") == "!="):
            before = self.prv(before, skip=("stop", "filler", "punct"))
        if self.is_kw(before, "between") and self.ms[before].low == "from":
            before = self.prv(before, skip=("stop", "filler", "punct"))  # "flights departing from APG"
        neighbours = [before, self.nxt(i, skip=("stop", "filler"))]
        for k in neighbours:
            near = self.m(k)
            if near is not None and near.kind in ("column", "table") and not near.used:
                fitting = [(column, value) for column, value in options if column in near.columns]
                if len(fitting) > 1:
                    fitting = self._narrowed_by_words_before(k, fitting)
                if fitting:
                    near.used = True
                    return fitting[0]
        if len(options) > 1:
            window = self.tokens[max(0, m.start - 3) : m.start]
            for column, value in options:
                for token in window:
                    if any(matcher.matches(token.forms, token.low) for matcher in column.words):
                        return column, value
            self.plan.notes.append(
                f"'{m.text}' appears in several columns ({', '.join(c.name for c, _ in options)}); "
                f"filtered on {options[0][0].name}."
            )
        return options[0]

    def _narrowed_by_words_before(self, k: int, fitting: list[tuple[ColumnRef, Any]]) -> list[tuple[ColumnRef, Any]]:
        """`arriving at airport APG`: `airport` fits two columns, `arriving` says which."""
        before = self.prv(k, skip=("stop", "filler", "punct"))
        mention = self.m(before)
        if mention is not None and mention.kind == "column" and not mention.used:
            narrowed = [(column, value) for column, value in fitting if column in mention.columns]
            if narrowed:
                mention.used = True
                return narrowed
        return fitting

    def _negated_before(self, i: int) -> bool:
        k = i - 1
        steps = 0
        while k >= 0 and steps < 4:
            m = self.ms[k]
            if m.kind == "kw" and not m.used and (m.has("neg") or m.payload("cmp") == "!="):
                m.used = True
                return True
            if m.kind in ("value", "number") or (m.kind == "kw" and (m.has("and") or m.has("or"))):
                return False
            if m.kind not in ("stop", "filler", "punct"):
                steps += 1
            k -= 1
        return False

    def _add_cond(self, i: int, cond: Cond, *, join_previous: bool = False) -> None:
        if join_previous and self.plan.where:
            self.plan.where[-1].append(cond)
            return
        if cond.op == "=":
            for group in self.plan.where:
                if all(c.op == "=" and c.expr.key() == cond.expr.key() and c.year_of == cond.year_of for c in group):
                    group.append(cond)  # "seasons 2006 and 2007": one column cannot equal both
                    return
        self.plan.where.append([cond])

    def _booleans(self) -> None:
        for i, m in enumerate(self.ms):
            if m.kind != "column" or m.used:
                continue
            flags = [c for c in m.columns if c.boolean_values is not None]
            if not flags:
                continue
            before = self.m(i - 1)
            cue = before is not None and (
                before.low in _RELATIVE_CUES or before.kind in ("table", "filler", "value") or (before.kind == "kw" and before.has("neg"))
            )
            count_before = self.is_kw(self.prv(i), "count")
            if not (cue or count_before) and not m.low.endswith("s"):
                continue
            if not (cue or count_before):
                continue
            column = flags[0]
            truthy, falsy = column.boolean_values  # type: ignore[misc]
            negated = self._negated_before(i)
            m.used = True
            self._add_cond(i, Cond(Expr(column), "=", [falsy if negated else truthy]))
            if count_before:
                self.count_requested = True
                self.ms[self.prv(i)].used = True

    def _absences(self) -> None:
        """`drivers with no laps led`, `designers who do not have a publication`: the column is empty."""
        for i, m in enumerate(self.ms):
            if m.used or m.kind != "kw" or not m.has("neg"):
                continue
            j = self.nxt(i, skip=("stop", "filler"))
            target = self.m(j)
            if target is None or target.kind != "column" or target.used:
                continue
            follower = self.m(self.nxt(j, skip=("stop", "filler")))
            if follower is not None and follower.kind in ("value", "number", "quoted"):
                continue
            m.used = target.used = True
            self._add_cond(i, Cond(Expr(target.column), "empty", []))

    # ------------------------------------------------------------------ superlatives
    def _superlatives(self) -> None:
        for i, m in enumerate(self.ms):
            if m.used or m.kind != "kw":
                continue
            if m.has("common"):
                self._most_common(i, m.payload("common") == "desc")
            elif m.has("supcol"):
                self._superlative_concept(i)
            elif m.has("sup") and not (m.has("agg") and not self._after_with(i)):
                self._superlative(i, m.payload("sup") == "desc")

    def _after_with(self, i: int) -> bool:
        """`the stadium with the maximum capacity` picks a row; `the maximum capacity` aggregates."""
        k = i - 1
        while k >= 0 and self.ms[k].low in ("the", "a"):
            k -= 1
        return k >= 0 and self.ms[k].low in ("with", "has", "have", "had", "having", "by")

    def _most_common(self, i: int, descending: bool) -> None:
        m = self.ms[i]
        target = None
        for k in (self.nxt(i, skip=("stop", "punct", "filler")), self.prv(i, skip=("stop", "punct", "filler"))):
            near = self.m(k)
            if near is not None and near.kind == "column":
                target = near
                break
        m.used = True
        if target is not None:
            target.used = True
            self.plan.add_select(Expr(target.column))
            self.plan.group.append(Expr(target.column))
        self.count_order = (descending, COUNT_ROWS)
        self.plan.limit = self._superlative_limit()

    def _superlative_concept(self, i: int) -> None:
        m = self.ms[i]
        direction, concept = m.payload("supcol")
        descending = direction == "desc"
        column: ColumnRef | None = None
        if (m.has("top") or m.has("bottom")) and self._about_the_listing():
            # "the first name listed", "the last match on the chart": the file's own order
            m.used = True
            self.plan.file_order = (descending, self.pending_limit or 1)
            self._asked_value(i)
            return
        # an explicit column next to the adjective wins ("first ... to register" -> date_first_registered)
        for k in range(i + 1, min(len(self.ms), i + 6)):
            near = self.ms[k]
            if near.kind == "column" and not near.used:
                fitting = [
                    c
                    for c in near.columns
                    if (c.numeric or c.temporal) and (c.has_concept(concept) or (concept == "time" and c.temporal))
                ]
                if fitting:
                    column = fitting[0]
                    near.used = True
                    break
        following = self.m(self.nxt(i, skip=("stop",)))
        if column is None and following is not None and following.kind == "column" and not following.used:
            measures = [c for c in following.columns if c.numeric or c.temporal]
            if measures and not self.schema.concept_columns(concept):
                # "the shortest life expectancy": the adjective only says which end
                column = measures[0]
                following.used = True
        if column is None:
            candidates = self.schema.concept_columns(concept)
            if not candidates and concept == "age":
                born = [c for c in self.schema.columns if "birth" in c.word_set and (c.temporal or c.numeric)]
                if born:
                    candidates, descending = born, not descending
            if not candidates:
                if m.has("top") or m.has("bottom"):
                    # "the last representative listed": the last row in the file's order
                    m.used = True
                    self.plan.file_order = (descending, self.pending_limit or 1)
                return
            column = self._prefer_mentioned(candidates)
        m.used = True
        self.plan.order.append((Expr(column), descending))
        self.plan.limit = self._superlative_limit()
        self._asked_value(i)

    def _about_the_listing(self) -> bool:
        """The question is about the table as it is laid out: `listed`, `on the list/chart/table`."""
        for k, m in enumerate(self.ms):
            if m.low in ("listed", "listing") or (m.low in ("list", "chart", "table") and k > 0 and self.ms[k - 1].low == "the"):
                if m.kind in ("filler", "stop", "unknown", "table"):
                    m.used = True
                    return True
        return False

    def _asked_value(self, i: int) -> None:
        """`what is the first year?`, `what was the highest score?`: the superlative's own column is
        the answer, not the row's name."""
        if any(m.kind not in ("stop", "punct") for m in self.ms[: i]) or self.ms[0].low not in ("what", "which", "when"):
            return
        column = self.m(self.nxt(i, skip=("stop",)))
        if column is not None and column.kind == "column" and self.nxt(self.ms.index(column), skip=("stop", "punct", "filler")) is None:
            self.asked_value = column.column

    def _superlative(self, i: int, descending: bool) -> None:
        m = self.ms[i]
        j = self.nxt(i, skip=("stop", "punct", "filler"))
        near = self.m(j)
        if near is not None and near.kind == "kw" and near.has("count") and near.columns and not near.used:
            after_count = self.m(self.nxt(j, skip=("punct", "filler")))
            if after_count is None or after_count.low not in ("of",):
                near.used = m.used = True  # "the highest count" where count is a column
                self.plan.order.append((Expr(near.columns[0]), descending))
                self.plan.limit = self._superlative_limit()
                return
        if near is not None and near.kind == "kw" and near.has("count") and not near.used:
            near.used = True
            k = self.nxt(j, skip=("stop", "punct", "filler", "kw"))
            target = self.m(k)
            if target is not None and target.kind in ("table",):
                target.used = True
            elif target is not None and target.kind == "column" and not target.used:
                if not target.also_table:
                    target.used = True
                    m.used = True
                    self.count_order = (descending, Expr(target.column, "count", distinct=True))
                    self.plan.limit = self._superlative_limit()
                    return
                target.used = True
            m.used = True
            self.count_order = (descending, COUNT_ROWS)
            self.plan.limit = self._superlative_limit()
            return
        if near is not None and near.kind == "kw" and near.has("distinct") and not near.used:
            near.used = True
            j = self.nxt(j, skip=("stop", "punct", "filler"))
            near = self.m(j)
        names_rows = near is not None and (
            near.kind == "table" or (near.kind == "column" and near.also_table and not near.column.numeric_measure)
        )  # "the biggest tip" in a table of tips is the largest amount, not the largest party
        if names_rows and m.low in SIZE_ADJECTIVES and not near.row_noun:
            sizes = self.schema.concept_columns("size") or self.schema.concept_columns("population")
            if sizes:  # "the 5 largest countries": by their area (or population), not by a count
                near.used = m.used = True
                self.plan.order.append((Expr(self._prefer_mentioned(sizes)), descending))
                self.plan.limit = self._superlative_limit()
                return
        if near is not None and near.kind == "table":
            near.used = m.used = True
            self.count_order = (descending, COUNT_ROWS)
            self.plan.limit = self._superlative_limit()
            return
        if near is not None and near.kind == "kw" and near.has("agg") and not near.used:
            k = self.nxt(j, skip=("stop", "punct", "filler"))
            target = self.m(k)
            if target is not None and target.kind == "column" and not target.used:
                near.used = target.used = m.used = True
                self.count_order = (descending, Expr(self._numeric_first(target), near.payload("agg")))
                self.plan.limit = self._superlative_limit()
                return
        if near is not None and near.kind == "kw" and near.has("agg") and near.columns and not near.used:
            # "the highest total" where `total` is a column
            near.used = m.used = True
            self.plan.order.append((Expr(near.columns[0]), descending))
            self.plan.limit = self._superlative_limit()
            return
        if near is not None and near.kind == "column" and not near.used and not any(c.numeric or c.temporal for c in near.columns):
            # "the most medals" where medal is a label: the most rows; "the continent with the most
            # countries" where countries repeat within a continent: the most distinct countries
            near.used = m.used = True
            subject = self._repeating_target(i)
            counted = near.column
            finer = (
                subject is not None
                and subject is not counted
                and (counted.info.distinct_count or 0) > (subject.info.distinct_count or 0)
                and not counted.unique
            )
            self.count_order = (descending, Expr(counted, "count", distinct=True) if finer else self._count_expr())
            self.plan.limit = self._superlative_limit()
            return
        if (near is None or near.kind in ("punct", "kw", "stop")) and self._column_just_before(i) is not None:
            near = self._column_just_before(i)
        if near is not None and near.kind == "column" and not near.used:
            if self._is_comparison_after(i):
                return
            near.used = m.used = True
            column = self._numeric_first(near)
            if column.rank_like:
                descending = not descending  # "the highest position" is number 1
            group_target = self._repeating_target(i)
            if group_target is not None and column.numeric_measure and group_target is not column:
                # "which continent has the largest population": continents repeat, so compare totals
                agg = "sum" if column.words[-1].word in _ADDITIVE_WORDS else "avg"
                self.count_order = (descending, Expr(column, agg))
                self.plan.limit = self._superlative_limit()
                return
            self.plan.order.append((Expr(column), descending))
            self.plan.limit = self._superlative_limit()
            return
        if near is not None and near.kind == "kw" and near.has("share") and near.columns and not near.used:
            near.used = m.used = True
            self.plan.order.append((Expr(near.columns[0]), descending))
            self.plan.limit = self._superlative_limit()
            return
        if (near is None or near.kind == "punct") and m.low in ("the most", "most", "the least", "least", "the fewest", "fewest"):
            # "which position was drafted the most": the label with the most rows
            m.used = True
            self.count_order = (descending, self._count_expr())
            self.plan.limit = self._superlative_limit()

    def _repeating_target(self, i: int) -> ColumnRef | None:
        """The label a `which X has the highest Y` question asks for, when X repeats across rows."""
        for k in range(i):
            m = self.ms[k]
            if m.kind == "column" and not m.used:
                column = m.column
                repeats = column.info.distinct_count is not None and column.info.distinct_count * 2 <= self.schema.table.row_count
                if column.text and repeats and not column.name_like:
                    return column
                return None
        return None

    def _column_just_before(self, i: int) -> Mention | None:
        """The adjective follows its column: `When was MSFT highest?`, `the singer who is worth the
        most`, `the shop whose number of products is the largest`."""
        k = i - 1
        while k >= 0 and self.ms[k].low in ("the", "a"):
            k -= 1
        said_with_be = k >= 0 and self.ms[k].low in _BE_WORDS
        if said_with_be:
            k -= 1  # "X is the largest"
        before = self.m(k)
        if before is None or before.kind != "column" or before.used or not any(c.numeric or c.temporal for c in before.columns):
            return None
        if k == i - 1 or said_with_be or self.ms[k - 1].low in _BE_WORDS:
            return before
        return None

    def _count_expr(self) -> Expr:
        """What `how many` adds up: the rows, or a column that already holds counts."""
        counts = [c for c in self.schema.columns if c.numeric and c.name.strip().lower() in _COUNT_COLUMN_NAMES]
        return Expr(counts[0], "sum") if counts and not self.rows_counted else COUNT_ROWS

    def _numeric_first(self, mention: Mention) -> ColumnRef:
        ranked = [c for c in mention.columns if c.numeric or c.temporal] or mention.columns
        return ranked[0]

    # ------------------------------------------------------------------ counts and aggregates
    def _counts_and_aggregates(self) -> None:
        i = 0
        while i < len(self.ms):
            m = self.ms[i]
            if m.used or m.kind != "kw":
                i += 1
                continue
            if m.has("agg") and not (m.has("sup") and self._is_comparison_after(i)):
                i = self._aggregate_list(i)
                continue
            if m.has("count"):
                self._count(i)
            i += 1

    def _aggregate_list(self, i: int) -> int:
        aggs = [i]
        j = i
        while True:
            k = self.nxt(j, skip=("stop", "punct"))
            if k is not None and self.is_kw(k, "and", "or"):
                k2 = self.nxt(k, skip=("stop", "punct"))
                if self.is_kw(k2, "agg") and not self.ms[k2].used:
                    aggs.append(k2)
                    self.ms[k].used = True
                    j = k2
                    continue
            if k is not None and self.ms[k - 1].kind == "punct" and self.is_kw(k, "agg") and not self.ms[k].used:
                aggs.append(k)
                j = k
                continue
            break
        target_index = self.nxt(j, skip=("stop", "punct", "filler"))
        target = self.m(target_index)
        if target is not None and target.kind == "kw" and target.has("count") and not target.used and not target.columns:
            # "average number of staff": the column holding that number
            nxt = self.m(self.nxt(target_index, skip=("punct", "filler")))
            if nxt is not None and nxt.kind == "column" and not nxt.used:
                target.used = True
                target = nxt
                target_index = self.ms.index(nxt)
        if target is not None and target.kind == "kw" and (target.has("share") or target.has("count")) and target.columns and not target.used:
            target.used = True
            for a in aggs:
                self.ms[a].used = True
                self.plan.add_select(Expr(target.columns[0], self.ms[a].payload("agg")))
            return (target_index or j) + 1
        if target is not None and target.kind == "column" and not target.used:
            target.used = True
            column = self._numeric_first(target)
            for a in aggs:
                self.ms[a].used = True
                self.plan.add_select(Expr(column, self.ms[a].payload("agg")))
            return (target_index or j) + 1
        # an aggregate word that is itself a column name ("the average" column)
        for a in aggs:
            if self.ms[a].columns:
                self.ms[a].used = True
                self.plan.add_select(Expr(self.ms[a].columns[0]))
        return j + 1

    def _count(self, i: int) -> None:
        m = self.ms[i]
        j = self.nxt(i, skip=("stop", "punct", "filler"))
        if self.is_kw(j, "agg") and self.ms[j].payload("agg") == "sum" and not self.ms[j].used:
            self.ms[j].used = True  # "how many total robots": `total` restates the count
            j = self.nxt(j, skip=("stop", "punct", "filler"))
        while self.m(j) is not None and self.ms[j].kind == "value" and self.ms[j].used:
            j = self.nxt(j, skip=("stop", "punct", "filler"))  # "how many Asian countries": the noun is counted
        distinct = False
        if self.is_kw(j, "distinct"):
            self.ms[j].used = True
            distinct = True
            j = self.nxt(j, skip=("stop", "punct", "filler"))
        target = self.m(j)
        m.used = True
        if target is not None and target.kind == "column" and not target.used and not target.also_table and not distinct:
            column = target.column
            if column.numeric_measure and not column.yearish and column.boolean_values is None:
                # "how many points", "how many people" (a population): the numbers add up
                target.used = True
                self.plan.add_select(Expr(column, "sum"))
                return
        if target is not None and target.kind == "column" and not target.used and not target.also_table:
            columns: list[Mention] = [target]
            k = j
            while True:
                a = self.nxt(k, skip=("stop", "punct"))
                b = self.nxt(a, skip=("stop", "punct")) if a is not None else None
                if a is not None and self.is_kw(a, "and") and self.m(b) is not None and self.ms[b].kind == "column" and not self.ms[b].used and distinct:
                    columns.append(self.ms[b])
                    self.ms[a].used = True
                    k = b
                    continue
                break
            for column_mention in columns:
                column_mention.used = True
                self.plan.add_select(Expr(column_mention.column, "count", distinct=True))
            return
        if target is not None and target.kind in ("table", "column") and not target.used:
            target.used = True
            self.rows_counted = self.rows_counted or target.row_noun
        self.count_requested = True

    def _shares(self) -> None:
        for i, m in enumerate(self.ms):
            if m.used or m.kind != "kw" or not m.has("share"):
                continue
            if m.columns and self._share_is_column(i):
                continue
            m.used = True
            self.plan.share = True
            nxt = self.m(self.nxt(i, skip=("stop", "punct", "filler")))
            if nxt is not None and nxt.kind == "column" and not nxt.used and nxt.column.numeric_measure:
                nxt.used = True
                self.plan.share_measure = nxt.column
            elif nxt is not None and nxt.kind == "table":
                nxt.used = True

    def _share_is_column(self, i: int) -> bool:
        before = self.m(self.prv(i))
        return before is not None and (before.kind == "kw" and (before.has("agg") or before.has("sup")))

    # ------------------------------------------------------------------ groups
    def _groups(self) -> None:
        for i, m in enumerate(self.ms):
            if m.used:
                continue
            if m.kind == "kw" and m.has("group"):
                j = self.nxt(i, skip=("stop", "punct", "filler"))
                if self.is_kw(j, "distinct"):
                    self.ms[j].used = True
                    j = self.nxt(j, skip=("stop", "punct", "filler"))
                target = self.m(j)
                m.used = True
                if target is not None and target.kind == "column" and not target.used and not target.also_table:
                    target.used = True
                    self._group_by(target.column)
                    self._more_group_columns(j)
                elif target is not None and target.kind == "table":
                    target.used = True
                elif target is None or target.kind in ("kw", "punct"):
                    self.group_all = True
            elif m.kind == "stop" and m.low == "by":
                j = self.nxt(i, skip=("stop",))
                target = self.m(j)
                verb_before = i > 0 and self.ms[i - 1].kind == "filler"
                if target is not None and target.kind == "column" and not target.used and self._has_aggregate() and not verb_before:
                    target.used = m.used = True
                    self._group_by(target.column)
                    self._more_group_columns(j)

    def _more_group_columns(self, j: int) -> None:
        """`by sex and smoker`: every listed column is a group key."""
        while True:
            joiner = self.nxt(j, skip=("stop",))
            nxt = self.nxt(joiner, skip=("stop",)) if joiner is not None else None
            if joiner is None or not (self.is_kw(joiner, "and") or self.ms[joiner].low == ","):
                return
            target = self.m(nxt)
            if target is None or target.kind != "column" or target.used:
                return
            target.used = True
            self.ms[joiner].used = True
            self._group_by(target.column)
            j = nxt

    def _has_aggregate(self) -> bool:
        return self.count_requested or any(e.agg for e in self.plan.select) or self.plan.share

    def _group_by(self, column: ColumnRef) -> None:
        expr = Expr(column)
        if all(g.key() != expr.key() for g in self.plan.group):
            self.plan.group.append(expr)
        self.plan.add_select(expr)

    def _buckets(self) -> None:
        for m in self.ms:
            if m.used or m.kind != "kw" or not (m.has("bucket") or m.has("trend")):
                continue
            unit = m.payload("bucket")
            columns = self._time_columns()
            if not columns:
                continue
            m.used = True
            column = columns[0]
            expr = Expr(column, bucket=unit) if column.temporal and unit else Expr(column)
            self.plan.group.append(expr)
            self.plan.add_select(expr)
            if column.temporal or column.yearish:
                self.plan.order.append((expr, False))
            self.trend = True

    def _time_columns(self) -> list[ColumnRef]:
        mentioned = [c for m in self.ms if m.kind == "column" for c in m.columns if c.temporal or c.yearish]
        for m in self.ms:
            if m.kind == "column" and not m.used and any(c in mentioned for c in m.columns):
                m.used = True
        return mentioned or self.schema.concept_columns("time")

    def _wh(self) -> None:
        for i, m in enumerate(self.ms[:3]):
            if m.used or m.kind != "kw" or not m.has("wh"):
                continue
            if any(x.kind != "stop" for x in self.ms[:i]):
                continue  # "players who scored": a relative pronoun, not the question word
            concept = m.payload("wh")
            if concept == "person" and self.schema.display_column.name_like:
                self._who(m)
                continue
            if any(x.kind == "column" and not x.used for x in self.ms):
                m.used = True
                continue
            m.used = True
            if concept == "person":
                self.plan.add_select(Expr(self.schema.display_column))
            else:
                columns = self.schema.concept_columns(concept)
                if columns:
                    self.plan.add_select(Expr(columns[0]))

    def _who(self, m: Mention) -> None:
        """`who is ranked directly before X?`: a name is asked; verbs naming columns (`ranked`,
        `scored`) say how the person is found, they are not asked for."""
        m.used = True
        named = [x for x in self.ms if x.kind == "column" and not x.used and x.column is self.schema.display_column]
        for mention in named:
            mention.used = True
        asked = Expr(self.schema.display_column)
        self.plan.select = [asked, *(e for e in self.plan.select if e.key() != asked.key())]
        for x in self.ms:
            if x.kind == "column" and not x.used and x.end - x.start == 1 and _is_verb_form(x.low):
                x.used = True

    # ------------------------------------------------------------------ projection
    def _projection(self) -> None:
        first_aggregate = next(
            (k for k, x in enumerate(self.ms) if x.kind == "kw" and (x.has("count") or x.has("agg")) and x.used), None
        )
        for i, m in enumerate(self.ms):
            if m.used or m.kind != "column":
                continue
            m.used = True
            before = i - 1
            while before >= 0 and (self.ms[before].low in ("the", "a", "an") or (self.ms[before].kind == "value" and self.ms[before].used)):
                before -= 1  # "among (the) Asian countries"
            if m.also_table and before is not None and before >= 0 and self.ms[before].low in _OWNER_CUES:
                continue  # "formats of orchestras": the rows, not the Orchestra column
            if i >= 2 and self.ms[i - 1].low == "all" and self.ms[i - 2].low in ("across", "over", "in", "throughout"):
                continue  # "finishes across all events": every event together, not one row per event
            if (
                first_aggregate is not None
                and i > first_aggregate
                and m.column.is_id
                and not self.plan.group
                and not self.group_all
            ):
                continue  # "how many professionals treated dogs": dogs only say how they relate
            if m.coverage < 1.0 and any(c.expr.column is m.column and c.op != "distinct" for group in self.plan.where for c in group):
                continue  # "how many teams played only one season": `played` is the filtered column again
            distinct = self.is_kw(self.prv(i, skip=("stop", "punct", "filler")), "distinct")
            if distinct:
                self.ms[self.prv(i, skip=("stop", "punct", "filler"))].used = True
                self.plan.distinct = True
            for column in self._projected_columns(m):
                if self.trend and column.numeric_measure:
                    self.plan.add_select(Expr(column, "sum" if column.words[-1].word in _ADDITIVE_WORDS else "avg"))
                else:
                    self.plan.add_select(Expr(column))
        for m in self.ms:
            if m.kind == "kw" and m.has("distinct") and not m.used:
                m.used = True
                if self.plan.select and not any(e.agg for e in self.plan.select):
                    self.plan.distinct = True

    def _projected_columns(self, m: Mention) -> list[ColumnRef]:
        """A generic word (`name`) that fits several columns equally shows them all."""
        best = m.columns[0]
        ties = [c for c in m.columns if len(c.words) == len(best.words)]
        if len(ties) > 1 and len(best.words) > 1 and best.name_like:
            return ties[:3]
        return [best]

    def _leave_out_summary_rows(self) -> None:
        """A `Total` line would win every superlative and double every sum: leave it out, unless
        the question names it."""
        named = {(id(column), value) for m in self.ms if m.kind == "value" for column, value in m.values}
        for column, value in self.summary_rows:
            if (id(column), value) in named:
                continue
            self.plan.where.append([Cond(Expr(column), "distinct", [value])])
            self.plan.notes.append(f"Left out the row where {column.name} is '{value}' (it sums up the others).")

    def _label_named_values(self) -> None:
        """Values named together: compared (`smokers vs non-smokers`), each gets its own aggregate;
        otherwise one figure covers them all (`the average population of Acre, Ariel and Dimona`).
        Numbers listed for values that each cover many rows say whose they are."""
        plan = self.plan
        if plan.group or plan.star or not plan.select:
            return
        words = {t.low for t in self.tokens}
        aggregated = any(e.agg for e in plan.select)
        if aggregated and (not all(e.agg for e in plan.select) or not words & _COMPARING_WORDS):
            return
        if not aggregated and (words & _COMBINING_WORDS or not any(e.column is not None and e.column.numeric for e in plan.select)):
            return
        for group in plan.where:
            columns = {id(c.expr.column): c.expr.column for c in group if c.op == "=" and c.expr.column is not None}
            if len(group) < 2 or len(columns) != 1 or len(group) != sum(c.op == "=" for c in group):
                continue
            column = next(iter(columns.values()))
            if aggregated:
                plan.group.append(Expr(column))
                plan.select.insert(0, Expr(column))
            elif not column.unique and all(e.column is not column for e in plan.select):
                plan.select.insert(0, Expr(column))
            return

    def _categories_once(self) -> None:
        """`species with petal length above 5` lists each species once, not once per flower."""
        plan = self.plan
        if plan.group or plan.star or plan.order or plan.limit or plan.file_order or len(plan.select) != 1:
            return
        (shown,) = plan.select
        column = shown.column
        if shown.agg is None and column is not None and column.text and column.category:
            plan.distinct = True

    def _check_measures(self) -> None:
        """Adding up text, or comparing it with a number, means the question was misread: say so
        rather than send the database SQL it rejects."""
        plan = self.plan
        if any(expr.agg == "count" for expr in plan.select):
            # "how many total robots are there": `total` restates the count, it adds nothing up
            added_text = {e.key() for e in plan.select if e.agg == "sum" and e.column is not None and not e.column.numeric}
            plan.select = [e for e in plan.select if e.key() not in added_text]
            plan.order = [(e, descending) for e, descending in plan.order if e.key() not in added_text]
        measures = [*plan.select, *(expr for expr, _ in plan.order), *(cond.expr for cond in plan.having)]
        if plan.difference is not None:
            measures += [plan.difference.first.measure, plan.difference.second.measure]
        for expr in measures:
            if expr.agg in _NUMBER_AGGREGATES and expr.column is not None and not expr.column.numeric:
                name = expr.column.name
                raise Unplaced([name], f"'{name}' holds text, not numbers: it cannot be added up or averaged. "
                               f"Ask how many rows there are, or name a numeric column.")
        for cond in (cond for group in plan.where for cond in group):
            column = cond.expr.column
            compares_numbers = cond.op in _ORDER_OPS and all(isinstance(v, int | float) for v in cond.values)
            if (compares_numbers and column is not None and cond.expr.agg is None and cond.other is None
                    and not cond.year_of and column.text and not column.numeric):
                raise Unplaced([column.name], f"'{column.name}' holds text, so it cannot be compared with a number. "
                               f"Name a numeric or date column to compare.")

    def _finish(self) -> None:
        self._leave_out_summary_rows()
        plan = self.plan
        if plan.difference is not None:
            plan.select, plan.order, plan.limit, plan.group = [], [], None, []
            return  # the answer is the difference (or the comparison) itself
        plain = [e for e in plan.select if e.agg is None]
        yes_no_over_all_rows = plan.answer == "yes_no" and bool(plan.having) and not plan.group
        if self.count_requested:
            plan.add_select(COUNT_ROWS)
        for expr, _ in plan.order:
            if expr.agg in _AGG_WORDS:
                plan.add_select(expr)  # "order the continents by average life expectancy" shows it
        self._superlative_among_aggregates()
        has_agg = any(e.agg for e in plan.select)
        if self.count_requested and COUNT_ROWS.key() != self._count_expr().key():
            plan.select = [self._count_expr() if e.key() == COUNT_ROWS.key() else e for e in plan.select]
        if self.count_order is not None:
            descending, expr = self.count_order
            if not plan.group:
                targets = plain or self._yes_no_subject() or [Expr(self.schema.display_column)]
                for t in targets:
                    plan.group.append(t)
                    plan.add_select(t)
            plan.order.insert(0, (expr, descending))
            plan.add_select(expr)
            plan.order.extend((g, descending) for g in plan.group)  # ties broken the same way every time
        elif (has_agg or plan.having or self.group_all) and plain and not plan.group:
            plan.group = list(plain)
        if plan.group:
            for e in plain:
                if all(g.key() != e.key() for g in plan.group):
                    plan.group.append(e)  # every shown column is either grouped or aggregated
        if plan.having and not plan.group and not yes_no_over_all_rows:
            targets = plain or [Expr(self.schema.display_column)]
            plan.group = list(targets)
            for t in targets:
                plan.add_select(t)
        if plan.share:
            plan.share_filter = plan.where if not plan.group else []
            if not plan.group:
                plan.where = []
        if not plan.select and not plan.star and not plan.share:
            rows_asked = any(m.kind == "table" and m.row_noun for m in self.ms)
            if self.asked_value is not None:
                plan.add_select(Expr(self.asked_value))
            elif not rows_asked and self.schema.display_is_identifier and (plan.order or plan.where or plan.row_comparison or self._mentions_table()):
                plan.add_select(Expr(self.schema.display_column))
            elif rows_asked or not plan.order:
                plan.star = True
        self._label_named_values()
        self._categories_once()
        # resolve "order by whatever is shown"
        resolved = []
        for expr, descending in plan.order:
            if expr is ORDER_BY_SHOWN:
                shown = [e for e in plan.select if e.agg is None and e.column is not None]
                counted = [e for e in plan.select if e.agg]
                if plan.group and counted and not shown:
                    resolved.append((counted[0], descending))
                elif shown:
                    texty = [e for e in shown if e.column.text] or shown
                    resolved.append((texty[0], descending))
                continue
            if expr is ORDER_BY_SHOWN_MEASURE:
                counted = [e for e in plan.select if e.agg]
                shown = [e for e in plan.select if e.agg is None and e.column is not None]
                measures = [e for e in shown if e.column.numeric or e.column.temporal]
                chosen = (counted if plan.group else []) or measures or counted or shown
                if chosen:
                    resolved.append((chosen[0], descending))
                continue
            resolved.append((expr, descending))
        plan.order = []
        for expr, descending in (self._prefer_group_column(expr, descending) for expr, descending in resolved):
            if all(expr.key() != kept.key() for kept, _ in plan.order):
                plan.order.append((expr, descending))
        if self.pending_limit and plan.limit is None:
            plan.limit = self.pending_limit
            if not plan.order and self.pending_dir is not None:
                measures = [e for e in plan.select if e.column is not None and e.column.numeric_measure]
                if measures:
                    plan.order.append((measures[0], self.pending_dir))
        # show what the rows were ordered by, next to what was asked
        if not plan.group and not plan.distinct and not plan.star and not any(e.agg for e in plan.select):
            for expr, _ in plan.order:
                plan.add_select(expr)
        if plan.group and not plan.share:
            self._order_groups()
            # the labels first, then the measures: tables and charts read left to right
            plan.select = [e for e in plan.select if e.agg is None] + [e for e in plan.select if e.agg]

    def _yes_no_subject(self) -> list[Expr]:
        """`Was Sat the day with the highest total tip?`: days are compared, Sat is checked."""
        if self.plan.answer != "yes_no":
            return []
        named = [g[0].expr for g in self.plan.where if g[0].op == "=" and g[0].expr.column is not None and g[0].expr.column.text]
        return named[:1]

    def _superlative_among_aggregates(self) -> None:
        """`how many people live in Asia, and what is the largest GNP among them`: next to other
        totals, a superlative is the largest value, not the row that has it."""
        plan = self.plan
        if plan.group or self.count_order is not None or plan.limit != 1 or len(plan.order) != 1:
            return
        if not any(e.agg for e in plan.select) or any(e.agg is None for e in plan.select):
            return
        expr, descending = plan.order[0]
        if expr.agg is None and expr.column is not None and expr.column.numeric:
            plan.add_select(Expr(expr.column, "max" if descending else "min"))
            plan.order, plan.limit = [], None

    def _order_groups(self) -> None:
        """Grouped answers always come back in the same, sensible order unless the question gave one.

        Groups with a natural order (time, years, numbers such as a party size) are listed in that
        order; groups of labels are ranked by the first measure, largest first. The group keys
        break ties, so two runs never differ.
        """
        plan = self.plan
        keys = [(g, False) for g in plan.group]
        if plan.order:
            plan.order.extend(k for k in keys if all(k[0].key() != o.key() for o, _ in plan.order))
            return
        first = plan.group[0]
        ordered_domain = first.bucket is not None or (
            first.column is not None and (first.column.temporal or first.column.yearish or first.column.numeric)
        )
        measures = [e for e in plan.select if e.agg]
        if ordered_domain or not measures:
            plan.order = keys
        else:
            plan.order = [(measures[0], True), *keys]

    def _prefer_group_column(self, expr: Expr, descending: bool) -> tuple[Expr, bool]:
        """`ordered by id` in a grouped answer means the grouped id, not another id column."""
        plan = self.plan
        if not plan.group or expr.agg or expr.column is None or any(g.column is expr.column for g in plan.group):
            return expr, descending
        for g in plan.group:
            if g.column is not None and g.column.word_set & expr.column.word_set:
                return g, descending
        return expr, descending

    def _mentions_table(self) -> bool:
        return any(m.kind == "table" for m in self.ms)

    def _check_unplaced(self) -> None:
        leftovers = []
        for m in self.ms:
            if m.used:
                continue
            if m.kind in ("unknown", "quoted", "value"):
                leftovers.append(m.text)
            elif m.kind == "number":
                leftovers.append(m.text)
            elif m.kind == "kw" and any(
                m.has(tag) for tag in ("cmp", "cmpcol", "like", "common", "supcol", "share", "between", "position", "sup", "same", "diff")
            ) and not (m.has("between") and m.low == "from") and not m.has("group"):
                if m.has("supcol") and (m.has("top") or m.has("bottom")):
                    continue
                leftovers.append(m.text)
        if leftovers:
            raise Unplaced(leftovers)
