"""Walking every page a person can reach, and what each page must get right at 1280 px: nothing wider than its
container outside a scroll container, column headers that say what they hold (each once per table), no "0 of 0".

A page is reached by following links from the home page (and the data administration's index, for people who may
use it); pages whose address differs only in ids count as one page, visited at most twice, so the walk ends and
still sees a page with and without data."""

import re
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urldefrag, urlsplit

from playwright.sync_api import Error as PlaywrightError

# Addresses a walk does not follow: signing out, downloads, and pages that change something when opened in the
# data administration (deleting asks first, but there is nothing to learn there).
NOT_FOLLOWED = re.compile(
    r"/sign-out/|/export/|[?&](_export|format)=|\.(csv|xlsx|json|pdf)$|/(csv|xlsx)/$|/delete/|/logout/|/password/"
    r"|/static/|/media/"
)
# Ids and force codes in a path; a query string counts by its keys alone.
PATH_IDS = re.compile(r"/\d+(?=/)|(?<=/forces/)[a-z-]+(?=/)")
VISITS_PER_SHAPE = 2

# A page wider than the window, and elements wider than the box that holds them, ignoring visually hidden text and
# scroll containers' contents.
OVERFLOW_SCRIPT = """
() => {
  const problems = [];
  const viewport = document.documentElement.clientWidth;
  // Whatever widens it (a 1 px visually hidden text positioned past the edge counts too), the page itself must not
  // scroll sideways.
  if (document.documentElement.scrollWidth > viewport + 1) {
    problems.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} px wide at ${viewport} px`);
  }
  const scrolls = (el) => ["auto", "scroll", "hidden", "clip"].includes(getComputedStyle(el).overflowX);
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1) continue;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || style.display === "none") continue;
    let container = el.parentElement;
    while (container && container !== document.body && !scrolls(container)) container = container.parentElement;
    // Inside a scroll container, being wider is what the container is for.
    if (container && container !== document.body) continue;
    if (box.right > viewport + 1) {
      const name = el.tagName.toLowerCase() + (el.className && typeof el.className === "string"
        ? "." + el.className.trim().split(/\\s+/).join(".") : "");
      problems.push(`${name} ends at ${Math.round(box.right)} px, past the page's ${viewport} px: `
        + (el.innerText || "").trim().slice(0, 60));
    }
  }
  return problems.slice(0, 5);
}
"""

HEADERS_SCRIPT = """
() => Array.from(document.querySelectorAll("table")).map((table) =>
  Array.from(table.querySelectorAll("thead th")).map((th) => {
    const copy = th.cloneNode(true);
    copy.querySelectorAll(".govuk-visually-hidden").forEach((hidden) => hidden.remove());
    return copy.textContent.replace(/\\s+/g, " ").trim();
  })
)
"""

LINKS_SCRIPT = """
() => Array.from(document.querySelectorAll("a[href]")).map((a) => a.href)
"""


@dataclass
class Walk:
    base: str
    visited: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    shapes: Counter = field(default_factory=Counter)

    def shape(self, url: str) -> str:
        parts = urlsplit(url)
        keys = sorted({pair.split("=")[0] for pair in parts.query.split("&") if pair})
        return PATH_IDS.sub("N", parts.path) + "?" + "&".join(keys)

    def follows(self, url: str) -> bool:
        url = urldefrag(url).url
        return (
            url.startswith(self.base)
            and not NOT_FOLLOWED.search(urlsplit(url).path + ("?" + urlsplit(url).query if urlsplit(url).query else ""))
            and url not in self.visited
            and self.shapes[self.shape(url)] < VISITS_PER_SHAPE
        )


def check_page(page, url: str) -> list[str]:
    """What is wrong with the page now open at `url`."""
    problems = [f"{url}: {problem}" for problem in page.evaluate(OVERFLOW_SCRIPT)]
    for headers in page.evaluate(HEADERS_SCRIPT):
        named = [header for header in headers if header]
        repeated = sorted(header for header, count in Counter(named).items() if count > 1)
        if repeated:
            problems.append(f"{url}: a table repeats the column headers {repeated}")
    if "0 of 0" in page.locator("body").inner_text():
        problems.append(f'{url}: says "0 of 0"')
    return problems


def walk(page, base: str, *, start: tuple[str, ...] = ("/",), limit: int = 120) -> Walk:
    """Visit every page reachable from `start` (paths) as the person signed in on `page`, checking each."""
    result = Walk(base=base)
    queue = [base + path for path in start]
    while queue and len(result.visited) < limit:
        url = urldefrag(queue.pop(0)).url
        if not result.follows(url):
            continue
        result.visited.append(url)
        result.shapes[result.shape(url)] += 1
        try:
            response = page.goto(url)
        except PlaywrightError as error:
            if "Download is starting" in str(error):
                continue  # a file to download, not a page
            raise
        if response is None or response.status >= 400:
            result.problems.append(f"{url}: HTTP {response.status if response else 'no response'}")
            continue
        if not response.headers.get("content-type", "").startswith("text/html"):
            continue
        result.problems.extend(check_page(page, url))
        queue.extend(link for link in page.evaluate(LINKS_SCRIPT) if result.follows(link))
    return result
