"""Accounts: validation, password hashing (bcrypt) and access tokens (JWT, HS256).

Every token carries a random id (`jti`) so that signing out revokes just that token; a
password change revokes all older ones through the user's `token_version`. Personal API tokens
(`lum_…`, services/api_tokens.py) are accepted as Bearer tokens too: looked up by their hash,
never decoded as JWTs, and revoked by deleting them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

import bcrypt
import jwt
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from lumiere.config import get_settings
from lumiere.core.errors import Conflict, Forbidden, Invalid, Unauthorized
from lumiere.db import saved_id
from lumiere.models import RevokedToken, User
from lumiere.services import api_tokens, workspace_invitations

BCRYPT_MAX_BYTES = 72
MIN_PASSWORD_CHARS = 8
MAX_NAME_CHARS = 100
MAX_EMAIL_CHARS = 254
WRONG_LOGIN = "Incorrect email or password."
DISABLED = "This account has been disabled by an administrator; ask them to enable it again."
TOKEN_ALGORITHM = "HS256"


def normalize_email(email: object) -> str:
    if not isinstance(email, str) or not email.strip():
        raise Invalid("Enter your email address.", field="email")
    email = email.strip()
    if len(email) > MAX_EMAIL_CHARS:
        raise Invalid(f"An email address can be at most {MAX_EMAIL_CHARS} characters.", field="email")
    try:
        checked = validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        raise Invalid(f"That email address is not valid: {error}", field="email") from None
    return checked.normalized.lower()


def validate_password(password: object) -> str:
    if not isinstance(password, str) or not password:
        raise Invalid("Enter a password.", field="password")
    if len(password) < MIN_PASSWORD_CHARS:
        raise Invalid(f"Use a password of at least {MIN_PASSWORD_CHARS} characters.", field="password")
    if len(password.encode("utf-8")) > BCRYPT_MAX_BYTES:
        raise Invalid(
            f"That password is too long: at most {BCRYPT_MAX_BYTES} bytes in UTF-8 "
            "(fewer characters when it has accents or emoji). Use a shorter one.",
            field="password",
        )
    return password


def validate_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise Invalid("Enter your name.", field="name")
    name = " ".join(name.split())
    if len(name) > MAX_NAME_CHARS:
        raise Invalid(f"A name can be at most {MAX_NAME_CHARS} characters.", field="name")
    return name


def hash_password(password: str) -> str:
    salt = bcrypt.gensalt(rounds=get_settings().bcrypt_rounds)
    return bcrypt.hashpw(password.encode("utf-8"), salt).decode("ascii")


def verify_password(password: str, password_hash: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode("utf-8"), password_hash.encode("ascii"))
    except ValueError:
        return False


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    """A hash to check against when the email is unknown, so both cases take as long."""
    return hash_password(secrets.token_urlsafe(16))


def email_taken(session: Session, email: str, *, except_user_id: int | None = None) -> bool:
    statement = select(User.id).where(User.email == email)
    if except_user_id is not None:
        statement = statement.where(User.id != except_user_id)
    return session.exec(statement).first() is not None


def register_user(session: Session, *, email: object, password: object, name: object) -> User:
    """Create an account; the first account of an installation becomes its admin."""
    email = normalize_email(email)
    password = validate_password(password)
    name = validate_name(name)
    if email_taken(session, email):
        raise Conflict("An account with this email already exists. Sign in instead.", field="email")
    user = User(email=email, name=name, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    # Whoever holds the lowest id is the first account: atomic even when two sign up at once.
    first_id = session.exec(select(func.min(User.id))).one()
    if first_id == user.id:
        session.execute(update(User).where(col(User.id) == user.id).values(role="admin"))
        user.role = "admin"
    workspace_invitations.accept_pending(session, user)  # invited before they had an account: they join now
    session.flush()
    return user


def authenticate(session: Session, *, email: object, password: object) -> User:
    if not isinstance(email, str) or not isinstance(password, str) or not email or not password:
        raise Unauthorized(WRONG_LOGIN)
    user = session.exec(select(User).where(User.email == email.strip().lower())).first()
    if user is None:
        verify_password(password, _decoy_hash())
        raise Unauthorized(WRONG_LOGIN)
    if not verify_password(password, user.password_hash):
        raise Unauthorized(WRONG_LOGIN)
    if user.disabled:  # said only to someone who knows the password
        raise Forbidden(DISABLED)
    return user


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int


def issue_token(user: User) -> IssuedToken:
    settings = get_settings()
    lifetime = timedelta(minutes=settings.token_ttl_minutes)
    now = datetime.now(UTC)
    claims = {
        "sub": str(user.id),
        "ver": user.token_version,
        "jti": secrets.token_urlsafe(16),
        "iat": now,
        "exp": now + lifetime,
    }
    token = jwt.encode(claims, settings.resolved_secret_key, algorithm=TOKEN_ALGORITHM)
    return IssuedToken(access_token=token, expires_in=int(lifetime.total_seconds()))


@dataclass(frozen=True)
class TokenHolder:
    """The user a valid token belongs to, and what revoking the token needs: a sign-in token's id
    and expiry, or the row id of a personal API token."""

    user: User
    jti: str = ""
    expires_at: datetime | None = None
    api_token_id: int | None = None


def user_from_token(session: Session, token: str | None) -> User:
    """The user a token belongs to; any problem with the token is a 401."""
    return verify_token(session, token).user


def verify_token(session: Session, token: str | None) -> TokenHolder:
    """Check signature, expiry, the user's token version and revocation; any problem is a 401."""
    if not token:
        raise Unauthorized("Sign in first: this needs an access token.")
    if api_tokens.is_personal_token(token):
        return _verify_personal_token(session, token)
    try:
        claims = jwt.decode(
            token,
            get_settings().resolved_secret_key,
            algorithms=[TOKEN_ALGORITHM],
            options={"require": ["sub", "exp", "iat", "jti"]},
        )
    except jwt.ExpiredSignatureError:
        raise Unauthorized("Your session has expired. Sign in again.") from None
    except jwt.PyJWTError:
        raise Unauthorized("The access token is not valid. Sign in again.") from None
    try:
        user_id = int(claims["sub"])
        jti = str(claims["jti"])
        expires_at = datetime.fromtimestamp(int(claims["exp"]), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise Unauthorized("The access token is not valid. Sign in again.") from None
    user = session.get(User, user_id)
    if user is not None and user.disabled:  # the signed token was theirs: say why it ended, not only that it did
        raise Unauthorized(DISABLED)
    if user is None or claims.get("ver", 0) != user.token_version:
        raise Unauthorized("Your session is no longer valid. Sign in again.")
    if session.get(RevokedToken, jti) is not None:
        raise Unauthorized("You signed out of this session. Sign in again.")
    return TokenHolder(user=user, jti=jti, expires_at=expires_at)


def _verify_personal_token(session: Session, token: str) -> TokenHolder:
    row = api_tokens.find_token(session, token)
    user = session.get(User, row.user_id) if row is not None else None
    if row is None or user is None:
        raise Unauthorized("This API token is not valid or has been revoked. Create a new one in Settings.")
    if user.disabled:
        raise Unauthorized(DISABLED)
    api_tokens.note_use(row)
    return TokenHolder(user=user, api_token_id=saved_id(row))


def revoke_token(session: Session, token: str | None) -> None:
    """Sign out: the token stops working at once, the user's other sessions keep theirs.
    A personal API token is deleted. Rows of sign-in tokens that have expired anyway are purged
    on the way."""
    holder = verify_token(session, token)
    if holder.api_token_id is not None:
        api_tokens.revoke_token_by_id(session, holder.user, holder.api_token_id)
        return
    if holder.expires_at is None:
        raise Unauthorized("The access token is not valid. Sign in again.")
    session.execute(delete(RevokedToken).where(col(RevokedToken.expires_at) < datetime.now(UTC)))
    try:
        with session.begin_nested():
            session.add(RevokedToken(jti=holder.jti, user_id=saved_id(holder.user), expires_at=holder.expires_at))
    except IntegrityError:
        pass  # the same token signed out twice at once: it is revoked either way
