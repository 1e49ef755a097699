#!/usr/bin/env python3
"""Drives brokerd's operator console page in headless Chromium, as an operator would.

Run by the end-to-end test `brokerd: the console page in a browser` (tests/e2e/test_brokerd.cpp),
which starts brokerd, creates the operator and places an order first. Over Chromium's DevTools
protocol (a WebSocket, python3-websockets) it: logs in through the form; finds, in the live actor
table, the account actor of the user who just placed an order; opens its state and checks the
order is there; halts a symbol through the form and its confirmation. Any JavaScript exception or
console error on the page fails it. Exit 0 when every step passed, else 1 with what went wrong.
Polls with a deadline (the page updates on its own, once a second); nothing sleeps blindly.
"""
import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import websockets


class Page:
    def __init__(self, ws):
        self.ws = ws
        self.next_id = 0
        self.problems = []  # exceptions and console errors seen on the page
        self.refused_login_expected = False  # Chromium logs the wrong password's 401 as an error

    async def call(self, method, params=None):
        self.next_id += 1
        my_id = self.next_id
        await self.ws.send(json.dumps({"id": my_id, "method": method, "params": params or {}}))
        while True:
            msg = json.loads(await self.ws.recv())
            if msg.get("id") == my_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.note_event(msg)

    def note_event(self, msg):
        method = msg.get("method", "")
        if method == "Runtime.exceptionThrown":
            self.problems.append(msg["params"]["exceptionDetails"].get("text", "exception"))
        elif method == "Log.entryAdded" and msg["params"]["entry"].get("level") == "error":
            entry = msg["params"]["entry"]
            text = entry.get("text", "console error")
            if self.refused_login_expected and entry.get("source") == "network" and "401" in text:
                self.refused_login_expected = False
                return
            self.problems.append(text)
        elif method == "Runtime.consoleAPICalled" and msg["params"].get("type") == "error":
            self.problems.append(str(msg["params"].get("args")))

    async def evaluate(self, expression):
        r = await self.call("Runtime.evaluate",
                            {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in r:
            raise RuntimeError(f"evaluating {expression!r}: {r['exceptionDetails']}")
        return r["result"].get("value")

    async def wait_for(self, expression, what, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if await self.evaluate(expression):
                return
            await asyncio.sleep(0.1)  # the page's own timers move it on
        raise RuntimeError(f"timed out waiting for {what}")


def set_value(element_id, value):
    return (f"(() => {{ const e = document.getElementById({json.dumps(element_id)}); e.value = {json.dumps(value)};"
            " e.dispatchEvent(new Event('change')); return true; })()")


async def drive(args, debugger_url):
    async with websockets.connect(debugger_url, max_size=None) as ws:
        page = Page(ws)
        for domain in ("Page", "Runtime", "Log"):
            await page.call(domain + ".enable")
        await page.call("Page.navigate", {"url": args.url})
        await page.wait_for("document.readyState === 'complete' && !!document.getElementById('login-form')",
                            "the login form", args.timeout)

        # A wrong password first: the form says so and stays.
        await page.evaluate(set_value("login-name", args.name))
        await page.evaluate(set_value("login-password", "not the password"))
        page.refused_login_expected = True
        await page.evaluate("document.getElementById('login-form').requestSubmit(), true")
        await page.wait_for("document.getElementById('login-error').textContent.includes('invalid_credentials')",
                            "the login refusal", args.timeout)
        await page.evaluate(set_value("login-password", args.password))
        await page.evaluate("document.getElementById('login-form').requestSubmit(), true")
        await page.wait_for("!document.getElementById('console-view').hidden", "the console view", args.timeout)

        # The busiest accounts, live: the one that just took an order is there.
        await page.evaluate(set_value("actor-kind", "account"))
        await page.evaluate(set_value("actor-sort", "messages"))
        row = f"[...document.querySelectorAll('#actors tbody tr')].find(r => r.dataset.key === {json.dumps(args.account)})"
        await page.wait_for(f"!!{row}", f"account {args.account} in the live table", args.timeout)
        await page.evaluate(f"{row}.click(), true")
        await page.wait_for("document.getElementById('actor-state').textContent.includes('openOrders')",
                            "the account's state", args.timeout)
        state = json.loads(await page.evaluate("document.getElementById('actor-state').textContent"))
        symbols = [o.get("symbol") for o in state.get("openOrders", [])]
        if args.order_symbol not in symbols:
            raise RuntimeError(f"the account's open orders are {symbols}, not one in {args.order_symbol}")

        # The load charts: the endpoint that took the order is charted, with
        # a line drawn for it, and the node's rates beside it.
        endpoint = f"document.querySelector('#endpoints tr[data-endpoint={json.dumps(args.charted_endpoint)}]')"
        await page.wait_for(f"!!{endpoint} && {endpoint}.querySelectorAll('svg polyline').length > 0",
                            f"{args.charted_endpoint} charted", args.timeout)
        rates = await page.evaluate("[...document.querySelectorAll('#rates .rate')].map(r => r.dataset.rate).sort()")
        if rates != ["actorMessages", "quotePushes", "storeCommits", "ticksIngested"]:
            raise RuntimeError(f"the rates charted are {rates}")

        # Halt a symbol: asked, confirmed, listed.
        await page.evaluate(set_value("halt-symbol", args.halt))
        await page.evaluate(set_value("halt-reason", "console test"))
        await page.evaluate("document.getElementById('halt-form').requestSubmit(), true")
        await page.wait_for("!document.getElementById('confirm-box').hidden", "the confirmation", args.timeout)
        await page.evaluate("document.getElementById('confirm-yes').click(), true")
        await page.wait_for(f"!!document.querySelector('#halts li[data-symbol={json.dumps(args.halt)}]')",
                            f"{args.halt} among the halts", args.timeout)
        result = await page.evaluate("document.getElementById('action-result').textContent")
        if "done" not in result:
            raise RuntimeError(f"the halt answered: {result}")
        if args.screenshot:
            await page.call("Emulation.setDeviceMetricsOverride",
                            {"width": 1400, "height": 1100, "deviceScaleFactor": 1, "mobile": False})
            shot = await page.call("Page.captureScreenshot", {"format": "png"})
            with open(args.screenshot, "wb") as f:
                f.write(__import__("base64").b64decode(shot["data"]))
        # Drain pending events before judging the page clean.
        await page.evaluate("true")
        if page.problems:
            raise RuntimeError("the page reported errors: " + "; ".join(page.problems))
        return state


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    p.add_argument("--url", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--account", required=True, help="the user id whose account actor to find")
    p.add_argument("--order-symbol", required=True, help="a symbol the account has an open order in")
    p.add_argument("--halt", required=True, help="the symbol to halt")
    p.add_argument("--charted-endpoint", required=True, help="an endpoint that must be in the load charts")
    p.add_argument("--timeout", type=float, default=30)
    p.add_argument("--screenshot", help="save a PNG of the page at the end (for people, not the test)")
    args = p.parse_args()

    profile = tempfile.mkdtemp(prefix="console-chromium-")
    browser = subprocess.Popen(
        [args.chromium, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--remote-debugging-port=0", f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = os.path.join(profile, "DevToolsActivePort")
        deadline = time.monotonic() + args.timeout
        while not os.path.exists(port_file) or os.path.getsize(port_file) == 0:
            if browser.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("chromium did not start its DevTools endpoint")
            time.sleep(0.05)
        port = open(port_file).read().split()[0]
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list"))
        page = next(t for t in targets if t["type"] == "page")
        state = asyncio.run(drive(args, page["webSocketDebuggerUrl"]))
        print(json.dumps({"ok": True, "account_state": state}))
        return 0
    except Exception as e:  # the test prints this and fails
        print(json.dumps({"ok": False, "error": str(e)}))
        return 1
    finally:
        browser.kill()
        browser.wait()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
