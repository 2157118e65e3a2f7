"""The page of one data source: schema, a paged preview, the column profile, the meaning of its
columns (the semantic layer), suggested questions, delete."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import reflex as rx
from sqlmodel import Session

from lumiere import routes
from lumiere.core.text import plural
from lumiere.models import Source, User
from lumiere.services import policy, semantics, sources, workspaces
from lumiere.state.arguments import NOT_A_PAGE, clamped, positive_id
from lumiere.state.auth import PERSONAL, AuthState
from lumiere.state.display import SourceRow, human_count, source_row
from lumiere.state.result_table import format_cell
from lumiere.state.service_calls import Failed

PREVIEW_PAGE_SIZE = 25
MAX_PREVIEW_OFFSET = 10**12  # past the last row the preview is empty, as for any offset past the end
NO_SUMMARY = SourceRow(id="", name="", kind="", rows="", columns="", size="", created="")


@dataclass(frozen=True)
class ColumnRow:
    """A column in the schema list: its name and its SQL type as text."""

    name: str
    type: str


@dataclass(frozen=True)
class TableRow:
    """A table in the schema list; row_count is empty when the source does not know it."""

    name: str
    row_count: str
    columns: tuple[ColumnRow, ...]


@dataclass(frozen=True)
class SuggestionLink:
    """A suggested question and the Ask page link that asks it."""

    question: str
    href: str


@dataclass(frozen=True)
class ProfileRow:
    """One column of the profile as one line of text (a multi-table source names the table too)."""

    column: str
    type: str
    nulls: str
    distinct: str
    summary: str


@dataclass(frozen=True)
class MeaningRow:
    """One column of the semantic layer as the page's form shows it: lists as editable text."""

    key: str  # its position, used in the form's field names
    table: str
    column: str
    type: str
    description: str
    synonyms: str  # "tip, gratuity"
    unit: str
    value_text: str  # "Mon = Monday; F = female" (`values` would clash with the frontend's object methods)
    edited: bool


MEANING_FIELDS = ("description", "synonyms", "unit", "value_text")


@dataclass(frozen=True)
class SpaceOption:
    """A space the source may move to: a workspace id as text, or PERSONAL."""

    value: str
    name: str


@dataclass(frozen=True)
class SourceRights:
    """What the policy lets this user do with the source, for showing or hiding the page's controls."""

    can_change: bool
    can_delete: bool
    space: str  # where it is now: a workspace id as text, or PERSONAL
    move_options: tuple[SpaceOption, ...]  # where it may go (including where it is), empty when it may not move


def _detail_and_rights(session: Session, user: User, source_id: int) -> tuple[dict[str, Any], SourceRights]:
    """The source with its schema, and what the policy lets this user do with it (a workspace viewer: nothing)."""
    source = sources.get_source(session, user, source_id)
    can_change = policy.may(session, user, source, policy.Action.CHANGE)
    here = str(source.workspace_id) if source.workspace_id is not None else PERSONAL
    options: list[SpaceOption] = []
    if can_change:
        if source.workspace_id is None or policy.may(session, user, source, policy.Action.TAKE_BACK):
            options.append(SpaceOption(value=PERSONAL, name="Personal"))
        options.extend(
            SpaceOption(value=str(space.id), name=space.name)
            for space in workspaces.memberships(session, user)
            if space.id == source.workspace_id
            or policy.may(session, user, policy.InSpace(Source, space.id), policy.Action.CREATE)
        )
    rights = SourceRights(
        can_change=can_change,
        can_delete=policy.may(session, user, source, policy.Action.DELETE),
        space=here,
        move_options=tuple(options) if len(options) > 1 else (),
    )
    return sources.public_source(source, detail=True), rights


def _move(session: Session, user: User, source_id: int, workspace_id: int | None) -> str:
    """Moves the source with the service behind PATCH /api/data/source/{id}; the name of where it went."""
    moved = sources.update_source(session, user, source_id, workspace_id=workspace_id)
    if moved.workspace_id is None:
        return "your personal space"
    return next((space.name for space in workspaces.memberships(session, user) if space.id == moved.workspace_id), "")


