import reflex as rx

from lumiere import routes
from lumiere.components.forms import form_error, labelled_input
from lumiere.components.layout import brand
from lumiere.pages.login import auth_card
from lumiere.state.auth import RegisterState


def register_page() -> rx.Component:
    return auth_card(
        brand(),
        rx.heading("Create your account", size="6", as_="h1"),
        rx.text("Upload a CSV or connect a database, then just ask.", color_scheme="gray"),
        form_error(RegisterState.form_error),
        rx.form(
            rx.vstack(
                labelled_input("Name", "name", RegisterState.name_error, autocomplete="name"),
                labelled_input("Email", "email", RegisterState.email_error, input_type="email", autocomplete="email"),
                labelled_input(
                    "Password",
                    "password",
                    RegisterState.password_error,
                    input_type="password",
                    autocomplete="new-password",
                ),
                rx.text("At least 8 characters.", size="1", color_scheme="gray"),
                rx.button("Create account", type="submit", size="3", width="100%"),
                spacing="4",
                width="100%",
            ),
            on_submit=RegisterState.submit,
            no_validate=True,  # the server's field errors show for empty fields, not a browser bubble
            width="100%",
        ),
        rx.text("Already have an account? ", rx.link("Sign in", href=routes.LOGIN.path), size="2"),
    )
