"""The simulated people of `bench/load.py` (a locustfile): each browses, asks and now and then signs in again.

Run by bench/load.py in its own `locust --headless` process (locust patches the standard library
with gevent when imported, so the orchestrator never imports this module). The accounts, with the
sample dataset loaded, come from the JSON file named by LUMIERE_LOAD_ACCOUNTS; locust users take
them in turn, so more users than accounts share accounts (and may meet the per-user rate limit:
a 429 is recorded as "HTTP 429", any other failure as "HTTP <status>").
"""

from __future__ import annotations

import itertools
import json
import os
import random
from collections import Counter
from pathlib import Path
from typing import Any

from locust import HttpUser, between, events, task

# Asked again and again (the same words every time), and built fresh from a template (a new
# country or year, so an answer cannot simply be reused).
REPEATED = (
    "average life expectancy per continent in 2007",
    "total population by year",
    "Which country has the highest gdp per capita in 2007?",
    "How many countries are in Europe?",
    "Which continent has the largest total population in 2007?",
    "average life expectancy per continent",
)
TEMPLATES = (
    "Show the population of {country} over time",
    "life expectancy of {country} by year",
    "average life expectancy per continent in {year}",
    "total population by continent in {year}",
    "Which country has the highest gdp per capita in {year}?",
)
COUNTRIES = ("France", "Japan", "Brazil", "Kenya", "Canada", "India", "Germany", "Chile", "Egypt", "Norway")
YEARS = tuple(range(1952, 2008, 5))
PAGES = ("/login", "/dashboard", "/query", "/history", "/data")

_accounts: list[dict[str, Any]] = json.loads(Path(os.environ["LUMIERE_LOAD_ACCOUNTS"]).read_text())
_next_account = itertools.count()
# Over the whole run, the spawning included (locust's own statistics restart once every user is running).
_outcomes: Counter[str] = Counter()
_sign_in_ms: list[float] = []


@events.request.add_listener
def _tally(name: str, response_time: float, response: Any = None, exception: Any = None, **_: Any) -> None:
    _outcomes["ok" if exception is None else str(getattr(response, "status_code", None) or "no response")] += 1
    if name == "sign in":
        _sign_in_ms.append(response_time)


@events.quitting.add_listener
def _save_tally(**_: Any) -> None:
    Path(os.environ["LUMIERE_LOAD_TALLY"]).write_text(json.dumps({"outcomes": _outcomes, "sign_in_ms": _sign_in_ms}))


def a_question() -> str:
    if random.random() < 0.5:
        return random.choice(REPEATED)
    return random.choice(TEMPLATES).format(country=random.choice(COUNTRIES), year=random.choice(YEARS))


class Analyst(HttpUser):
    """40% questions on the sample dataset; the rest lists, previews, history, charts, insights, pages."""

    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        self.account = _accounts[next(_next_account) % len(_accounts)]
        self.source_id = int(self.account["source_id"])
        self.headers = {"Authorization": f"Bearer {self.account['token']}"}
        self.query_ids: list[int] = []

    @task(1)
    def sign_in(self) -> None:
        body = {"email": self.account["email"], "password": self.account["password"]}
        with self.client.post("/api/auth/login", json=body, name="sign in", catch_response=True) as response:
            if response.status_code == 200:
                self.headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
            else:
                response.failure(f"HTTP {response.status_code}")

    def _call(self, method: str, path: str, name: str, **kwargs: Any) -> Any:
        with self.client.request(
            method, path, name=name, headers=self.headers, catch_response=True, **kwargs
        ) as response:
            if response.status_code >= 400 and not (name == "ask" and response.status_code == 422):
                response.failure(f"HTTP {response.status_code}")
                return None
            response.success()  # a question the engine cannot read (422) is an answer, not an error
            is_json = response.headers.get("content-type", "").startswith("application/json")
            return response.json() if is_json and response.status_code < 300 else None

    @task(40)
    def ask(self) -> None:
        body = {"source_id": self.source_id, "question": a_question()}
        answer = self._call("POST", "/api/ai/query", "ask", json=body)
        if answer and answer.get("query_id"):
            self.query_ids = [*self.query_ids[-9:], int(answer["query_id"])]

    @task(12)
    def list_sources(self) -> None:
        self._call("GET", "/api/data/sources", "list sources")

    @task(10)
    def preview(self) -> None:
        self._call("GET", f"/api/data/source/{self.source_id}/preview", "preview")

    @task(12)
    def history(self) -> None:
        self._call("GET", "/api/queries", "history")

    @task(6)
    def chart(self) -> None:
        if self.query_ids:
            self._call("POST", "/api/ai/chart", "chart", json={"query_id": random.choice(self.query_ids)})

    @task(3)
    def insight(self) -> None:
        if self.query_ids:
            self._call("POST", "/api/ai/insight", "insight", json={"query_id": random.choice(self.query_ids)})

    @task(16)
    def page(self) -> None:
        self._call("GET", random.choice(PAGES), "page load")