class SourceDetailState(AuthState):
    # Whether Delete, the meanings' Save/Reset and the move control show: the policy's answers for
    # this user (the services refuse anyway).
    can_delete: bool = False
    can_change: bool = False
    space: str = PERSONAL
    move_options: list[SpaceOption] = []
    move_error: str = ""
    moving: bool = False
    found: bool = False
    loaded: bool = False
    detail_id: int = 0
    detail_name: str = ""
    detail_kind: str = ""
    detail_summary: SourceRow = NO_SUMMARY
    detail_tables: list[TableRow] = []
    detail_notes: list[str] = []
    detail_suggestions: list[SuggestionLink] = []
    profile_rows: list[ProfileRow] = []
    profile_loading: bool = False
    preview_columns: list[str] = []
    preview_rows: list[list[str]] = []
    preview_total: int = 0
    preview_offset: int = 0
    preview_loading: bool = False
    preview_error: str = ""
    confirming_delete: bool = False
    meaning_rows: list[MeaningRow] = []
    meanings_loading: bool = False
    meanings_error: str = ""
    meanings_version: str = "0"  # a new value remounts the form, so its inputs show what was saved

    @rx.var
    def preview_label(self) -> str:
        if not self.preview_total:
            return "No rows"
        last = min(self.preview_total, self.preview_offset + PREVIEW_PAGE_SIZE)
        return f"Rows {self.preview_offset + 1:,}-{last:,} of {self.preview_total:,}"

    @rx.var
    def has_previous_rows(self) -> bool:
        return self.preview_offset > 0

    @rx.var
    def has_more_rows(self) -> bool:
        return self.preview_offset + PREVIEW_PAGE_SIZE < self.preview_total

    @rx.event
    async def load(self):
        raw_id = (self.router.url.path or "").rstrip("/").rsplit("/", 1)[-1]
        self.found = self.loaded = self.confirming_delete = self.can_change = self.can_delete = False
        self.move_options, self.move_error = [], ""
        self.detail_id = source_id = positive_id(raw_id) or 0
        self.profile_rows, self.preview_rows, self.preview_columns, self.detail_suggestions = [], [], [], []
        self.preview_offset = self.preview_total = 0
        self.preview_error = ""
        found = await self._call_service(lambda session, user: _detail_and_rights(session, user, source_id))
        if isinstance(found, Failed):
            self.loaded = True
            return found.unless_shown_inline()  # the page says "not found" itself
        detail, rights = found
        self._show_rights(rights)
        self._show_detail(detail)
        self.meaning_rows, self.meanings_error = [], ""
        return [
            SourceDetailState.load_preview(0),  # type: ignore[misc]
            SourceDetailState.load_profile,
            SourceDetailState.load_meanings,
        ]

    def _show_rights(self, rights: SourceRights) -> None:
        self.can_change, self.can_delete = rights.can_change, rights.can_delete
        self.space, self.move_options = rights.space, list(rights.move_options)

    @rx.event
    async def move_to(self, value: str):
        """The "Move to" select: PERSONAL or a workspace id. A refusal (403, 404) shows next to the select."""
        source_id = self.detail_id
        target = None if value == PERSONAL else positive_id(value)
        if value != PERSONAL and target is None:
            self.move_error = "Choose Personal or one of your workspaces."
            return None
        if value == self.space:
            return None
        self.moving = True
        moved = await self._call_service(lambda session, user: _move(session, user, source_id, target))
        self.moving = False
        if isinstance(moved, Failed):
            self.move_error = moved.message
            return moved.unless_shown_inline()
        self.move_error = ""
        found = await self._call_service(lambda session, user: _detail_and_rights(session, user, source_id))
        if not isinstance(found, Failed):
            self._show_rights(found[1])
        return rx.toast.success(f"'{self.detail_name}' moved to {moved}.")

    def _show_detail(self, detail: dict[str, Any]) -> None:
        row = source_row(detail)
        self.found = self.loaded = True
        self.detail_name = detail["name"]
        self.detail_kind = row.kind
        self.detail_summary = row
        self.detail_tables = [
            TableRow(
                name=table["name"],
                row_count=plural(table["row_count"], "row") if isinstance(table.get("row_count"), int) else "",
                columns=tuple(
                    ColumnRow(name=column["name"], type=column.get("type", "")) for column in table.get("columns", [])
                ),
            )
            for table in detail.get("tables", [])
        ]
        self.detail_notes = [str(note) for note in _detail_notes(detail.get("details") or {})]
        self.detail_suggestions = [
            SuggestionLink(question=str(question), href=routes.ask_url(detail["id"], str(question)))
            for question in detail.get("suggested_questions", [])[:8]
        ]

    @rx.event(background=True)
    async def load_preview(self, offset: int):
        async with self:
            source_id = self.detail_id
            if not self.found:
                return None
            wanted = clamped(offset, 0, MAX_PREVIEW_OFFSET)
            if wanted is None:
                return rx.toast.error(NOT_A_PAGE)
            self.preview_loading = True
        page = await self._call_service(
            lambda session, user: sources.preview(session, user, source_id, limit=PREVIEW_PAGE_SIZE, offset=wanted)
        )
        if isinstance(page, Failed):
            async with self:
                self.preview_loading = False
                self.preview_error = page.message
            return page.unless_shown_inline()
        async with self:
            if self.detail_id != source_id:
                return None
            self.preview_loading = False
            self.preview_error = ""
            self.preview_offset = wanted
            self.preview_total = page.total
            self.preview_columns = [column.name for column in page.columns]
            self.preview_rows = [[format_cell(value) for value in row] for row in page.rows]
        return None

    @rx.event(background=True)
    async def load_profile(self):
        async with self:
            source_id = self.detail_id
            if not self.found:
                return None
            self.profile_loading = True
        profile = await self._call_service(lambda session, user: sources.column_profile(session, user, source_id))
        if isinstance(profile, Failed):
            async with self:
                self.profile_loading = False
            if profile.signed_out:
                return profile.event
            return rx.toast.error(f"The column profile could not be computed: {profile.message}")
        async with self:
            if self.detail_id == source_id:
                self.profile_rows = _profile_rows(profile)
                self.profile_loading = False
        return None

    @rx.event(background=True)
    async def load_meanings(self):
        async with self:
            source_id = self.detail_id
            if not self.found:
                return None
            self.meanings_loading = True
        view = await self._call_service(lambda session, user: semantics.source_semantics(session, user, source_id))
        async with self:
            self.meanings_loading = False
            if isinstance(view, Failed):
                self.meanings_error = view.message
                return view.unless_shown_inline()
            if self.detail_id == source_id:
                self._show_meanings(view)
        return None

    def _show_meanings(self, view: semantics.SemanticsView) -> None:
        self.meaning_rows = [
            MeaningRow(
                key=str(position),
                table=column.table,
                column=column.column,
                type=column.type,
                description=column.description,
                synonyms=", ".join(column.synonyms),
                unit=column.unit,
                value_text=semantics.values_text(column.values),
                edited=column.edited,
            )
            for position, column in enumerate(view.columns)
        ]
        self.meanings_version = str(int(self.meanings_version) + 1)

    @rx.event
    async def save_meanings(self, form: dict[str, Any]):
        """Saves the columns whose fields differ from what is shown, all or nothing."""
        source_id = self.detail_id
        changed = []
        for row in self.meaning_rows:
            fields = {name: str(form.get(f"{name}-{row.key}", getattr(row, name))) for name in MEANING_FIELDS}
            if any(fields[name].strip() != getattr(row, name).strip() for name in MEANING_FIELDS):
                changed.append((row, fields))
        if not changed:
            self.meanings_error = ""
            return rx.toast.info("Nothing to save: no column was changed.")

        def save(session, user):
            patch = [
                {
                    "table": row.table,
                    "column": row.column,
                    "description": fields["description"],
                    "synonyms": semantics.parse_list_text(fields["synonyms"]),
                    "unit": fields["unit"],
                    "values": semantics.parse_values_text(fields["value_text"], column=row.column),
                }
                for row, fields in changed
            ]
            return semantics.update_semantics(session, user, source_id, {"columns": patch})

        view = await self._call_service(save)
        if isinstance(view, Failed):
            self.meanings_error = view.message
            return view.unless_shown_inline()
        self.meanings_error = ""
        self._show_meanings(view)
        names = ", ".join(row.column for row, _ in changed[:5]) + (" ..." if len(changed) > 5 else "")
        return rx.toast.success(f"Saved the meaning of {names}.")

    @rx.event
    async def reset_meaning(self, key: str):
        """Back to what Lumiere infers for one column."""
        row = next((row for row in self.meaning_rows if row.key == key), None)
        if row is None:
            return None
        source_id, table, column = self.detail_id, row.table, row.column
        view = await self._call_service(
            lambda session, user: semantics.update_semantics(
                session, user, source_id, {"columns": [{"table": table, "column": column, "reset": True}]}
            )
        )
        if isinstance(view, Failed):
            self.meanings_error = view.message
            return view.unless_shown_inline()
        self.meanings_error = ""
        self._show_meanings(view)
        return rx.toast.success(f"{column} shows what Lumiere infers again.")

    @rx.event
    def next_rows(self):
        return SourceDetailState.load_preview(self.preview_offset + PREVIEW_PAGE_SIZE)  # type: ignore[misc]

    @rx.event
    def previous_rows(self):
        return SourceDetailState.load_preview(max(0, self.preview_offset - PREVIEW_PAGE_SIZE))  # type: ignore[misc]

    @rx.event
    def ask_delete(self):
        self.confirming_delete = True

    @rx.event
    def cancel_delete(self):
        self.confirming_delete = False

    @rx.event
    async def confirm_delete(self):
        self.confirming_delete = False
        name, source_id = self.detail_name, self.detail_id
        deleted = await self._call_service(lambda session, user: sources.delete_source(session, user, source_id))
        if isinstance(deleted, Failed):
            return deleted.event
        self.found = False
        return [
            rx.toast.success(f"'{name}' was deleted. Its questions stay in your history."),
            rx.redirect(routes.DATA.path),
        ]


