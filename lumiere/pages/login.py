import reflex as rx

from lumiere import routes
from lumiere.components.a11y import main_landmark
from lumiere.components.forms import form_error, labelled_input
from lumiere.components.layout import brand
from lumiere.state.auth import LoginState


def auth_card(*children: rx.Component) -> rx.Component:
    return main_landmark(rx.center(
        rx.card(
            rx.vstack(*children, spacing="4", width="100%"),
            width="100%",
            max_width="26rem",
            size="3",
        ),
        rx.box(
            rx.color_mode.button(aria_label="Toggle dark mode", variant="ghost"),
            position="fixed",
            top="1rem",
            right="1rem",
        ),
        min_height="100vh",
        padding="1rem",
        background=rx.color("gray", 2),
    ))


def login_page() -> rx.Component:
    return auth_card(
        brand(),
        rx.heading("Sign in", size="6", as_="h1"),
        rx.text("Ask your data questions in plain language.", color_scheme="gray"),
        rx.cond(
            LoginState.session_notice != "",
            rx.callout(LoginState.session_notice, icon="log-out", color_scheme="amber", role="status", width="100%"),
            rx.fragment(),
        ),
        form_error(LoginState.form_error),
        rx.form(
            rx.vstack(
                labelled_input("Email", "email", LoginState.email_error, input_type="email", autocomplete="email"),
                labelled_input(
                    "Password",
                    "password",
                    LoginState.password_error,
                    input_type="password",
                    autocomplete="current-password",
                ),
                rx.button("Sign in", type="submit", size="3", width="100%"),
                spacing="4",
                width="100%",
            ),
            on_submit=LoginState.submit,
            width="100%",
        ),
        rx.text("New here? ", rx.link("Create an account", href=routes.REGISTER.path), size="2"),
    )
