"""Every formula the app shows parses in the vendored KaTeX: the home page, each deck page, each
card page (its answer, key points, choices and demo) and each demo page.

KaTeX draws a formula it cannot parse as red source text with an inline style, which the
Content-Security-Policy then blocks: a console error and raw TeX for the reader. `\\lambda_\\max`
is the classic (a function as a bare subscript); write `\\lambda_{\\max}`."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from app.demos import demo_names
from tests.standard.decks import CARDS, DECKS

# Runs in the page: fetch each path, parse it, and render each .math element strictly.
PARSE_ALL = """async (paths) => {
  const errors = [];
  for (const path of paths) {
    const response = await fetch(path);
    if (!response.ok) { errors.push(path + ": HTTP " + response.status); continue; }
    const doc = new DOMParser().parseFromString(await response.text(), "text/html");
    doc.querySelectorAll(".math").forEach((el) => {
      try {
        katex.renderToString(el.textContent, {
          throwOnError: true,
          displayMode: el.classList.contains("display") || el.classList.contains("block"),
        });
      } catch (error) {
        errors.push(path + ": " + error.message.slice(0, 160));
      }
    });
  }
  return errors;
}"""


def test_every_formula_on_every_page_parses(app_page: Page) -> None:
    paths = [
        "/",
        *(f"/decks/{deck.spec.deck.slug}" for deck in DECKS),
        *(f"/cards/{card.slug}" for card in CARDS),
        *(f"/demos/{name}" for name in sorted(demo_names())),
    ]
    app_page.goto("/decks/backprop")
    app_page.wait_for_function("window.katex !== undefined")
    errors = app_page.evaluate(PARSE_ALL, paths)
    assert errors == [], f"{len(errors)} formulas KaTeX cannot parse:\n" + "\n".join(errors)


def test_raw_tex_is_hidden_until_typeset_and_shown_as_typed_without_a_script(
    browser: Browser, live_server: str
) -> None:
    # With scripts, every formula on screen holds KaTeX's output; without them, the TeX is
    # hidden at first (no flash of source while KaTeX loads) and shown as typed after 3 s.
    for scripts in (True, False):
        context = browser.new_context(base_url=live_server, java_script_enabled=scripts)
        try:
            page = context.new_page()
            page.goto("/cards/linear-layer-backward")
            question_math = page.locator("h1.question .math").first
            if scripts:
                expect(question_math.locator(".katex").first).to_be_visible()
            else:
                assert question_math.evaluate("e => getComputedStyle(e).visibility") == "hidden"
                expect(question_math).to_be_visible(timeout=6000)
                assert "Wx" in question_math.inner_text()
        finally:
            context.close()
