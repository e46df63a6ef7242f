"""verl reward function backed by `r1-reward serve-policy-reward` (Python standard library only).

verl's per-sample reward managers (naive, prime) call
    compute_score(data_source, solution_str, ground_truth, extra_info)
and its batch reward manager calls
    compute_score(data_sources=[...], solution_strs=[...], ground_truths=[...], extra_infos=[...]).
This one function answers both: one HTTP request per call, the whole batch at once for the batch
manager. Group mode needs the batch manager (each prompt's rollouts arrive together); reference
mode works with either.

`ground_truth` is the item: a JSON object (or its JSON string) with "question", "images" and
"reference", or a reference answer string for a prompt the server finds in its --data file.
`extra_info["prompt"]`, when present, is the prompt the server looks up in --data and groups by.

Environment: R1_REWARD_URL (default http://127.0.0.1:5000), R1_REWARD_API_KEY (bearer token),
R1_REWARD_TIMEOUT (seconds, default 180).
"""

import json
import os
import time
import urllib.error
import urllib.request

URL = os.environ.get("R1_REWARD_URL", "http://127.0.0.1:5000").rstrip("/") + "/get_reward"
TIMEOUT_S = float(os.environ.get("R1_REWARD_TIMEOUT", "180"))
TRIES = 5  # as OpenRLHF: 5 tries, 1 s apart


# A user copies this one file into a trainer, so it stays self-contained: r1_reward_fn.py repeats _post on purpose.
def _post(body):
    data = json.dumps(body).encode("utf-8")
    headers = {"Content-Type": "application/json"}
    token = os.environ.get("R1_REWARD_API_KEY")
    if token:
        headers["Authorization"] = "Bearer " + token
    for attempt in range(TRIES):
        request = urllib.request.Request(URL, data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as error:
            # 4xx is bad input: retrying sends the same bad input. 5xx (503: too many open groups) is retried.
            if error.code < 500 or attempt == TRIES - 1:
                raise RuntimeError("r1-reward server: HTTP %d: %s" % (error.code, error.read().decode("utf-8", "replace")))
        except (urllib.error.URLError, TimeoutError, ConnectionError):
            if attempt == TRIES - 1:
                raise
        time.sleep(1)


def _label(ground_truth):
    if ground_truth is None or isinstance(ground_truth, (str, dict)):
        return ground_truth
    return str(ground_truth)


def _prompt(extra_info):
    if isinstance(extra_info, dict) and isinstance(extra_info.get("prompt"), str):
        return extra_info["prompt"]
    return None


def _results(answer):
    logs = answer.get("extra_logs", {})
    results = []
    for i, reward in enumerate(answer["rewards"]):
        result = {"score": reward, "win_rate": answer["scores"][i]}
        for key in ("group_size", "judge_failed", "consistency"):
            if key in logs:
                result[key] = logs[key][i]
        results.append(result)
    return results


def compute_score(
    data_source=None,
    solution_str=None,
    ground_truth=None,
    extra_info=None,
    data_sources=None,
    solution_strs=None,
    ground_truths=None,
    extra_infos=None,
    **kwargs
):
    """One sample → {"score": reward, ...}; a batch (the batch manager's keywords) → a list of those."""
    if solution_strs is not None:
        extra_infos = extra_infos if extra_infos is not None else [None] * len(solution_strs)
        body = {
            "query": list(solution_strs),
            "prompts": [_prompt(info) for info in extra_infos],
            "labels": [_label(truth) for truth in ground_truths],
        }
        return _results(_post(body))
    body = {"query": [solution_str], "prompts": [_prompt(extra_info)], "labels": [_label(ground_truth)]}
    return _results(_post(body))[0]
