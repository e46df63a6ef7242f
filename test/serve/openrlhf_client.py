"""A reward-server client as OpenRLHF calls one (--remote_rm_url), Python standard library only.

OpenRLHF posts json.dumps of {"query", "prompts"} (legacy, the R1-Reward fork) or {"query",
"prompts", "labels"} (current) with Content-Type: application/json, a 180 s timeout, and up to
5 tries; it reads "rewards" (and "scores", "extra_logs" in the current protocol).

Usage: python3 openrlhf_client.py URL < cases.json > results.json
Each case is one of
  {"protocol": "legacy",  "queries": [...], "prompts": [...]}
  {"protocol": "current", "queries": [...], "prompts": [...], "labels": [...]}
  {"raw_b64": "...", "content_type": "application/json" | null}   (bad input: these exact bytes)
plus an optional "token" (sent as "Authorization: Bearer <token>") and "path" (default /get_reward).
Each result is {"status": int, "body": parsed JSON or text}.
"""

import base64
import json
import sys
import urllib.error
import urllib.request

TIMEOUT_S = 180  # OpenRLHF's request timeout


def post(url, data, headers):
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    text = raw.decode("utf-8")
    try:
        body = json.loads(text)
    except ValueError:
        body = text
    return {"status": status, "body": body}


def run_case(base_url, case):
    url = base_url + case.get("path", "/get_reward")
    content_type = case.get("content_type", "application/json")  # null: send no Content-Type
    headers = {"Content-Type": content_type} if content_type else {}
    if "token" in case:
        headers["Authorization"] = "Bearer " + case["token"]
    if "raw_b64" in case:
        return post(url, base64.b64decode(case["raw_b64"]), headers)
    # Exactly the bodies OpenRLHF builds.
    if case["protocol"] == "legacy":
        payload = {"query": case["queries"], "prompts": case["prompts"]}
    else:
        payload = {"query": case["queries"], "prompts": case["prompts"], "labels": case["labels"]}
    return post(url, json.dumps(payload).encode("utf-8"), headers)


def main():
    base_url = sys.argv[1].rstrip("/")
    cases = json.load(sys.stdin)
    json.dump([run_case(base_url, case) for case in cases], sys.stdout)


if __name__ == "__main__":
    main()
