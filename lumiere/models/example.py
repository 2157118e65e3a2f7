from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import AutoString, Field, SQLModel

from lumiere.core.enums import ExampleOrigin
from lumiere.models._base import utcnow


class QueryExample(SQLModel, table=True):
    """A (question, SQL) pair the user confirmed, edited or corrected on one source.

    The same question later (or the same question with other values, matched by `question_key`)
    reuses the SQL, and the LLM gets these pairs as examples. One pair per key and source: a
    correction replaces the earlier pair.
    """

    __tablename__ = "query_examples"
    __table_args__ = (UniqueConstraint("source_id", "question_key", name="uq_query_examples_source_key"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    source_id: int = Field(foreign_key="sources.id", index=True, ondelete="CASCADE")
    question: str = Field(sa_column=Column(Text, nullable=False))
    # The question with its literal values replaced by slots, lower-cased and spaced evenly.
    question_key: str = Field(max_length=1000)
    sql: str = Field(sa_column=Column(Text, nullable=False))
    origin: ExampleOrigin = Field(default=ExampleOrigin.CONFIRMED, sa_type=AutoString(length=20))
    # The history entry it came from, if it still exists (no foreign key: history can be deleted).
    query_id: int | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
