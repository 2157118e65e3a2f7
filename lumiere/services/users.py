"""Reading and editing accounts: a user sees and edits themself, an admin sees anyone."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from lumiere.core.enums import Theme
from lumiere.core.errors import Conflict, Invalid, NotFound
from lumiere.models import User
from lumiere.models._base import iso_utc, utcnow
from lumiere.services.auth import (
    IssuedToken,
    email_taken,
    hash_password,
    issue_token,
    normalize_email,
    validate_name,
    validate_password,
    verify_password,
)


def public_user(user: User) -> dict[str, Any]:
    """The one shape in which a user leaves the server (never with the password hash)."""
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "plan": user.plan,
        "theme": user.theme,
        "created_at": iso_utc(user.created_at),
    }


def get_visible_user(session: Session, actor: User, user_id: int) -> User:
    if actor.id != user_id and actor.role != "admin":
        raise NotFound(f"No user with id {user_id}.")
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user with id {user_id}.")
    return user


def update_user(
    session: Session,
    actor: User,
    user_id: int,
    *,
    name: object = None,
    email: object = None,
    password: object = None,
    current_password: object = None,
    theme: object = None,
) -> tuple[User, IssuedToken | None]:
    """Apply the given changes; a new password signs out older sessions and returns a new token."""
    user = get_visible_user(session, actor, user_id)
    changing_self = actor.id == user.id
    if name is not None:
        user.name = validate_name(name)
    if email is not None:
        new_email = normalize_email(email)
        if new_email != user.email:
            if changing_self:
                require_current_password(user, current_password, "change your email")
            if email_taken(session, new_email, except_user_id=user.id):
                raise Conflict("An account with this email already exists.", field="email")
            user.email = new_email
    if theme is not None:
        user.theme = validate_theme(theme)
    new_token = None
    if password is not None:
        password = validate_password(password)
        if changing_self:
            require_current_password(user, current_password, "set a new password")
        user.password_hash = hash_password(password)
        user.token_version += 1
    user.updated_at = utcnow()
    session.add(user)
    session.flush()
    if password is not None and changing_self:
        new_token = issue_token(user)
    return user, new_token


def validate_theme(theme: object) -> Theme:
    if isinstance(theme, str) and theme in set(Theme):
        return Theme(theme)
    raise Invalid(f"The appearance is one of: {', '.join(member.value for member in Theme)}.", field="theme")


def set_theme(session: Session, user: User, theme: object) -> Theme:
    """Store the appearance on the account, so it follows the user to every browser."""
    user.theme = validate_theme(theme)
    user.updated_at = utcnow()
    session.add(user)
    session.flush()
    return Theme(user.theme)


def require_current_password(user: User, current_password: object, purpose: str) -> None:
    """422 on `current_password` unless it is the user's password; `purpose` finishes "Enter your
    current password to …"."""
    if not isinstance(current_password, str) or not current_password:
        raise Invalid(f"Enter your current password to {purpose}.", field="current_password")
    if not verify_password(current_password, user.password_hash):
        raise Invalid("Your current password is not correct.", field="current_password")