def _detail_notes(details: dict[str, Any]) -> list[str]:
    """What the ingest detected and what it had to skip, in words."""
    notes: list[str] = []
    if details.get("encoding"):
        header = (
            "with a header row" if details.get("header", True) else "without a header row (columns were named for you)"
        )
        decimal = ", decimal commas" if details.get("decimal_separator") == "," else ""
        notes.append(
            f"Read from {details.get('filename', 'the file')} as {details['encoding']}, "
            f"{str(details.get('delimiter', 'comma')).lower()}-separated{decimal}, {header}."
        )
    skipped = details.get("skipped_rows")
    if isinstance(skipped, int) and skipped:
        notes.append(
            f"{skipped:,} malformed line(s) were skipped, the first at line {details.get('first_skipped_line')}."
        )
    return notes


def _profile_rows(profile: dict[str, Any]) -> list[ProfileRow]:
    """The column profile as one line of text per column (a multi-table source names the table too)."""
    tables = profile.get("tables")
    if not isinstance(tables, list):
        tables = [{"name": "", "columns": profile.get("columns", [])}]
    rows: list[ProfileRow] = []
    for table in tables:
        prefix = f"{table['name']}." if len(tables) > 1 and table.get("name") else ""
        rows.extend(
            ProfileRow(
                column=prefix + str(column["name"]),
                type=str(column.get("type", "")),
                nulls=human_count(column.get("null_count")),
                distinct=human_count(column.get("distinct_count")),
                summary=_column_summary(column),
            )
            for column in table.get("columns", [])
        )
    return rows


def _column_summary(column: dict[str, Any]) -> str:
    kind = column.get("kind")
    if kind in ("integer", "number") and column.get("min") is not None:
        parts = [f"min {format_cell(column['min'])}", f"max {format_cell(column['max'])}"]
        if column.get("mean") is not None:
            parts.append(f"mean {format_cell(round(float(column['mean']), 4))}")
        return " · ".join(parts)
    if kind in ("date", "datetime") and column.get("min") is not None:
        return f"{column['min']} to {column['max']}"
    top = column.get("top_values") or []
    if top:
        return "Top: " + ", ".join(f"{format_cell(item['value'])} ({item['count']:,})" for item in top)
    samples = column.get("samples") or []
    if samples:
        return "e.g. " + ", ".join(format_cell(value) for value in samples)
    return ""
