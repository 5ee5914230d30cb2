# ruff: noqa: E501
# (This file is mostly template prose; wrapping every sentence at 100 columns would hurt it.)
"""Generate the Northwind Cloud handbook dataset: course/data/handbook/*.jsonl.

    python -m course.data.generate_handbook             # rewrite the three files
    python -m course.data.generate_handbook --check     # exit 1 if the committed files are stale
    python -m course.data.generate_handbook --out DIR   # write somewhere else (tests use this)

Northwind Cloud is a fictional cloud company (object storage, queues, functions, CDN, secrets,
analytics). The generator writes its engineering handbook in four steps:

1. *facts first*: every checkable statement (an SLO, a rotation period, an error code's HTTP
   status...) is a ``Fact`` holding its value, the sentence that states it, question phrasings
   (direct and paraphrased, the latter avoiding the page's own words), plausible wrong values and,
   for superseded policies, the outdated value;
2. *documents*: builders write each page as blank-line-separated blocks; a block that states a
   fact records where it is, so a fact's passage id ("doc-0123#p4") is known exactly. Superseded
   pages are written by the same builder with the old values; changelog entries that repeat a
   fact are recorded as alternate evidence; generic filler from per-category pools makes pages
   realistic and shares vocabulary between pages that do not share answers;
3. *questions* are drawn from the facts (lookup, numeric, paraphrase), from fact chains across
   pages (multi-hop), from superseded facts (outdated-trap) and from a list of plausible
   questions whose key terms the generator proves absent from the corpus (unanswerable);
4. *judged outputs* perturb reference answers in labelled ways (paraphrase, wrong number,
   superseded value, fabrication...), each labelled by the rubric in README_handbook.md.

Everything draws from one ``random.Random(SEED)`` in a fixed order, and every row is validated by
the pydantic models in course/data/handbook.py and by ``check_integrity`` before it is written,
so the output is the same bytes on every run and machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from course.data.handbook import (
    NOT_IN_HANDBOOK,
    PASSING_PERTURBATIONS,
    Document,
    JudgedOutput,
    QAItem,
    check_integrity,
    contains_fact,
    split_passages,
)

SEED = 20240917
HERE = Path(__file__).resolve().parent
OUT_DIR = HERE / "handbook"
FILES = ("corpus.jsonl", "qa.jsonl", "judge_alignment.jsonl")

# How many single-hop questions of each type to draw from the facts.
SINGLE_HOP_QUOTAS = {"paraphrase": 52, "numeric": 62, "lookup": 60}

D = dt.date


# --------------------------------------------------------------------------------------------
# Facts and drafts
# --------------------------------------------------------------------------------------------


@dataclass
class Fact:
    """One checkable statement the corpus makes, and how to ask about it."""

    key: str
    family: str  # the document category it lives in, for spreading questions
    kind: str  # "lookup" (names, codes) or "numeric" (numbers, dates, durations)
    value: str  # what fills "{v}" in the claim; a wrong answer replaces it
    claim: str  # a sentence stating the fact, "{v}" where the value goes
    direct: tuple[str, ...]  # question phrasings using the page's vocabulary
    para: tuple[str, ...] = ()  # phrasings that avoid the page's words
    answer: str = ""  # the short reference answer (defaults to value)
    keys: tuple[str, ...] = ()  # strings the passage must contain (defaults to value)
    wrong: tuple[str, ...] = ()  # plausible wrong values
    partial: str = ""  # a claim stating only part of the answer
    missing: str = ""  # what the partial claim leaves out
    old: str = ""  # the superseded value, for facts that changed
    askable: bool = True
    loc: tuple[str, int] | None = None
    alts: list[tuple[str, int]] = field(default_factory=list)
    traps: list[tuple[str, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.answer = self.answer or self.value
        self.keys = self.keys or (self.value,)
        assert "{v}" in self.claim, self.key
        if self.kind == "numeric" and not any(re.search(r"\d", k) for k in self.keys):
            self.kind = "lookup"  # "two approvals", "unlimited": asked as lookups
        assert all(w != self.value for w in self.wrong), self.key

    def state(self, value: str | None = None) -> str:
        return self.claim.replace("{v}", self.value if value is None else value)


@dataclass
class Draft:
    """A document being written: blocks become passages p1, p2, ... in order."""

    key: str
    title: str
    category: str
    updated: dt.date
    blocks: list[str] = field(default_factory=list)
    used: set[str] = field(default_factory=set)  # filler sentences already on this page

    def add(
        self,
        text: str,
        *facts: Fact,
        heading: str = "",
        alt: tuple[Fact, ...] = (),
        trap: tuple[Fact, ...] = (),
    ) -> int:
        block = f"## {heading}\n{text}" if heading else text
        assert "\n\n" not in block and block.strip() == block, (self.key, block[:60])
        self.blocks.append(block)
        idx = len(self.blocks) - 1
        for f in facts:
            assert f.loc is None, f.key
            f.loc = (self.key, idx)
        for f in alt:
            f.alts.append((self.key, idx))
        for f in trap:
            f.traps.append((self.key, idx))
        return idx


class World:
    """All drafts and facts, and the one random generator everything draws from."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.drafts: dict[str, Draft] = {}
        self.facts: dict[str, Fact] = {}

    def doc(self, key: str, title: str, category: str, updated: dt.date) -> Draft:
        assert key not in self.drafts, key
        d = Draft(key, title, category, updated)
        self.drafts[key] = d
        self.current = d
        return d

    def fact(self, key: str, family: str, kind: str, value: str, claim: str, direct, para=(), **kw) -> Fact:
        assert key not in self.facts, key
        f = Fact(key, family, kind, value, claim, tuple(direct), tuple(para), **kw)
        self.facts[key] = f
        return f

    def pick(self, seq):
        return self.rng.choice(list(seq))

    def fill(self, pool: list[str], n: int, rng: random.Random | None = None) -> str:
        """n filler sentences from pool, avoiding those already on the current page."""
        rng = rng or self.rng
        fresh = [x for x in pool if x not in self.current.used]
        picked = rng.sample(fresh if len(fresh) >= n else pool, n)
        self.current.used.update(picked)
        return " ".join(picked)

    def date_between(self, start: dt.date, end: dt.date) -> dt.date:
        return start + dt.timedelta(days=self.rng.randrange((end - start).days + 1))


# --------------------------------------------------------------------------------------------
# Filler: generic sentences per category. They carry no checkable facts (no numbers), and they
# make pages share vocabulary without sharing answers.
# --------------------------------------------------------------------------------------------

FILLER = {
    "service": [
        "The service is deployed through Bifrost like every other production workload, and its dashboards live in Lighthouse.",
        "Alerts are routed by alert-router to the owning team's rotation; informational alerts go to the team channel instead of paging anyone.",
        "Configuration is read at start-up from the shared config store, so a config change needs a rolling restart to take effect.",
        "Traffic between services is mutually authenticated with certificates issued by cert-manager.",
        "Structured logs are shipped by log-shipper and kept according to the logging standard.",
        "Health checks hit the /healthz endpoint; a failing readiness probe removes the instance from the load balancer without restarting it.",
        "Load tests run against the staging cell before any change that alters the request path.",
        "The error budget policy applies: when the budget is spent, feature work pauses until reliability work restores it.",
        "Feature flags are served by feature-flag-service and evaluated locally from a cached snapshot.",
        "Secrets are fetched from vault-api at start-up and refreshed in the background.",
        "Changes to the public contract of the service need a short design note reviewed by the owning team.",
        "The service emits the golden signals, and its SLO dashboards are generated from the same metrics.",
        "Backfills and bulk jobs must be throttled so that they never eat into the headroom reserved for live traffic.",
        "Nothing in its deploy is manual; if you find yourself typing commands in production, write them into the runbook afterwards.",
        "Traces are sampled at the edge and propagated through the service with the standard trace headers.",
        "Capacity forecasts for the service come from capacity-planner and are reviewed with Site Reliability.",
    ],
    "runbook": [
        "Post what you see and what you are about to try in the incident channel before you try it.",
        "Do not restart everything at once; a rolling restart keeps partial capacity while you learn more.",
        "If customers are affected, ask the comms lead to update the status page while you keep working on the fix.",
        "Check the deploy annotations on the dashboard first: most pages follow a change.",
        "Compare the affected region with the others; a problem in one region only usually points at infrastructure rather than code.",
        "Keep notes as you go; the timeline you write now is the postmortem you will not have to reconstruct later.",
        "When in doubt, roll back first and investigate afterwards; a rollback is cheap and reversible.",
        "If the alert resolved on its own, still look at why it fired; flapping alerts hide real problems.",
    ],
    "api": [
        "All requests must use HTTPS; plain HTTP requests are rejected without a redirect.",
        "Timestamps are RFC 3339 strings in UTC.",
        "Every response carries an X-Request-Id header; include it when you contact Support.",
        "Unknown fields in request bodies are rejected so that typos surface early.",
        "Responses are JSON encoded in UTF-8, and errors use the common error envelope described on the errors page.",
        "The official SDKs handle retries, pagination and idempotency keys for you.",
        "Field names use snake_case, and enumerated values are lower-case strings.",
        "Examples use the placeholder token $NW_TOKEN; never paste a real token into a ticket or chat.",
        "Requests are authenticated with a bearer token in the Authorization header.",
        "Clients should treat unknown enum values as a signal to upgrade rather than as an error.",
    ],
    "product": [
        "Usage is metered per project and shown in the console under Billing, Usage, with a delay of a few minutes.",
        "Limits apply per project unless stated otherwise; an organisation with several projects gets each project's allowance separately.",
        "Higher limits can be requested from Support; requests are reviewed against the capacity plan for the region.",
        "Prices are in US dollars and exclude taxes; see the billing pages for currency and tax rules.",
        "The console shows current consumption against each limit, and a response header reports the remaining request budget.",
        "Features marked as preview carry no SLA and may change without the usual deprecation notice.",
        "Data stays in the region chosen when the resource is created and is never moved without the customer's action.",
        "Customers on annual contracts may have negotiated terms that differ from this page; the contract prevails.",
        "Everything on this page can also be managed with the CLI, the API and the Terraform provider.",
        "Allowances that are not used in a month do not roll over to the next month.",
    ],
    "billing": [
        "Billing contacts can be changed in the console by any organisation owner.",
        "All amounts on invoices are shown before and after tax, with one line per product and usage type.",
        "Questions about a specific invoice go to billing support, who can see the same line items as the customer.",
        "These rules apply to self-serve accounts; contracts signed with Sales may override them.",
        "Billing events are recorded in the audit log so that owners can see who changed payment details.",
        "The billing period is the calendar month in UTC, whatever the customer's time zone.",
        "Usage is rated by billing-rater and invoices are produced by invoice-worker; see their service pages for internals.",
        "When a rule on this page changes, customers are notified by email before the next billing period starts.",
    ],
    "security": [
        "Exceptions need a written risk acceptance approved by the service owner and Security Engineering, and they expire automatically.",
        "Compliance is checked automatically where tooling allows and sampled by hand during the annual audit.",
        "Where this page and a team's local runbook disagree, this page wins; raise the conflict in #security so the runbook can be fixed.",
        "Questions about this standard go to #security; urgent concerns can page the Security Engineering on-call.",
        "Automated checks report violations to the owning team first and escalate only when a finding stays open past its deadline.",
        "The controls described here support our SOC 2 and ISO 27001 commitments, and auditors may ask for evidence that they operate.",
        "Tooling should make the secure path the easy path; if following this standard is painful, tell us and we will fix the tooling.",
        "Violations found during an incident are recorded in the postmortem and tracked like any other action item.",
        "Customer contracts may be stricter than this page; the stricter rule always applies.",
        "Service accounts follow the same rules as human accounts unless this page says otherwise.",
    ],
    "engineering": [
        "The goal of this policy is to keep changes small, reviewed and reversible, not to slow anyone down.",
        "Teams may adopt stricter rules locally; they may not relax the rules on this page without an approved exception.",
        "Exceptions are requested in #eng-policy and approved by the engineering director for the area.",
        "Tooling enforces most of these rules automatically; the rest are checked during production readiness reviews.",
        "If a rule here gets in the way of fixing an incident, the incident commander may waive it and must record the waiver in the incident channel.",
        "Proposals to change this policy go through the RFC process like any other engineering change.",
        "New engineers learn these rules during onboarding and are paired with a buddy for their first changes.",
        "How well we follow this policy is published on the engineering health dashboard in Lighthouse.",
        "When in doubt, ask in #eng-help; a quick question is cheaper than a rollback.",
        "This page describes the default for all services; tier-specific differences are called out explicitly.",
    ],
    "incident": [
        "During an incident the incident channel is the single source of truth; decisions made on a call must be written there.",
        "Blameless does not mean without follow-up: every contributing factor gets an owner and an action item.",
        "Customer Support is kept informed in #support-escalations so that they can answer tickets consistently.",
        "incident-bot creates the channel, the status page draft and the postmortem document when an incident is declared.",
        "If you are unsure whether something is an incident, declare one; downgrading is cheap and silence is expensive.",
        "The incident commander coordinates and delegates; they should not be the person typing the fix.",
        "When the incident is resolved, the commander hands follow-up work over explicitly before closing the channel.",
        "Pages that turn out to be noise are still reviewed, because a noisy alert trains people to ignore the pager.",
        "Handover notes list open incidents, ongoing mitigations and anything unusual expected during the next shift.",
        "Rotations that page often are reviewed by Site Reliability together with the owning team.",
    ],
    "deploy": [
        "Every production change goes through Bifrost; there is no supported way to push artifacts by hand.",
        "Bifrost records who deployed what, where and when, and links each deploy to the change that produced it.",
        "A deploy that cannot be reversed must say so in its description and name the person who approved it.",
        "Rollbacks are deploys too: they use the same pipeline, checks and audit trail.",
        "If the automated checks and your intuition disagree, stop the rollout and ask; pausing is always allowed.",
        "Deploy annotations appear on every Lighthouse dashboard, so a regression can be matched to its change at a glance.",
        "Database changes are deployed separately from the code that depends on them.",
        "Artifacts are built once and promoted unchanged from staging to production.",
        "The deployer watches their own rollout until it completes; Bifrost does not page anyone for a failed deploy.",
        "Region rollouts follow the wave order so that a bad change reaches as few customers as possible first.",
    ],
    "glossary": [
        "This entry is the canonical definition; other pages link here rather than redefining the term.",
        "Industry usage of the term varies, so read the handbook's meaning when the two differ.",
        "Ask in #eng-help if a page uses the term in a way that does not match this entry.",
        "The term appears throughout the incident, deploy and service pages.",
        "New joiners meet the term in their first week, usually during an on-call shadow shift.",
    ],
    "changelog": [
        "Fixed a bug where listing requests with an empty prefix returned a truncated first page.",
        "Fixed incorrect Retry-After values on some 429 responses served from the edge.",
        "Improved error messages for invalid JSON bodies: the message now names the offending field.",
        "Fixed a rare duplicate delivery of webhook events after a regional failover.",
        "The console now shows the request id of failed API calls in the activity panel.",
        "Fixed a time zone bug in usage graphs for projects created near midnight UTC.",
        "Reduced cold-start time for functions that use large dependency bundles.",
        "Fixed presigned URLs that were rejected when the object key contained a plus sign.",
        "Audit events now include the API key id used for the request.",
        "The CLI now prints a warning when a command targets a deprecated endpoint.",
        "Fixed pagination cursors that expired early under heavy load.",
        "Insights query results now preserve column order from the query.",
        "Fixed an issue where purges by tag did not reach all edge locations.",
        "The Go SDK now sets idempotency keys automatically on retried POST requests.",
        "Improved the rendering of long invoice PDFs with many usage lines.",
        "Fixed a race that could report a queue as empty while messages were in flight.",
        "Documentation examples now use the v2 paths throughout.",
        "Fixed the certificate status endpoint reporting renewals as pending after they completed.",
        "Error responses now always include the documentation link for the error code.",
        "Fixed a memory leak in long-running asynchronous invocations.",
        "The Python SDK now supports streaming downloads of large objects.",
        "Improved throughput of batch sends for queues with many consumers.",
    ],
    "team": [
        "The team runs a planning meeting every week and publishes its roadmap in the handbook.",
        "New requests go through the team's intake form; urgent production issues go to the pager instead.",
        "Engineers from other teams are welcome to send pull requests; the team reviews them like its own.",
        "The team keeps an up-to-date list of its services in the service catalogue.",
        "Office hours are announced in the team channel for anyone who wants to pair on an integration.",
    ],
}


# --------------------------------------------------------------------------------------------
# The company: teams, services, regions
# --------------------------------------------------------------------------------------------

# slug, name, manager, tech lead, office, time zone, mission
TEAMS = [
    ("payments", "Payments Platform", "Priya Raman", "Tomasz Wojcik", "Dublin", "Europe/Dublin", "moves money reliably: charging cards, recording balances and reconciling with payment processors"),
    ("billing", "Billing Systems", "Marcus Bell", "Ines Carvalho", "Lisbon", "Europe/Lisbon", "turns metered usage into accurate invoices and keeps tax rules current"),
    ("identity", "Identity & Access", "Amara Okafor", "Kenji Watanabe", "Toronto", "America/Toronto", "owns login, access tokens, single sign-on and user provisioning"),
    ("storage", "Storage Core", "Hannah Lindqvist", "Diego Salazar", "Berlin", "Europe/Berlin", "builds the object storage service customers trust with their data"),
    ("edge", "Edge Networking", "Rahul Menon", "Chloe Durand", "Singapore", "Asia/Singapore", "runs the CDN, custom domains, certificates and DNS"),
    ("pipelines", "Data Pipelines", "Fatima Haddad", "Jonas Becker", "Warsaw", "Europe/Warsaw", "moves data from production systems into Tidepool and the reporting warehouse"),
    ("devex", "Developer Experience", "Oluwaseun Adeyemi", "Sofia Marchetti", "Austin", "America/Chicago", "keeps builds fast and the paved road paved"),
    ("observability", "Observability", "Erik Solberg", "Mei Lin Tan", "Dublin", "Europe/Dublin", "runs metrics, logs, traces and alerting for every other team"),
    ("compute", "Compute Runtime", "Aisha Rahman", "Pablo Ortega", "Berlin", "Europe/Berlin", "runs customer functions safely and fast"),
    ("messaging", "Messaging", "Grace Mwangi", "Lukas Novak", "Nairobi", "Africa/Nairobi", "builds queues, webhooks and the internal event bus"),
    ("secops", "Security Engineering", "Yara Nasser", "Daniel Kim", "Toronto", "America/Toronto", "secures the platform and makes the secure path the easy one"),
    ("sre", "Site Reliability", "Nadia Petrova", "Samuel Osei", "Warsaw", "Europe/Warsaw", "keeps production healthy, runs the incident process and plans capacity"),
    ("notifications", "Notifications", "Elena Rossi", "Arjun Iyer", "Lisbon", "Europe/Lisbon", "gets the right message to the right person by email, SMS and push"),
    ("catalog", "Product Catalog", "Freya Nilsen", "Tariq Aziz", "Austin", "America/Chicago", "owns plans, quotas, entitlements and feature flags"),
    ("insights", "Insights Analytics", "Lucia Fernandez", "Owen Gallagher", "Singapore", "Asia/Singapore", "lets customers query and visualise their logs and metrics"),
]
TEAM = {t[0]: t for t in TEAMS}

# name, team slug, what it does, shape
SERVICES = [
    ("ledger-api", "payments", "records every balance movement on customer accounts and serves balance reads", "api"),
    ("ledger-reconciler", "payments", "compares the ledger with processor settlement files every night and flags mismatches", "worker"),
    ("payment-router", "payments", "chooses a payment processor for each charge and retries soft declines", "api"),
    ("card-tokenizer", "payments", "exchanges raw card numbers for tokens so that no other service ever sees a card number", "api"),
    ("billing-rater", "billing", "turns metered usage into priced line items using the plan catalogue", "worker"),
    ("invoice-worker", "billing", "renders invoices as PDF and emails them to billing contacts", "worker"),
    ("usage-aggregator", "billing", "rolls raw metering events up into hourly usage totals per project", "worker"),
    ("tax-calculator", "billing", "computes VAT and sales tax for each invoice line", "api"),
    ("auth-gateway", "identity", "terminates authentication for the public API and checks scopes on every request", "api"),
    ("token-service", "identity", "issues and validates access tokens for users and API keys", "api"),
    ("sso-bridge", "identity", "connects customer identity providers over SAML and OIDC", "api"),
    ("scim-sync", "identity", "applies user provisioning changes pushed by customer directories", "worker"),
    ("session-store", "identity", "keeps console login sessions and their revocation list", "api"),
    ("blob-frontend", "storage", "serves the object storage API for uploads, downloads and listings", "api"),
    ("blob-replicator", "storage", "copies new objects to the secondary zones of a region", "worker"),
    ("blob-gc", "storage", "reclaims space from deleted and expired objects", "worker"),
    ("metadata-db-proxy", "storage", "pools and routes connections to the object metadata database", "infra"),
    ("bucket-policy-engine", "storage", "evaluates bucket access policies and lifecycle rules", "api"),
    ("edge-router", "edge", "routes requests from the CDN edge to the right regional origin", "infra"),
    ("cdn-purger", "edge", "fans cache purge requests out to every edge location", "worker"),
    ("cert-manager", "edge", "issues and renews TLS certificates for custom domains and internal mTLS", "worker"),
    ("dns-controller", "edge", "reconciles DNS records for customer domains and internal zones", "worker"),
    ("export-worker", "pipelines", "writes Insights query results to customer buckets", "worker"),
    ("etl-scheduler", "pipelines", "schedules and tracks the batch jobs that load product data into Tidepool", "worker"),
    ("cdc-streamer", "pipelines", "streams row changes from production databases onto the event bus", "worker"),
    ("warehouse-loader", "pipelines", "loads curated tables from Tidepool into the reporting warehouse", "worker"),
    ("build-farm", "devex", "runs CI builds and tests inside Drydock sandboxes", "infra"),
    ("artifact-registry", "devex", "stores the container images and build artifacts that Bifrost promotes", "api"),
    ("preview-env-controller", "devex", "creates short-lived preview environments for pull requests", "worker"),
    ("docs-portal", "devex", "serves the public API documentation and this handbook", "api"),
    ("metrics-ingest", "observability", "accepts metrics from every service and writes them to the time-series store", "api"),
    ("log-shipper", "observability", "collects service logs on each host and forwards them to the log store", "infra"),
    ("trace-collector", "observability", "receives distributed traces and applies tail-based sampling", "api"),
    ("alert-router", "observability", "evaluates alert rules and routes pages to the right rotation", "worker"),
    ("fn-runtime", "compute", "executes customer functions inside isolated micro-VMs", "infra"),
    ("fn-builder", "compute", "turns uploaded function bundles into runnable images", "worker"),
    ("fn-scheduler", "compute", "places function invocations on hosts with warm capacity", "api"),
    ("container-host-agent", "compute", "manages micro-VMs and reports host health on every compute host", "infra"),
    ("queue-broker", "messaging", "stores and delivers queue messages with at-least-once semantics", "api"),
    ("queue-scheduler", "messaging", "delivers delayed messages when their delay expires", "worker"),
    ("webhook-dispatcher", "messaging", "delivers webhook events to customer endpoints and retries failures", "worker"),
    ("event-bus", "messaging", "carries internal domain events between services", "infra"),
    ("secret-scanner", "secops", "scans commits, build logs and tickets for leaked credentials", "worker"),
    ("vault-api", "secops", "stores internal and customer secrets and hands out dynamic database credentials", "api"),
    ("kms-proxy", "secops", "fronts the hardware-backed key management service used for envelope encryption", "api"),
    ("audit-log-writer", "secops", "writes tamper-evident audit records for every administrative action", "worker"),
    ("status-page", "sre", "publishes the public status page and incident updates", "api"),
    ("capacity-planner", "sre", "forecasts capacity per region from traffic history", "worker"),
    ("chaos-runner", "sre", "injects controlled failures during game days", "worker"),
    ("incident-bot", "sre", "creates incident channels, timelines and postmortem drafts from Slack commands", "worker"),
    ("notification-hub", "notifications", "decides how and when to notify a user and hands each message to a channel sender", "api"),
    ("email-sender", "notifications", "sends transactional email through our mail providers", "worker"),
    ("sms-gateway", "notifications", "sends console notification texts through regional carriers", "worker"),
    ("push-relay", "notifications", "delivers push notifications to the Northwind mobile app", "worker"),
    ("plan-catalog", "catalog", "is the source of truth for plans, prices and included allowances", "api"),
    ("quota-enforcer", "catalog", "checks resource creation against plan limits and custom quota overrides", "api"),
    ("feature-flag-service", "catalog", "serves feature flag rules to every service", "api"),
    ("entitlements-api", "catalog", "answers which features a project is entitled to on its plan", "api"),
    ("insights-query", "insights", "runs analytics queries over customer logs and metrics", "api"),
    ("insights-ingest", "insights", "accepts customer log and metric data for Insights", "api"),
    ("dashboard-api", "insights", "stores and serves customer dashboards in the console", "api"),
    ("report-scheduler", "insights", "emails scheduled Insights reports to customers", "worker"),
]
SERVICE_NAMES = [s[0] for s in SERVICES]

REGIONS = [
    ("nw-eu-central-1", "Frankfurt"),
    ("nw-eu-west-1", "Dublin"),
    ("nw-us-east-1", "Ashburn"),
    ("nw-us-west-2", "Portland"),
    ("nw-ap-southeast-1", "Singapore"),
]
LANGUAGES = ["Go", "Rust", "Kotlin", "Python", "TypeScript"]
SLOS = {1: ["99.95%", "99.99%"], 2: ["99.9%", "99.95%"], 3: ["99.5%", "99.0%"]}
ALL_SLOS = ["99.0%", "99.5%", "99.9%", "99.95%", "99.99%"]
LATENCIES = [50, 80, 100, 150, 200, 250, 300, 400, 500, 800]
WINDOWS = ["rolling 28-day", "rolling 30-day", "calendar-month"]


def camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))


# --------------------------------------------------------------------------------------------
# Teams
# --------------------------------------------------------------------------------------------


def build_teams(w: World) -> None:
    for slug, name, manager, lead, office, tz, mission in TEAMS:
        d = w.doc(f"team:{slug}", f"Team: {name}", "team", w.date_between(D(2024, 1, 8), D(2024, 10, 25)))
        d.add(f"The {name} team {mission}. " + w.fill(FILLER["team"], 2), heading="Mission")
        others = [t[2] for t in TEAMS if t[2] != manager]
        f_mgr = w.fact(
            f"team.{slug}.manager", "team", "lookup", manager,
            f"The {name} team is managed by {{v}}.",
            [f"Who is the engineering manager of the {name} team?", f"Who manages {name}?"],
            [f"Who do the engineers of {name} report to?", f"Who is the people lead for {name}?"],
            wrong=tuple(w.rng.sample(others, 2)),
        )
        f_lead = w.fact(
            f"team.{slug}.lead", "team", "lookup", lead,
            f"The tech lead of {name} is {{v}}.",
            [f"Who is the tech lead of the {name} team?"],
            [f"Who makes the final technical calls for {name}?"],
            wrong=tuple(w.rng.sample([t[3] for t in TEAMS if t[3] != lead], 2)),
        )
        d.add(f"The team is managed by {manager}. Its tech lead is {lead}, who is the first point of contact for design reviews and cross-team technical questions.", f_mgr, f_lead, heading="People")
        slack = f"#team-{slug}"
        pager = f"oncall-{slug}"
        f_slack = w.fact(
            f"team.{slug}.slack", "team", "lookup", slack,
            f"The {name} team's Slack channel is {{v}}.",
            [f"What is the Slack channel of the {name} team?", f"Which Slack channel should I use to reach {name}?"],
            [f"Where do I post a non-urgent question for {name}?"],
            wrong=(f"#{slug}-eng", f"#team-{w.pick([t[0] for t in TEAMS if t[0] != slug])}"),
        )
        f_pager = w.fact(
            f"team.{slug}.pager", "team", "lookup", pager,
            f"The pager rotation of {name} is {{v}}.",
            [f"What is the pager rotation name for {name}?", f"Which on-call rotation pages the {name} team?"],
            [f"Whom do I page if something owned by {name} is on fire?"],
            wrong=(f"pd-{slug}", f"oncall-{w.pick([t[0] for t in TEAMS if t[0] != slug])}"),
        )
        d.add(f"Questions and requests go to {slack}. Automated notifications land in #{slug}-alerts, which is muted for most people. To page the team, use the rotation {pager} in the paging tool; do not page individuals directly.", f_slack, f_pager, heading="Contact")
        f_office = w.fact(
            f"team.{slug}.office", "team", "lookup", office,
            f"The {name} team is based in {{v}}.",
            [f"In which office is the {name} team based?"],
            [f"Which city do most {name} engineers work from?"],
            wrong=tuple(w.rng.sample(sorted({t[4] for t in TEAMS} - {office}), 2)),
        )
        d.add(f"The team is based in {office} and keeps core hours in the {tz} time zone. Expect answers within the working day; anything urgent should go through the pager.", f_office, heading="Working hours")


# --------------------------------------------------------------------------------------------
# Services and runbooks
# --------------------------------------------------------------------------------------------

STORE_ENGINES = [("PostgreSQL", "pg"), ("Cassandra", "cas"), ("Redis", "redis"), ("FoundationDB", "fdb")]


def build_services(w: World) -> dict[str, dict]:
    info: dict[str, dict] = {}
    used_stores: set[str] = set()
    ports = w.rng.sample(range(8100, 9900), len(SERVICES))
    for (name, team, purpose, shape), port in zip(SERVICES, ports, strict=True):
        tier = w.rng.choices([1, 2, 3], weights=[4, 4, 2])[0]
        if name in ("ledger-api", "auth-gateway", "blob-frontend", "queue-broker", "token-service", "edge-router"):
            tier = 1
        slo = w.pick(SLOS[tier])
        lat = w.pick(LATENCIES)
        window = w.pick(WINDOWS)
        region, city = w.pick(REGIONS)
        failover = w.pick([r for r in REGIONS if r[0] != region and r[0][:5] == region[:5]] or [r for r in REGIONS if r[0] != region])
        lang = w.pick(LANGUAGES)
        near = sorted(({s[0] for s in SERVICES if s[1] == team} | set(PLATFORM_DEPS)) - {name})
        deps = w.rng.sample(near, w.rng.choice([2, 2, 3]))
        soft = w.pick([s for s in near if s not in deps])
        engine, prefix = w.pick(STORE_ENGINES)
        short = name.split("-")[0] if name.split("-")[0] not in ("blob", "fn", "queue", "insights") else name.replace("-", "")[:10]
        store_id = f"{prefix}-{short}-{w.rng.randrange(1, 9)}"
        while store_id in used_stores:
            store_id = f"{prefix}-{short}-{w.rng.randrange(1, 9)}"
        used_stores.add(store_id)
        info[name] = {"team": team, "tier": tier, "slo": slo, "lat": lat, "region": region, "deps": deps, "shape": shape, "lang": lang}
        tname = TEAM[team][1]
        d = w.doc(f"svc:{name}", f"Service: {name}", "service-catalogue", w.date_between(D(2023, 9, 1), D(2024, 10, 30)))

        f_tier = w.fact(
            f"svc.{name}.tier", "service-catalogue", "lookup", f"Tier {tier}",
            f"{name} is a {{v}} service.",
            [f"What service tier is {name}?", f"Which tier is {name} classified as?"],
            wrong=tuple(f"Tier {t}" for t in (1, 2, 3) if t != tier),
        )
        d.add(f"{name} {purpose}. It is a Tier {tier} service. " + w.fill(FILLER["service"], 2), f_tier, heading="Summary")
        f_owner = w.fact(
            f"svc.{name}.owner", "service-catalogue", "lookup", tname,
            f"{name} is owned by the {{v}} team.",
            [f"Which team owns {name}?", f"What team is responsible for the {name} service?", f"Who owns {name} according to the service catalogue?"],
            [f"If {name} misbehaves, which group of engineers is accountable for fixing it?", f"Whose engineers look after {name}?"],
            wrong=tuple(w.rng.sample([t[1] for t in TEAMS if t[0] != team], 2)),
        )
        d.add(f"{name} is owned by the {tname} team. Pages for it go to that team's on-call rotation; the team page lists the rotation and the Slack channel.", f_owner, heading="Ownership")
        other_slos = [s for s in ALL_SLOS if s != slo]
        f_slo = w.fact(
            f"svc.{name}.slo", "service-catalogue", "numeric", slo,
            f"The availability SLO of {name} is {{v}}.",
            [f"What is the availability SLO of {name}?", f"What availability target does {name} have?"],
            [f"How much uptime is {name} expected to deliver?", f"What reliability percentage is {name} held to?"],
            wrong=tuple(w.rng.sample(other_slos, 2)),
        )
        op = {"api": "read requests", "worker": "job pickup after enqueue", "infra": "request forwarding"}[shape]
        f_lat = w.fact(
            f"svc.{name}.latency", "service-catalogue", "numeric", f"{lat} ms",
            f"The p99 latency objective of {name} is {{v}}.",
            [f"What is the p99 latency objective for {name}?", f"What latency SLO does {name} have at p99?"],
            [f"How quickly must the slowest one percent of {name} calls complete?"],
            wrong=tuple(f"{x} ms" for x in w.rng.sample([x for x in LATENCIES if x != lat], 2)),
        )
        d.add(f"Availability: {slo} of requests succeed, measured over a {window} window. Latency: p99 below {lat} ms for {op}. Both objectives are tracked on the service's SLO dashboard, and burn-rate alerts page the owning team when the error budget is being spent too fast.", f_slo, f_lat, heading="Service level objectives")
        dep_txt = " and ".join(deps) if len(deps) == 2 else f"{deps[0]}, {deps[1]} and {deps[2]}"
        wrong_dep = w.pick([s for s in near if s not in deps and s != soft] or [s for s in SERVICE_NAMES if s != name and s not in deps])
        f_deps = w.fact(
            f"svc.{name}.deps", "service-catalogue", "lookup", dep_txt,
            f"The hard dependencies of {name} are {{v}}.",
            [f"What are the hard dependencies of {name}?", f"Which services are listed as hard dependencies of {name}?"],
            [f"Which other services does {name} need in order to function at all?"],
            keys=tuple(deps),
            wrong=(" and ".join([*deps[:-1], wrong_dep]) if len(deps) == 2 else f"{deps[0]}, {deps[1]} and {wrong_dep}",),
            partial=f"{name} depends on {deps[0]}.",
            missing=" and ".join(deps[1:]),
        )
        f_store = w.fact(
            f"svc.{name}.store", "service-catalogue", "lookup", f"{engine} cluster {store_id}",
            f"{name} keeps its state in the {{v}}.",
            [f"Which data store does {name} use?", f"What database cluster backs {name}?"],
            [f"Where does {name} persist its data?"],
            keys=(store_id,),
            wrong=(f"{engine} cluster {prefix}-{short}-{(int(store_id[-1]) % 8) + 1}",),
        )
        d.add(f"Hard dependencies: {dep_txt}. If any of them is unavailable, {name} cannot serve traffic and its own alerts will fire. Soft dependency: {soft}; when it is down, {name} degrades gracefully and queues work for later. State lives in the {engine} cluster `{store_id}`, which is backed up according to the backup standard.", f_deps, f_store, heading="Dependencies")
        f_port = w.fact(
            f"svc.{name}.port", "service-catalogue", "numeric", str(port),
            f"{name} listens on port {{v}}.",
            [f"Which port does {name} listen on?", f"What is the service port of {name}?"],
            wrong=(str(port + 1), str(port + 100)),
        )
        f_region = w.fact(
            f"svc.{name}.region", "service-catalogue", "lookup", region,
            f"The primary region of {name} is {{v}}.",
            [f"What is the primary region of {name}?", f"In which region does {name} primarily run?"],
            [f"In which location is {name} mainly hosted?"],
            wrong=(failover[0],),
        )
        f_lang = w.fact(
            f"svc.{name}.lang", "service-catalogue", "lookup", lang,
            f"{name} is written in {{v}}.",
            [f"What language is {name} written in?"],
            [f"Which programming language would I need to know to contribute to {name}?"],
            wrong=tuple(w.rng.sample([x for x in LANGUAGES if x != lang], 2)),
        )
        d.add(architecture(w, name, shape, lang, store_id, deps), heading="Architecture")
        d.add(f"{name} is written in {lang} and listens on port {port} behind the internal load balancer. Primary region: {region} ({city}); it fails over to {failover[0]} when the primary region is evacuated. " + w.fill(FILLER["service"], 1), f_port, f_region, f_lang, heading="Operations")
        d.add("See also: [[runbook:" + name + "]] for alerts and first steps." if name in RUNBOOK_SERVICES else "This service has no dedicated runbook yet; follow the generic triage steps in the incident handbook. " + w.fill(FILLER["service"], 1), heading="Runbook")
    return info


# Services many others depend on; dependencies are drawn from these and the owner's other services.
PLATFORM_DEPS = ["token-service", "vault-api", "event-bus", "feature-flag-service", "kms-proxy", "metadata-db-proxy", "entitlements-api", "queue-broker", "auth-gateway"]


def architecture(w: World, name: str, shape: str, lang: str, store: str, deps: list[str]) -> str:
    replicas = w.pick([3, 4, 6, 8, 12, 16, 24])
    if shape == "api":
        front = w.pick(["the internal load balancer", "auth-gateway", "Switchyard"])
        ttl = w.pick([5, 10, 30, 60])
        return (f"Requests reach {name} through {front} and are handled by stateless {lang} workers, typically {replicas} replicas per region at peak. "
                f"Reads are served from a local cache with a {ttl}-second TTL; writes go straight to `{store}`. Calls to {deps[0]} use a short timeout and a circuit breaker, so a slow dependency fails fast instead of tying up workers.")
    if shape == "worker":
        source = w.pick(["queue-broker", "event-bus", "a schedule in etl-scheduler", "its own work table"])
        batch = w.pick([50, 100, 250, 500])
        return (f"{name} takes work from {source} in batches of up to {batch} items and commits progress to `{store}` after each batch, so a restart resumes where it stopped. "
                f"It runs {replicas} replicas per region; work is partitioned by project id so that one busy customer cannot starve the others.")
    return (f"{name} runs on every host of a cell as a daemon. It exposes a local socket to other processes on the host and reports its health to capacity-planner every few seconds. "
            f"Upgrades roll through one cell at a time, and a host whose {name} fails its health check is drained automatically.")


RUNBOOK_SERVICES = [
    "ledger-api", "payment-router", "billing-rater", "invoice-worker", "auth-gateway", "token-service",
    "sso-bridge", "blob-frontend", "blob-replicator", "edge-router", "cdn-purger", "cert-manager",
    "export-worker", "cdc-streamer", "build-farm", "metrics-ingest", "alert-router", "fn-runtime",
    "fn-scheduler", "queue-broker", "webhook-dispatcher", "vault-api", "notification-hub", "insights-query",
]


def build_runbooks(w: World, info: dict[str, dict]) -> dict[str, str]:
    """One runbook per listed service; returns alert name -> service."""
    alerts: dict[str, str] = {}
    for name in RUNBOOK_SERVICES:
        s = info[name]
        kind = w.pick(["errors", "latency", "backlog", "saturation"] if s["shape"] == "worker" else ["errors", "errors", "latency", "saturation"])
        minutes = w.pick([5, 10, 15])
        if kind == "errors":
            x = w.pick([1, 2, 5])
            alert, what = f"{camel(name)}HighErrorRate", "elevated 5xx rate"
            cond, val, keys = f"the 5xx ratio of {name} is above {x}% for {minutes} minutes in a row", f"above {x}% for {minutes} minutes", (f"{x}%", f"{minutes} minutes")
            wrong = f"above {x * 2}% for {minutes} minutes"
            q_direct = f"At what 5xx ratio, sustained for how long, does the {alert} alert fire?"
            q_para = f"How bad does the failure rate of {name} have to get, and for how long, before someone is paged?"
        elif kind == "latency":
            y = s["lat"] * 2
            alert, what = f"{camel(name)}LatencyHigh", "high latency"
            cond, val, keys = f"p99 latency of {name} exceeds {y} ms for {minutes} minutes in a row", f"p99 above {y} ms for {minutes} minutes", (f"{y} ms", f"{minutes} minutes")
            wrong = f"p99 above {s['lat']} ms for {minutes} minutes"
            q_direct = f"What p99 latency, sustained for how long, triggers the {alert} alert?"
            q_para = f"How slow does {name} have to get, and for how long, before the on-call engineer is paged?"
        elif kind == "backlog":
            n = w.pick([5000, 10000, 25000, 50000])
            alert, what = f"{camel(name)}BacklogGrowing", "growing backlog"
            cond, val, keys = f"the backlog of {name} exceeds {n:,} pending jobs for {minutes} minutes in a row", f"more than {n:,} pending jobs for {minutes} minutes", (f"{n:,}", f"{minutes} minutes")
            wrong = f"more than {n * 2:,} pending jobs for {minutes} minutes"
            q_direct = f"What backlog size, sustained for how long, fires the {alert} alert?"
            q_para = f"How much unprocessed work may pile up in {name}, and for how long, before anyone is paged?"
        else:
            c = w.pick([80, 85, 90])
            alert, what = f"{camel(name)}Saturated", "CPU saturation"
            cond, val, keys = f"average CPU across {name} replicas is above {c}% for {minutes} minutes in a row", f"CPU above {c}% for {minutes} minutes", (f"{c}%", f"{minutes} minutes")
            wrong = f"CPU above {c - 10}% for {minutes} minutes"
            q_direct = f"At what CPU level, sustained for how long, does the {alert} alert fire?"
            q_para = f"How busy do the {name} machines have to be, and for how long, before a page goes out?"
        alerts[alert] = name
        board = f"lh-{w.rng.randrange(1000, 9999)}"
        esc = w.pick([15, 20, 30, 45])
        d = w.doc(f"runbook:{name}", f"Runbook: {name} {what}", "runbook", w.date_between(D(2023, 11, 1), D(2024, 10, 30)))
        f_cond = w.fact(
            f"rb.{name}.threshold", "runbook", "numeric", val,
            f"The {alert} alert fires when {{v}}.",
            [q_direct], [q_para], keys=keys, wrong=(wrong,),
            partial=f"The {alert} alert fires at {keys[0]}.", missing=f"the {minutes}-minute duration",
        )
        f_alert = w.fact(
            f"rb.{name}.alert", "runbook", "lookup", alert,
            f"The alert for {name} is {{v}}.",
            [f"What is the name of the alert in the {name} runbook?"], askable=False,
        )
        d.add(f"Alert `{alert}` fires when {cond}. It pages the owning team's primary on-call. " + w.fill(FILLER["runbook"], 1), f_cond, f_alert, heading="When this fires")
        f_board = w.fact(
            f"rb.{name}.board", "runbook", "lookup", board,
            f"The first Lighthouse board to open for {alert} is {{v}}.",
            [f"Which Lighthouse board should you open first when {alert} fires?", f"What is the Lighthouse board id in the {name} runbook?"],
            wrong=(f"lh-{int(board[3:]) + 1}",),
        )
        d.add(f"1. Acknowledge the page and join or open the incident channel.\n2. Open Lighthouse board `{board}` and compare the affected region with the others.\n3. List recent deploys with `nwctl deploys {name} --last 5`.\n4. Check the hard dependencies' dashboards before digging into {name} itself.", f_board, heading="First steps")
        d.add(f"If a deploy in the last few hours lines up with the start of the problem, roll back with `nwctl rollback {name} --to previous` and watch the error rate for a few minutes. If traffic is the cause, scale out with `nwctl scale {name} --replicas +50%`. " + w.fill(FILLER["runbook"], 2), heading="Mitigation")
        f_esc = w.fact(
            f"rb.{name}.escalate", "runbook", "numeric", f"{esc} minutes",
            f"If {alert} is not mitigated within {{v}}, a SEV2 incident must be declared.",
            [f"According to the {name} runbook, after how many minutes without mitigation should a SEV2 be declared?"],
            [f"How long may the on-call engineer fight a {name} problem alone before it becomes a formal incident?"],
            wrong=tuple(f"{x} minutes" for x in w.rng.sample([m for m in (15, 20, 30, 45, 60) if m != esc], 2)),
        )
        d.add(f"If the alert is still firing after {esc} minutes of mitigation attempts, declare a SEV2 with `/incident declare` and page the owning team's secondary. " + w.fill(FILLER["runbook"], 1), f_esc, heading="Escalation")
        d.add(f"Service page: [[svc:{name}]]. Incident process: [[inc:severity]].", heading="Related")
    return alerts


# --------------------------------------------------------------------------------------------
# Releases (the changelog timeline is needed by the API pages: "available since")
# --------------------------------------------------------------------------------------------


def release_timeline(w: World) -> list[tuple[str, dt.date]]:
    """Public API releases: every two weeks on Thursdays in 2023, then (after the release train
    went weekly) on some Wednesdays of 2024. Only releases with visible changes are listed."""
    dates = [D(2023, 1, 12) + dt.timedelta(days=14 * k) for k in range(25)]
    dates = [d for d in dates if not (d.month == 12 and d.day >= 20)]
    d = D(2024, 1, 10)
    while len(dates) < 40:
        dates.append(d)
        d += dt.timedelta(days=7 * w.pick([2, 2, 3]))
    out, major, minor, patch = [], 4, 0, 0
    for i, day in enumerate(dates):
        if i and w.rng.random() < 0.2 and patch == 0:
            patch = 1
        elif i:
            minor, patch = minor + 1, 0
        out.append((f"{major}.{minor}.{patch}", day))
    return out


# --------------------------------------------------------------------------------------------
# API reference
# --------------------------------------------------------------------------------------------

# method, path, product, scope, description (page wording), paraphrase (question wording) or "", shape
ENDPOINTS = [
    ("GET", "/v2/buckets", "blob", "blob:read", "Lists the buckets in a project.", "see all the storage buckets a project has", "list"),
    ("POST", "/v2/buckets", "blob", "blob:admin", "Creates a bucket in the chosen region.", "make a new storage bucket", "write"),
    ("DELETE", "/v2/buckets/{bucket}", "blob", "blob:admin", "Deletes an empty bucket.", "remove a storage bucket that holds nothing", "other"),
    ("GET", "/v2/buckets/{bucket}/objects", "blob", "blob:read", "Lists the objects in a bucket, optionally filtered by prefix.", "enumerate the files inside a bucket", "list"),
    ("PUT", "/v2/buckets/{bucket}/objects/{key}", "blob", "blob:write", "Uploads an object in a single request.", "upload a file into a bucket in one go", "upload"),
    ("GET", "/v2/buckets/{bucket}/objects/{key}", "blob", "blob:read", "Downloads an object.", "download a stored file", "other"),
    ("POST", "/v2/buckets/{bucket}/lifecycle-rules", "blob", "blob:admin", "Adds a lifecycle rule that expires objects after a given age.", "set up automatic expiry of old files", "write"),
    ("POST", "/v2/buckets/{bucket}/presigned-urls", "blob", "blob:write", "Creates a time-limited URL for uploading or downloading one object.", "generate a temporary link that lets someone without credentials fetch a file", "write"),
    ("POST", "/v2/queues", "queue", "queue:admin", "Creates a queue.", "set up a new message queue", "write"),
    ("GET", "/v2/queues", "queue", "queue:read", "Lists the queues in a project.", "", "list"),
    ("POST", "/v2/queues/{queue}/messages", "queue", "queue:write", "Sends one message, or a batch, to a queue.", "publish messages onto a queue", "send"),
    ("GET", "/v2/queues/{queue}/messages", "queue", "queue:consume", "Receives messages and hides them for the visibility timeout.", "pull messages off a queue for processing", "other"),
    ("DELETE", "/v2/queues/{queue}/messages/{receipt}", "queue", "queue:consume", "Acknowledges and deletes a received message.", "tell the system a message has been fully processed", "other"),
    ("POST", "/v2/queues/{queue}/purge", "queue", "queue:admin", "Deletes every message in a queue.", "empty a queue of everything in it", "other"),
    ("POST", "/v2/functions", "functions", "functions:admin", "Creates a function from an uploaded bundle.", "deploy a brand-new serverless function", "bundle"),
    ("GET", "/v2/functions", "functions", "functions:read", "Lists the functions in a project.", "", "list"),
    ("POST", "/v2/functions/{function}/invocations", "functions", "functions:invoke", "Invokes a function synchronously or asynchronously.", "run a serverless function on demand", "write"),
    ("POST", "/v2/functions/{function}/versions", "functions", "functions:admin", "Publishes an immutable version of a function.", "freeze the current code of a function as a numbered release", "write"),
    ("PATCH", "/v2/functions/{function}/config", "functions", "functions:admin", "Updates memory, timeout and environment variables.", "change how much memory a function gets", "write"),
    ("GET", "/v2/functions/{function}/logs", "functions", "functions:read", "Streams recent log lines of a function.", "read what a function printed recently", "other"),
    ("POST", "/v2/cdn/purges", "edge", "edge:purge", "Purges cached URLs or tags from the CDN.", "clear stale content out of the CDN cache", "write"),
    ("GET", "/v2/cdn/purges/{purge}", "edge", "edge:read", "Reports the progress of a purge.", "check whether a cache invalidation has finished", "other"),
    ("POST", "/v2/domains", "edge", "edge:admin", "Attaches a custom domain to a project.", "point your own hostname at Northwind", "write"),
    ("GET", "/v2/domains/{domain}/certificate", "edge", "edge:read", "Returns the TLS certificate status of a custom domain.", "find out when the HTTPS certificate for a custom hostname expires", "other"),
    ("PUT", "/v2/edge/rules", "edge", "edge:admin", "Replaces the edge rule set (redirects, headers, blocking).", "replace the redirect and header rules at the edge", "write"),
    ("POST", "/v2/secrets", "vault", "secrets:write", "Creates a secret.", "store a brand-new credential", "secret"),
    ("GET", "/v2/secrets/{name}", "vault", "secrets:read", "Reads the current version of a secret.", "fetch the latest value of a stored credential", "other"),
    ("POST", "/v2/secrets/{name}/versions", "vault", "secrets:write", "Adds a new version to an existing secret.", "store a new value for an existing credential while keeping the old one", "write"),
    ("DELETE", "/v2/secrets/{name}", "vault", "secrets:admin", "Schedules a secret for deletion.", "get rid of a stored credential", "other"),
    ("POST", "/v2/keys/{key}/rotate", "vault", "keys:rotate", "Rotates an encryption key.", "swap an encryption key for a fresh one", "other"),
    ("POST", "/v2/insights/queries", "insights", "insights:query", "Starts an analytics query.", "kick off an analytics query over logs", "write"),
    ("GET", "/v2/insights/queries/{query}", "insights", "insights:query", "Fetches the status and results of a query.", "collect the results of an analytics query", "other"),
    ("POST", "/v2/exports", "insights", "insights:export", "Starts an export of query results to a bucket.", "dump query results into object storage", "write"),
    ("GET", "/v2/exports/{export}", "insights", "insights:export", "Reports the status of an export.", "see whether a data dump has finished", "other"),
    ("GET", "/v2/metrics", "insights", "insights:read", "Returns time series for project metrics.", "pull time series of a project's metrics", "list"),
    ("GET", "/v2/projects", "account", "projects:read", "Lists the projects in the organisation.", "", "list"),
    ("POST", "/v2/projects", "account", "projects:admin", "Creates a project.", "start a new project", "write"),
    ("GET", "/v2/usage", "account", "billing:read", "Returns metered usage for the current billing period.", "see how much of each resource has been consumed so far this month", "other"),
    ("GET", "/v2/invoices", "account", "billing:read", "Lists invoices.", "list past bills", "list"),
    ("GET", "/v2/invoices/{invoice}/pdf", "account", "billing:read", "Downloads an invoice as a PDF.", "get a printable copy of a bill", "other"),
    ("POST", "/v2/api-keys", "account", "keys:admin", "Creates an API key.", "issue a new credential for calling the API", "write"),
    ("DELETE", "/v2/api-keys/{key_id}", "account", "keys:admin", "Revokes an API key.", "invalidate an API credential", "other"),
    ("GET", "/v2/audit-events", "account", "audit:read", "Lists audit events for the organisation.", "see who changed what in the organisation", "list"),
    ("POST", "/v2/webhooks", "account", "webhooks:admin", "Registers a webhook endpoint.", "subscribe a URL to event notifications", "write"),
    ("GET", "/v2/webhooks", "account", "webhooks:read", "Lists registered webhook endpoints.", "", "list"),
]
PRODUCT_NAMES = {"blob": "Northwind Blob", "queue": "Northwind Queue", "functions": "Northwind Functions", "edge": "Northwind Edge", "vault": "Northwind Vault", "insights": "Northwind Insights", "account": "Account and billing"}
ERROR_FAMILY = {"blob": "err:blob", "queue": "err:queue", "functions": "err:functions", "edge": "err:edge", "vault": "err:vault", "insights": "err:insights", "account": "err:account"}
RATE_LIMITS = [30, 60, 120, 300, 600, 1200, 3000]

# (code, HTTP status, name, meaning, paraphrase of the situation or "")
ERROR_CODES = {
    "general": [
        ("NW-4001", 400, "invalid_request", "The request body or query string failed validation; the message names the field.", "the JSON I send has a field that does not pass validation"),
        ("NW-4010", 401, "missing_credentials", "No Authorization header was sent.", "I forgot to include any credentials at all"),
        ("NW-4011", 401, "token_expired", "The access token has expired; obtain a new one.", "my bearer token has aged out"),
        ("NW-4030", 403, "insufficient_scope", "The credential is valid but lacks the scope the endpoint requires.", "my key works but is not allowed to call this particular endpoint"),
        ("NW-4031", 403, "project_suspended", "The project is suspended, usually for non-payment.", "the project has been frozen because the bill was not paid"),
        ("NW-4090", 409, "idempotency_conflict", "An idempotency key was reused with a different request body.", "I reuse a dedupe key but with a different payload"),
        ("NW-4290", 429, "rate_limited", "The project or endpoint limit was exceeded; retry after the Retry-After interval.", ""),
        ("NW-5000", 500, "internal_error", "An unexpected error on our side; idempotent requests are safe to retry.", ""),
        ("NW-5030", 503, "region_unavailable", "The region is temporarily unavailable.", "an entire data-centre location is down"),
    ],
    "blob": [
        ("NW-4101", 404, "bucket_not_found", "The bucket does not exist or the credential cannot see it.", ""),
        ("NW-4102", 409, "bucket_not_empty", "The bucket still contains objects and cannot be deleted.", "I try to delete a bucket that still has files in it"),
        ("NW-4103", 409, "bucket_name_taken", "Bucket names are global and another project already uses this one.", "the bucket name I want is already used by somebody else"),
        ("NW-4107", 413, "object_too_large", "The object exceeds the single-request upload limit; use multipart upload.", "my one-shot upload is bigger than allowed"),
        ("NW-4110", 412, "precondition_failed", "The If-Match ETag did not match the current object.", "my conditional write lost a race with another writer"),
        ("NW-4115", 403, "presigned_url_expired", "The presigned URL is past its expiry time.", "a temporary download link is used after it has lapsed"),
    ],
    "queue": [
        ("NW-4201", 404, "queue_not_found", "The queue does not exist in this project.", ""),
        ("NW-4204", 413, "message_too_large", "The message body exceeds the maximum message size.", "a single message I publish is too big"),
        ("NW-4207", 400, "receipt_expired", "The receipt handle is no longer valid because the visibility timeout elapsed.", "I acknowledge a message too late, after it became visible to other consumers again"),
        ("NW-4209", 409, "purge_in_progress", "Another purge of this queue is still running.", "I try to empty a queue while an earlier emptying is still running"),
        ("NW-4212", 400, "batch_too_large", "A batch send contained too many messages.", "I put too many messages into one send call"),
    ],
    "functions": [
        ("NW-4301", 404, "function_not_found", "The function does not exist in this project.", ""),
        ("NW-4305", 422, "bundle_invalid", "The uploaded bundle could not be unpacked or has no handler.", "the code archive I deployed has no entry point"),
        ("NW-4312", 504, "function_timeout", "The invocation ran past the function's configured timeout.", "my function runs for too long and gets killed"),
        ("NW-4314", 500, "function_out_of_memory", "The invocation used more memory than configured.", "my function uses more RAM than it was given"),
        ("NW-4320", 429, "concurrency_exhausted", "The project has reached its concurrent execution limit.", "too many of my functions are running at the same moment"),
    ],
    "edge": [
        ("NW-4401", 404, "domain_not_found", "The custom domain is not attached to this project.", ""),
        ("NW-4403", 409, "domain_already_attached", "The domain is attached to another project.", "the hostname I add is already claimed by another project"),
        ("NW-4408", 422, "dns_validation_failed", "The CNAME record required to validate the domain was not found.", "Northwind cannot see the DNS record that proves I control the hostname"),
        ("NW-4411", 429, "purge_quota_exceeded", "The daily purge quota is used up.", "I have cleared the cache too many times today"),
        ("NW-4415", 400, "rule_set_invalid", "The edge rule set failed validation.", "my redirect and header configuration is rejected as malformed"),
    ],
    "vault": [
        ("NW-4501", 404, "secret_not_found", "The secret does not exist or the credential cannot read it.", ""),
        ("NW-4503", 409, "secret_pending_deletion", "The secret is scheduled for deletion; restore it before writing.", "I write to a credential that is on its way to being erased"),
        ("NW-4506", 413, "secret_too_large", "The secret value exceeds the maximum secret size.", "the credential value I store is too big"),
        ("NW-4510", 409, "key_rotation_in_progress", "A rotation of this key is already running.", "I ask for a key swap while a previous swap is still going"),
        ("NW-4512", 403, "key_disabled", "The key is disabled and cannot encrypt or decrypt.", "the encryption key I use has been switched off"),
    ],
    "insights": [
        ("NW-4601", 400, "query_syntax_error", "The query could not be parsed; the message gives line and column.", "my analytics query has a typo in it"),
        ("NW-4604", 504, "query_timeout", "The query ran longer than the maximum query duration.", "my analytics query takes too long and is cut off"),
        ("NW-4607", 413, "result_too_large", "The result set exceeds the inline result limit; use an export instead.", "the answer to my query is too big to return directly"),
        ("NW-4610", 404, "export_not_found", "The export does not exist or has expired.", ""),
    ],
    "account": [
        ("NW-4701", 402, "payment_required", "The action needs a valid payment method on file.", "I try to upgrade without any card on file"),
        ("NW-4703", 403, "plan_limit_reached", "The plan does not allow more of this resource; upgrade or delete something.", "my plan does not allow one more project"),
        ("NW-4705", 409, "invoice_already_paid", "The invoice has already been settled.", "I try to pay a bill that was already settled"),
        ("NW-4708", 422, "tax_id_invalid", "The VAT or tax ID failed validation.", "the VAT number I entered is rejected"),
    ],
}
ERROR_TITLES = {
    "general": ("general and authentication", "NW-40xx and NW-50xx"),
    "blob": ("Northwind Blob", "NW-41xx"),
    "queue": ("Northwind Queue", "NW-42xx"),
    "functions": ("Northwind Functions", "NW-43xx"),
    "edge": ("Northwind Edge", "NW-44xx"),
    "vault": ("Northwind Vault", "NW-45xx"),
    "insights": ("Northwind Insights", "NW-46xx"),
    "account": ("account and billing", "NW-47xx"),
}


def example_path(path: str) -> str:
    return (path.replace("{bucket}", "assets-prod").replace("{key}", "reports/2024-06.csv").replace("{queue}", "orders")
            .replace("{receipt}", "rcpt_7Hq2").replace("{function}", "resize").replace("{purge}", "prg_19ab")
            .replace("{domain}", "www.example.com").replace("{name}", "db-password").replace("{query}", "qry_5521")
            .replace("{export}", "exp_0042").replace("{invoice}", "inv_2024_06").replace("{key_id}", "key_88f1"))


def build_api(w: World, timeline: list[tuple[str, dt.date]]) -> dict:
    """Endpoint pages, the general API pages and the error-code pages. Returns what the
    changelog needs to repeat (introductions, limit raises) as {version index: [items]}."""
    minors = [i for i, (v, _) in enumerate(timeline) if v.endswith(".0")]
    introduced = w.rng.sample(range(len(ENDPOINTS)), 20)
    intro_at = {ep: w.pick([m for m in minors if m < 30]) for ep in introduced}
    raised = w.rng.sample(range(len(ENDPOINTS)), 8)
    events: dict[int, list] = defaultdict(list)
    for i, (method, path, product, scope, desc, para, shape) in enumerate(ENDPOINTS):
        sig = f"{method} {path}"
        since = timeline[intro_at[i]][0] if i in intro_at else f"3.{w.rng.randrange(2, 12)}.0"
        rl = w.pick(RATE_LIMITS[:4] if method in ("POST", "PUT", "PATCH", "DELETE") else RATE_LIMITS[2:])
        updated = w.date_between(D(2024, 2, 1), D(2024, 10, 30))
        if i in intro_at:
            updated = max(updated, timeline[intro_at[i]][1])
        d = w.doc(f"api:{i}", f"API: {sig}", "api-reference", updated)
        f_scope = w.fact(
            f"api.{i}.scope", "api-reference", "lookup", scope,
            f"`{sig}` requires the {{v}} scope.",
            [f"Which scope does `{sig}` require?", f"What OAuth scope is needed to call {sig}?"],
            [f"What permission must an API key carry to {para}?"] if para else (),
            wrong=tuple(sorted({e[3] for e in ENDPOINTS if e[2] == product and e[3] != scope} or {"admin:all"}))[:2],
        )
        other_versions = [v for v, _ in timeline if v != since]
        f_since = w.fact(
            f"api.{i}.since", "api-reference", "lookup", since,
            f"`{sig}` has been available since API version {{v}}.",
            [f"Since which API version has `{sig}` been available?", f"In which API release was {sig} introduced?"],
            [f"In which release could customers first {para}?"] if para and i in intro_at else (),
            wrong=tuple(w.rng.sample(other_versions, 2)),
        )
        d.add(f"{desc} Requires the `{scope}` scope. Available since API version {since}. Part of {PRODUCT_NAMES[product]}.", f_scope, f_since, heading="Overview")
        if shape == "list":
            m = w.pick([100, 200, 500, 1000])
            f_size = w.fact(
                f"api.{i}.pagesize", "api-reference", "numeric", f"{m} items",
                f"`{sig}` returns at most {{v}} per page.",
                [f"What is the maximum page size of `{sig}`?", f"How many items per page can {sig} return at most?"],
                wrong=tuple(f"{x} items" for x in (50, 100, 200, 500, 1000) if x != m)[:2],
            )
            d.add(f"Results are paginated with opaque cursors. This endpoint returns at most {m} items per page; pass `page_size` to ask for fewer and `cursor` to continue. " + w.fill(FILLER["api"], 1), f_size, heading="Request")
        elif shape == "upload":
            f_size = w.fact(
                f"api.{i}.bodysize", "api-reference", "numeric", "5 GiB",
                f"A single `{sig}` request can upload at most {{v}}.",
                [f"What is the largest object `{sig}` accepts in one request?"],
                ["How big can a file be if I upload it to Blob in a single call rather than in parts?"],
                wrong=("5 TiB", "500 MiB"),
            )
            d.add("The request body is the object's bytes. A single request can upload at most 5 GiB; larger objects must use multipart upload. Send `Content-MD5` to have the upload checked end to end.", f_size, heading="Request")
        elif shape in ("write", "bundle", "secret", "send"):
            mb = {"bundle": "250 MB", "secret": "64 KB", "send": "256 KB"}.get(shape) or f"{w.pick([1, 2, 5, 10])} MB"
            f_size = w.fact(
                f"api.{i}.bodysize", "api-reference", "numeric", mb,
                f"The maximum request body of `{sig}` is {{v}}.",
                [f"What is the maximum request body size for `{sig}`?"],
                wrong=tuple(x for x in ("1 MB", "2 MB", "5 MB", "10 MB", "64 KB", "256 KB") if x != mb)[:2],
                askable=shape == "write",
            )
            extra = {"bundle": " The bundle is a zip archive with a handler file at its root.", "secret": " Values are stored encrypted and never logged.", "send": " A batch may hold up to 10 messages, and each message may be at most 256 KB."}.get(shape, "")
            d.add(f"The request body is JSON. Maximum request body size: {mb}.{extra} Send an `Idempotency-Key` header so that retries are safe.", f_size, heading="Request")
        else:
            d.add("There is no request body. " + w.fill(FILLER["api"], 2), heading="Request")
        status = {"list": "200 with `items` and `next_cursor`", "upload": "200 with the object's ETag"}.get(shape)
        if status is None:
            status = ("204 with an empty body" if method == "DELETE" else "202 with an operation id to poll" if any(x in path for x in ("invocations", "exports", "queries", "purges", "rotate", "purge")) and method == "POST"
                      else "201 with the created resource" if method == "POST" else "200 with the resource")
        d.add(f"A successful call returns HTTP {status}. " + w.fill(FILLER["api"], 1), heading="Response")
        f_rl = w.fact(
            f"api.{i}.ratelimit", "api-reference", "numeric", f"{rl:,} requests per minute",
            f"The per-endpoint limit of `{sig}` is {{v}}.",
            [f"What is the per-endpoint rate limit of `{sig}`?", f"How many requests per minute can a project send to {sig}?"],
            [f"How many times a minute can a project {para} before being throttled?"] if para else (),
            wrong=tuple(f"{x:,} requests per minute" for x in w.rng.sample([r for r in RATE_LIMITS if r != rl], 2)),
        )
        d.add(f"Endpoint limit: {rl:,} requests per minute per project. This limit is counted separately from the project-wide budget of your rate-limit tier (see [[api:rate-limits]]). Requests over either limit get HTTP 429 with error NW-4290 and a Retry-After header.", f_rl, heading="Limits")
        codes = [c[0] for c in ERROR_CODES.get(product, [])][:3] if product != "account" else ["NW-4701", "NW-4703"]
        d.add(f"Besides the common errors, this endpoint can return {', '.join(codes)}. See [[{ERROR_FAMILY[product]}]] for what they mean and how to handle them.", heading="Errors")
        d.add(f"```\ncurl -X {method} https://api.northwind.cloud{example_path(path)} \\\n  -H \"Authorization: Bearer $NW_TOKEN\"\n```", heading="Example")
        if i in intro_at:
            events[intro_at[i]].append(("added", sig, desc, f_since))
        if i in raised:
            at = w.pick([m for m in minors if m > intro_at.get(i, 0)])
            old = [r for r in RATE_LIMITS if r < rl]
            if old:
                events[at].append(("raised", sig, old[-1], f_rl))
                d.updated = max(d.updated, timeline[at][1])
    build_api_general(w, events, minors)
    build_error_pages(w)
    return events


def build_api_general(w: World, events: dict[int, list], minors: list[int]) -> None:
    # Authentication: a current page and a stale copy with the old token lifetime.
    f_tok = w.fact(
        "api.auth.lifetime", "api-reference", "numeric", "60 minutes",
        "Access tokens are valid for {v}.",
        ["How long is an access token valid?", "What is the lifetime of an API access token?"],
        ["After how long does the bearer token I got from the token endpoint stop working?"],
        wrong=("24 hours", "30 minutes"), old="24 hours",
    )
    for version, updated, lifetime in (("old", D(2022, 9, 14), "24 hours"), ("new", D(2024, 3, 19), "60 minutes")):
        d = w.doc(f"api:auth:{version}", "API authentication", "api-reference", updated)
        d.add("Every API request is authenticated with a short-lived access token sent as `Authorization: Bearer <token>`. Tokens are obtained by exchanging an API key at `POST /oauth/token`. " + w.fill(FILLER["api"], 1), heading="Overview")
        kw = {"trap": (f_tok,)} if version == "old" else {}
        args = (f_tok,) if version == "new" else ()
        d.add(f"Access tokens are valid for {lifetime} from the moment they are issued. Request a new token shortly before expiry; a request with an expired token fails with NW-4011. Tokens carry the scopes of the API key that requested them.", *args, heading="Token lifetime", **kw)
        d.add("API keys start with the prefix `nwk_` and are shown once, when they are created. Store them in a secret manager, never in source control; the secret scanner revokes keys it finds in commits. " + w.fill(FILLER["api"], 1), heading="API keys")
        if version == "new":
            d.add("This page replaces the earlier version of the authentication guide. Token lifetimes were shortened when the public API moved to scoped keys.", heading="History")

    # Rate-limit tiers: the table the plan pages point at.
    tiers = [("T1", 300, 50), ("T2", 1200, 200), ("T3", 3000, 500), ("T4", 10000, 2000)]
    d = w.doc("api:rate-limits", "API rate limits", "api-reference", D(2024, 5, 7))
    d.add("Every project has a request budget per minute set by its rate-limit tier; your plan page says which tier applies. Individual endpoints may also have their own, lower limit, listed on the endpoint's page. " + w.fill(FILLER["api"], 1), heading="How limits work")
    tier_facts = []
    for t, rpm, _burst in tiers:
        tier_facts.append(w.fact(
            f"api.tier.{t}", "api-reference", "numeric", f"{rpm:,} requests per minute",
            f"Rate-limit tier {t} allows {{v}}.",
            [f"What is the project-wide request budget of rate-limit tier {t}?"],
            keys=(f"{rpm:,}",),
            wrong=tuple(f"{x:,} requests per minute" for x in (300, 1200, 3000, 10000) if x != rpm)[:2],
        ))
    table = "| Tier | Requests per minute | Burst |\n|---|---|---|\n" + "\n".join(f"| {t} | {rpm:,} | {burst:,} |" for t, rpm, burst in tiers)
    d.add(table, *tier_facts, heading="Tiers")
    f_hdr = w.fact(
        "api.ratelimit.header", "api-reference", "lookup", "X-RateLimit-Remaining",
        "The remaining request budget is reported in the {v} header.",
        ["Which response header reports the remaining rate-limit budget?"],
        ["How can a client tell from a response how many more calls it may make this minute?"],
        wrong=("Retry-After", "X-RateLimit-Limit"),
    )
    d.add("Each response reports the project's remaining budget for the current minute in the `X-RateLimit-Remaining` header and the budget itself in `X-RateLimit-Limit`. A request over the limit gets HTTP 429, error NW-4290, and a `Retry-After` header giving the seconds to wait.", f_hdr, heading="Headers")
    d.add("Clients should back off on 429 responses, honour Retry-After exactly, and spread batch jobs over time instead of bursting. The SDKs do this automatically. " + w.fill(FILLER["api"], 1), heading="Good citizenship")

    # Pagination.
    d = w.doc("api:pagination", "API pagination", "api-reference", D(2024, 2, 20))
    f_page = w.fact(
        "api.pagination.default", "api-reference", "numeric", "50 items",
        "List endpoints return {v} per page by default.",
        ["What is the default page size of list endpoints?", "How many items does a list endpoint return per page by default?"],
        ["If I call a list endpoint without saying how many results I want, how many do I get back?"],
        wrong=("100 items", "20 items"),
    )
    d.add("List endpoints return results in pages ordered by creation time. By default a page holds 50 items; each endpoint documents the maximum `page_size` it accepts. " + w.fill(FILLER["api"], 1), f_page, heading="Pages")
    f_cur = w.fact(
        "api.pagination.cursor", "api-reference", "numeric", "15 minutes",
        "A pagination cursor expires {v} after it was issued.",
        ["How long does a pagination cursor stay valid?"],
        ["How long can I wait before fetching the next page of a listing?"],
        wrong=("60 minutes", "24 hours"),
    )
    d.add("The response's `next_cursor` continues the listing. A cursor expires 15 minutes after it was issued; an expired cursor fails with NW-4001 and the listing must restart from the first page.", f_cur, heading="Cursors")
    d.add("Items created while you page through a listing may or may not appear, depending on where the cursor is. For a consistent snapshot, filter on `created_before` with a fixed timestamp. " + w.fill(FILLER["api"], 1), heading="Consistency")
    events[w.pick([m for m in minors if 12 <= m < 20])].append(("changed", "List endpoints now return 50 items per page by default (previously 100).", f_page))

    # Idempotency.
    d = w.doc("api:idempotency", "API idempotency keys", "api-reference", D(2024, 4, 2))
    d.add("Network failures make it impossible to know whether a POST succeeded. Send an `Idempotency-Key` header with a unique value, and a retried request returns the original response instead of acting twice. " + w.fill(FILLER["api"], 1), heading="Why")
    f_idem = w.fact(
        "api.idempotency.retention", "api-reference", "numeric", "24 hours",
        "Idempotency keys are remembered for {v}.",
        ["How long are idempotency keys retained?", "For how long does the API remember an Idempotency-Key?"],
        ["If I resend a POST with the same dedupe token, how long afterwards will the server still recognise it as a repeat?"],
        wrong=("7 days", "60 minutes"),
    )
    f_idem_len = w.fact(
        "api.idempotency.length", "api-reference", "numeric", "64 characters",
        "An idempotency key may be at most {v} long.",
        ["What is the maximum length of an idempotency key?"],
        wrong=("128 characters", "36 characters"),
    )
    d.add("Keys are remembered for 24 hours after the first request. A key may be at most 64 characters long; a UUID is a good choice. Reusing a key with a different body fails with NW-4090.", f_idem, f_idem_len, heading="Rules")
    d.add("Only POST and PATCH requests use idempotency keys; GET, PUT and DELETE are idempotent by definition. " + w.fill(FILLER["api"], 2), heading="Which requests")

    # Errors overview.
    d = w.doc("api:errors", "API errors and retries", "api-reference", D(2024, 6, 11))
    d.add("Every error response has the same envelope: an `error` object with `code` (for example NW-4101), `message`, `request_id` and `doc_url`. Branch on `code`, never on the message text, which may change. " + w.fill(FILLER["api"], 1), heading="Error envelope")
    f_retry = w.fact(
        "api.errors.retries", "api-reference", "numeric", "5 attempts",
        "Clients should retry server errors up to {v}, with exponential backoff starting at 1 second.",
        ["How many attempts should a client make on 5xx errors?", "What retry policy does the API guide recommend for server errors?"],
        ["How many times should my client try a request that keeps failing on Northwind's side?"],
        keys=("5 attempts", "1 second"), wrong=("3 attempts", "10 attempts"),
    )
    d.add("Retry 5xx responses and NW-4290 with exponential backoff starting at 1 second and full jitter, up to 5 attempts in total. Do not retry other 4xx errors: they will fail the same way again.", f_retry, heading="Retries")
    d.add("Per-product codes are listed on the error pages: [[err:general]], [[err:blob]], [[err:queue]], [[err:functions]], [[err:edge]], [[err:vault]], [[err:insights]], [[err:account]].", heading="Code reference")

    # Versioning and deprecation.
    d = w.doc("api:versioning", "API versioning and deprecation", "api-reference", D(2024, 1, 30))
    d.add("The public API follows semantic versioning. Clients can pin a version with the `Northwind-Version` header; without it, requests use the version that was current when the API key was created. " + w.fill(FILLER["api"], 1), heading="Versions")
    f_dep = w.fact(
        "api.versioning.notice", "api-reference", "numeric", "12 months",
        "Deprecated public endpoints keep working for at least {v} after the deprecation notice.",
        ["How much notice is given before a deprecated public endpoint is removed?"],
        ["If Northwind announces that an endpoint is going away, how long do I have to migrate?"],
        wrong=("6 months", "90 days"),
    )
    d.add("Deprecated endpoints keep working for at least 12 months after the deprecation notice is published in the changelog. During that time responses carry a `Sunset` header with the removal date.", f_dep, heading="Deprecation")
    d.add("Breaking changes only ship in a new major version; additive changes (new fields, new endpoints) can appear in any minor release. " + w.fill(FILLER["api"], 1), heading="Compatibility")

    # Webhooks.
    d = w.doc("api:webhooks", "Webhooks", "api-reference", D(2024, 7, 16))
    d.add("Webhooks push events (object created, invoice issued, function failed and more) to an HTTPS endpoint you register with `POST /v2/webhooks`. " + w.fill(FILLER["api"], 1), heading="Overview")
    f_sig = w.fact(
        "api.webhooks.header", "api-reference", "lookup", "X-Northwind-Signature",
        "Webhook payloads are signed in the {v} header.",
        ["Which header carries the webhook signature?"],
        ["How can my endpoint check that an incoming event really came from Northwind: where is the proof?"],
        wrong=("X-Hub-Signature", "X-Northwind-Token"),
    )
    f_tol = w.fact(
        "api.webhooks.tolerance", "api-reference", "numeric", "5 minutes",
        "Webhook timestamps older than {v} should be rejected.",
        ["How old may a webhook timestamp be before the receiver should reject it?"],
        wrong=("15 minutes", "60 seconds"),
    )
    d.add("Every delivery carries an HMAC-SHA256 signature of the timestamp and body in the `X-Northwind-Signature` header. Verify it with your endpoint's signing secret, and reject deliveries whose timestamp is more than 5 minutes old to prevent replays.", f_sig, f_tol, heading="Signatures")
    f_wret = w.fact(
        "api.webhooks.retries", "api-reference", "numeric", "8 attempts over 24 hours",
        "Failed webhook deliveries are retried with up to {v}.",
        ["How many times is a failed webhook delivery retried, and over what period?"],
        ["If my receiving server is down, how persistent is Northwind about re-sending an event?"],
        keys=("8 attempts", "24 hours"), wrong=("5 attempts over 6 hours",),
        partial="Failed webhook deliveries are retried up to 8 times.", missing="the 24-hour period",
    )
    f_wto = w.fact(
        "api.webhooks.timeout", "api-reference", "numeric", "10 seconds",
        "A webhook endpoint must respond within {v}.",
        ["How quickly must a webhook endpoint respond?"],
        ["How long does Northwind wait for my server to answer an event delivery before counting it as failed?"],
        wrong=("30 seconds", "5 seconds"),
    )
    d.add("Your endpoint must answer with a 2xx status within 10 seconds. Failed deliveries are retried with exponential backoff, up to 8 attempts over 24 hours. An endpoint that keeps failing for three days is disabled and the project owners are emailed.", f_wret, f_wto, heading="Delivery and retries")
    events[w.pick([m for m in minors if 20 <= m < 30])].append(("changed", "Webhook deliveries now make up to 8 attempts over 24 hours (previously 5 attempts over 6 hours).", f_wret))

    # SDKs.
    d = w.doc("api:sdks", "Official SDKs", "api-reference", D(2024, 8, 27))
    d.add("Northwind maintains official SDKs that wrap authentication, retries, pagination and idempotency keys. Community libraries exist but are not supported by Northwind Support. " + w.fill(FILLER["api"], 1), heading="Overview")
    sdk_facts = []
    for lang, minimum, wrongs in (("Python", "Python 3.9", ("Python 3.8", "Python 3.11")), ("Go", "Go 1.21", ("Go 1.19", "Go 1.22")), ("TypeScript", "Node.js 18", ("Node.js 16", "Node.js 20")), ("Java", "Java 17", ("Java 11", "Java 21"))):
        sdk_facts.append(w.fact(
            f"api.sdk.{lang.lower()}", "api-reference", "lookup", minimum,
            f"The {lang} SDK requires {{v}} or later.",
            [f"What is the minimum runtime version supported by the {lang} SDK?"],
            wrong=wrongs,
        ))
    d.add("Supported runtimes:\n- Python SDK: Python 3.9 or later\n- Go SDK: Go 1.21 or later\n- TypeScript SDK: Node.js 18 or later\n- Java SDK: Java 17 or later", *sdk_facts, heading="Supported runtimes")
    d.add("Each SDK supports the current major API version and the previous one. " + w.fill(FILLER["api"], 1), heading="Versions")


def build_error_pages(w: World) -> None:
    statuses = sorted({c[1] for fam in ERROR_CODES.values() for c in fam})
    for fam, rows in ERROR_CODES.items():
        title, rng_txt = ERROR_TITLES[fam]
        d = w.doc(f"err:{fam}", f"Error codes: {title} ({rng_txt})", "api-reference", w.date_between(D(2024, 3, 1), D(2024, 9, 30)))
        d.add(f"These codes appear in the `code` field of the error envelope for {title} requests. The HTTP status tells a generic client what happened; the code tells your application exactly which case it hit. " + w.fill(FILLER["api"], 1), heading="About these codes")
        facts = []
        names = [r[2] for r in rows]
        codes = [r[0] for r in rows]
        for code, status, name, _meaning, para in rows:
            ask = code not in ("NW-4290", "NW-4011", "NW-4001", "NW-4090")  # also named on other pages
            facts.append(w.fact(
                f"err.{code}.status", "api-reference", "numeric", str(status),
                f"Error {code} comes with HTTP status {{v}}.",
                [f"Which HTTP status accompanies error {code}?", f"What HTTP status code does the API return with {code}?"],
                keys=(str(status),), wrong=tuple(str(s) for s in w.rng.sample([s for s in statuses if s != status], 2)), askable=ask,
            ))
            facts.append(w.fact(
                f"err.{code}.name", "api-reference", "lookup", name,
                f"Error {code} is {{v}}.",
                [f"What is the name of error code {code}?", f"What does error {code} mean?"],
                keys=(name,), wrong=tuple(w.rng.sample([n for n in names if n != name], 2)), askable=ask,
            ))
            if para:
                facts.append(w.fact(
                    f"err.{code}.code", "api-reference", "lookup", code,
                    "The error code for that is {v}.",
                    [f"Which error code has the name `{name}`?"],
                    [f"Which error code does the API return when {para}?"],
                    keys=(code,), wrong=tuple(w.rng.sample([c for c in codes if c != code], 2)), askable=ask,
                ))
        table = "| Code | HTTP status | Name | Meaning |\n|---|---|---|---|\n" + "\n".join(f"| {c} | {s} | {n} | {m} |" for c, s, n, m, _ in rows)
        d.add(table, *facts, heading="Codes")
        d.add("Retry only the codes whose meaning says a retry can succeed, and only with backoff; for the others, fix the request or the account state first. Log the `request_id` of every failure so that Support can find it. " + w.fill(FILLER["api"], 1), heading="Handling")


# --------------------------------------------------------------------------------------------
# Plans, products and billing
# --------------------------------------------------------------------------------------------

# name, price text, seats, storage, egress, invocations, support, tier, audit days, projects
PLANS = [
    ("Developer", "$0 per month", "3", "5 GB", "10 GB", "1 million", "community forum only", "T1", "7 days", "2"),
    ("Team", "$59 per month", "10", "250 GB", "500 GB", "10 million", "first response within 1 business day", "T2", "30 days", "10"),
    ("Business", "$399 per month", "25", "2 TB", "5 TB", "100 million", "first response within 4 hours, around the clock for urgent cases", "T3", "365 days", "50"),
    ("Enterprise", "custom pricing with a minimum annual commitment of $60,000", "unlimited", "custom", "custom", "custom", "first response within 30 minutes for urgent cases, with a named technical account manager", "T4", "730 days", "unlimited"),
]


def plan_doc(w: World, key: str, plan: tuple, updated: dt.date, facts: dict[str, Fact] | None, overrides: dict[str, str], traps: dict[str, Fact]) -> None:
    name, price, seats, storage, egress, inv, support, tier, audit, projects = plan
    price = overrides.get("price", price)
    seats = overrides.get("seats", seats)
    f = facts or {}
    d = w.doc(key, f"Plan: {name}", "product", updated)
    intro = {
        "Developer": "The Developer plan is for individuals trying Northwind out and for hobby projects.",
        "Team": "The Team plan is for small teams running production workloads.",
        "Business": "The Business plan is for companies that need single sign-on, longer audit trails and fast support.",
        "Enterprise": "The Enterprise plan is for organisations with custom requirements, negotiated with Sales.",
    }[name]
    if overrides.get("banner"):
        d.add(overrides["banner"])
    d.add(intro + " " + w.fill(FILLER["product"], 2), heading="Who it is for")

    def facts_for(*names: str) -> tuple[Fact, ...]:
        return tuple(f[n] for n in names if n in f)

    def traps_for(*names: str) -> tuple[Fact, ...]:
        return tuple(traps[n] for n in names if n in traps)

    d.add(f"Price: {price}. Included seats: {seats}. Extra seats on paid plans cost $12 per seat per month.", *facts_for("price", "seats"), heading="Price", trap=traps_for("price", "seats"))
    d.add(f"Included each month:\n- Object storage: {storage}\n- Egress: {egress}\n- Function invocations: {inv}\nUsage beyond the included amounts is billed at the product's per-unit prices.", *facts_for("storage", "egress", "invocations"), heading="Included usage")
    d.add(f"Support: {support}. API traffic for projects on the {name} plan is governed by rate-limit tier {tier} (see [[api:rate-limits]]).", *facts_for("support", "tier"), heading="Support and limits")
    d.add(f"Organisation audit log retention: {audit}. Maximum number of projects: {projects}." + (" Single sign-on (SAML and OIDC) is included." if name in ("Business", "Enterprise") else " Single sign-on is not available on this plan."), *facts_for("audit", "projects"), heading="Governance")


def build_plans(w: World) -> None:
    for plan in PLANS:
        name, price, seats, storage, egress, inv, support, tier, audit, projects = plan
        others = [p for p in PLANS if p[0] != name]
        facts: dict[str, Fact] = {}
        if name != "Enterprise":
            facts["price"] = w.fact(
                f"plan.{name}.price", "product", "numeric", price.split(" per")[0],
                f"The {name} plan costs {{v}} per month.",
                [f"How much does the {name} plan cost?", f"What is the monthly price of the {name} plan?"],
                [f"What would a {name}-plan subscription set us back each month?"],
                keys=(price.split(" per")[0],), wrong=tuple(p[1].split(" per")[0] for p in others if "$" in p[1][:2])[:2],
                old="$49" if name == "Team" else "",
            )
            facts["seats"] = w.fact(
                f"plan.{name}.seats", "product", "numeric", seats,
                f"The {name} plan includes {{v}} seats.",
                [f"How many seats are included in the {name} plan?"],
                [f"How many people can use a {name} subscription before we pay for extra users?"],
                keys=(seats,), wrong=tuple(p[2] for p in others if p[2] != seats)[:2],
                old="20" if name == "Business" else "",
            )
            for k, val, label, q, para in (
                ("storage", storage, "object storage", f"How much object storage is included in the {name} plan each month?", f"How much data can a {name} customer keep in Blob without paying extra?"),
                ("egress", egress, "egress", f"How much egress is included in the {name} plan?", f"How much outbound data transfer comes free with the {name} plan?"),
                ("invocations", inv, "function invocations", f"How many function invocations does the {name} plan include per month?", ""),
            ):
                facts[k] = w.fact(
                    f"plan.{name}.{k}", "product", "numeric", val,
                    f"The {name} plan includes {{v}} of {label} each month.",
                    [q], [para] if para else (),
                    wrong=tuple(p[{"storage": 3, "egress": 4, "invocations": 5}[k]] for p in others if p[{"storage": 3, "egress": 4, "invocations": 5}[k]] not in (val, "custom"))[:2],
                )
        else:
            facts["price"] = w.fact(
                "plan.Enterprise.commit", "product", "numeric", "$60,000",
                "The Enterprise plan has a minimum annual commitment of {v}.",
                ["What is the minimum annual commitment for the Enterprise plan?"],
                ["What is the smallest yearly spend Sales will accept for an Enterprise contract?"],
                wrong=("$50,000", "$100,000"),
            )
        facts["support"] = w.fact(
            f"plan.{name}.support", "product", "lookup", support,
            f"Support on the {name} plan is {{v}}.",
            [f"What support response time does the {name} plan include?"],
            [f"How fast will Northwind Support get back to a {name} customer?"] if name != "Developer" else [],
            answer=support if name != "Developer" else "No response-time commitment: community forum only",
            keys=(support.split(",")[0],), wrong=tuple(p[6] for p in others)[:2],
        )
        facts["tier"] = w.fact(
            f"plan.{name}.tier", "product", "lookup", tier,
            f"The {name} plan uses rate-limit tier {{v}}.",
            [f"Which rate-limit tier applies to the {name} plan?"],
            keys=(tier,), wrong=tuple(p[7] for p in others)[:2],
        )
        facts["audit"] = w.fact(
            f"plan.{name}.audit", "product", "numeric", audit,
            f"The {name} plan keeps the organisation audit log for {{v}}.",
            [f"How long is the audit log retained on the {name} plan?"],
            [f"How far back can a {name} customer see who changed what in their organisation?"],
            keys=(audit,), wrong=tuple(p[8] for p in others)[:2],
        )
        facts["projects"] = w.fact(
            f"plan.{name}.projects", "product", "numeric", projects,
            f"The {name} plan allows at most {{v}} projects.",
            [f"How many projects can an organisation have on the {name} plan?"],
            keys=(projects,), wrong=tuple(p[9] for p in others if p[9] != projects)[:2],
        )
        plan_doc(w, f"plan:{name}", plan, D(2024, 4, 2), facts, {}, {})
        if name == "Team":
            plan_doc(w, "plan:Team:2023", plan, D(2023, 1, 9), None, {"price": "$49 per month"}, {"price": facts["price"]})
        if name == "Business":
            plan_doc(w, "plan:Business:2023", plan, D(2023, 1, 9), None, {"seats": "20", "banner": "> Archived page: kept for customers on grandfathered 2023 contracts. Current terms are on the main Business plan page."}, {"seats": facts["seats"]})


# product key, overview text, quotas [(fact id, text, value, claim, direct, para, wrong, keys)], prices [...]
PRODUCTS = {
    "blob": dict(
        name="Northwind Blob",
        overview="Northwind Blob is object storage for files of any size: backups, media, logs and data sets. Objects live in buckets; each bucket belongs to one project and one region.",
        facts=[
            ("durability", "Objects are replicated across three zones of their region, designed for 99.999999999% durability.", "99.999999999%", "Blob is designed for {v} durability.", ["What durability is Northwind Blob designed for?"], ["How likely is Blob to lose my file, expressed as a durability figure?"], ("99.99%", "99.9999%")),
        ],
        quotas=[
            ("maxobject", "The largest object is 5 TiB, uploaded with multipart upload.", "5 TiB", "The largest object Blob can store is {v}.", ["What is the maximum object size in Northwind Blob?"], ["What is the biggest single file Blob can hold?"], ("5 GiB", "1 TiB")),
            ("buckets", "A project can have at most 100 buckets.", "100 buckets", "A project can have at most {v}.", ["How many buckets can a project have?"], ["What is the cap on storage containers per project?"], ("1,000 buckets", "50 buckets")),
            ("keylen", "Object keys can be up to 1,024 bytes long.", "1,024 bytes", "An object key may be up to {v} long.", ["What is the maximum length of an object key?"], [], ("255 bytes", "2,048 bytes")),
            ("parts", "A multipart upload has at most 10,000 parts of 5 MiB to 5 GiB each; the last part may be smaller.", "10,000 parts", "A multipart upload can have at most {v}.", ["How many parts can a multipart upload have?"], ["Into how many pieces at most can I split a big upload?"], ("1,000 parts", "100,000 parts")),
        ],
        single_upload=True,
        prices=[
            ("storage", "Storage: $0.021 per GB-month.", "$0.021 per GB-month", "Blob storage costs {v}.", ["What does Blob storage cost per GB-month?"], ["How much do I pay to keep a gigabyte in Blob for a month?"], ("$0.023 per GB-month", "$0.015 per GB-month")),
            ("egress", "Egress beyond the plan allowance: $0.06 per GB.", "$0.06 per GB", "Blob egress beyond the allowance costs {v}.", ["What is the price of Blob egress beyond the plan allowance?"], ["What does it cost to download a gigabyte out of Blob once the free allowance is used up?"], ("$0.09 per GB", "$0.045 per GB")),
            ("writes", "Write operations (PUT, POST, LIST): $0.005 per 1,000 requests. Reads: $0.0004 per 1,000 requests.", "$0.005 per 1,000 requests", "Blob write operations cost {v}.", ["How much do Blob write operations cost?"], [], ("$0.0004 per 1,000 requests", "$0.05 per 1,000 requests")),
        ],
    ),
    "queue": dict(
        name="Northwind Queue",
        overview="Northwind Queue is a managed message queue with at-least-once delivery. Standard queues maximise throughput; FIFO queues keep order within a message group.",
        facts=[],
        quotas=[
            ("msgsize", "A message can be at most 256 KB.", "256 KB", "A queue message can be at most {v}.", ["What is the maximum message size in Northwind Queue?"], ["How big can a single item I put on a queue be?"], ("64 KB", "1 MB")),
            ("retention", "Messages are kept for 4 days by default; retention can be set to at most 14 days.", "14 days", "Queue retention can be set to at most {v}.", ["What is the maximum message retention of a queue?"], ["What is the longest an unconsumed message can be kept before it is dropped?"], ("7 days", "30 days")),
            ("visibility", "The visibility timeout is 30 seconds by default and at most 12 hours.", "30 seconds", "The default visibility timeout is {v}.", ["What is the default visibility timeout of a queue?"], ["After a consumer takes a message, how long is it hidden from others by default?"], ("60 seconds", "5 minutes")),
            ("batch", "A batch send holds at most 10 messages.", "10 messages", "A batch send holds at most {v}.", ["How many messages can one batch send contain?"], [], ("100 messages", "25 messages")),
        ],
        prices=[
            ("requests", "Requests: $0.40 per million, counting each 64 KB chunk of a message as one request. The first 1 million requests each month are free.", "$0.40 per million", "Queue requests cost {v}.", ["How much do Northwind Queue requests cost?"], ["What is the charge for sending and receiving messages, per million operations?"], ("$0.50 per million", "$0.20 per million")),
        ],
    ),
    "functions": dict(
        name="Northwind Functions",
        overview="Northwind Functions runs your code in response to HTTP requests, queue messages or schedules, without servers to manage. Each invocation runs in an isolated micro-VM.",
        facts=[],
        quotas=[
            ("timeout", "An invocation can run for at most 900 seconds.", "900 seconds", "A function invocation can run for at most {v}.", ["What is the maximum timeout of a function?"], ["What is the longest a single serverless execution may last?"], ("300 seconds", "3,600 seconds")),
            ("memory", "Memory can be set from 128 MB to 10,240 MB.", "10,240 MB", "The most memory a function can have is {v}.", ["What is the maximum memory of a function?"], ["What is the largest RAM allocation a serverless function can get?"], ("4,096 MB", "3,008 MB")),
            ("concurrency", "A project can run 1,000 invocations concurrently; more can be requested.", "1,000", "A project can run {v} concurrent invocations.", ["What is the default concurrency limit for functions per project?"], ["How many of my functions can be executing simultaneously before I get throttled?"], ("500", "3,000")),
            ("bundle", "A deployment bundle can be at most 250 MB unzipped.", "250 MB", "A function bundle can be at most {v}.", ["What is the maximum size of a function bundle?"], [], ("50 MB", "500 MB")),
        ],
        prices=[
            ("compute", "Compute: $0.017 per 1,000 GB-seconds. Invocations: $0.20 per million.", "$0.20 per million", "Function invocations cost {v}.", ["How much do function invocations cost?"], ["What is the per-call price of running serverless code, per million calls?"], ("$0.40 per million", "$0.60 per million")),
        ],
    ),
    "edge": dict(
        name="Northwind Edge",
        overview="Northwind Edge is a CDN with custom domains, managed TLS certificates and programmable edge rules.",
        facts=[],
        quotas=[
            ("domains", "A project can attach up to 50 custom domains.", "50", "A project can attach up to {v} custom domains.", ["How many custom domains can a project attach?"], ["How many of my own hostnames can point at one Northwind project?"], ("20", "100")),
            ("purgeurls", "A purge request can list up to 1,000 URLs, and a project can make 10,000 purge requests per day.", "10,000 purge requests per day", "A project can make {v}.", ["How many purge requests can a project make per day?"], ["How often per day may we clear the CDN cache?"], ("1,000 purge requests per day", "100,000 purge requests per day")),
            ("rules", "An edge rule set can contain at most 200 rules.", "200 rules", "An edge rule set can contain at most {v}.", ["How many rules can an edge rule set contain?"], [], ("100 rules", "500 rules")),
            ("renewal", "Managed certificates are renewed automatically 30 days before they expire.", "30 days", "Managed certificates are renewed {v} before expiry.", ["When are managed certificates renewed?"], ["How long before the HTTPS certificate on my custom hostname runs out does Northwind replace it?"], ("7 days", "14 days")),
        ],
        prices=[
            ("egress", "Edge egress: $0.045 per GB. Requests: $0.60 per million.", "$0.045 per GB", "Edge egress costs {v}.", ["What is the price of Northwind Edge egress?"], [], ("$0.06 per GB", "$0.08 per GB")),
        ],
    ),
    "vault": dict(
        name="Northwind Vault",
        overview="Northwind Vault stores secrets and encryption keys for your applications, with versioning, audit logging and automatic rotation.",
        facts=[],
        quotas=[
            ("secretsize", "A secret value can be at most 64 KB.", "64 KB", "A secret value can be at most {v}.", ["What is the maximum size of a secret in Northwind Vault?"], [], ("256 KB", "4 KB")),
            ("versions", "Vault keeps the 100 most recent versions of each secret.", "100", "Vault keeps the {v} most recent versions of a secret.", ["How many versions of a secret does Vault keep?"], ["How far back can I go in the history of a stored credential?"], ("20", "10")),
            ("recovery", "A deleted secret can be restored for 7 days before it is destroyed.", "7 days", "A deleted secret can be restored for {v}.", ["How long can a deleted secret be restored?"], ["If I remove a credential by mistake, how long do I have to get it back?"], ("30 days", "24 hours")),
        ],
        prices=[
            ("secrets", "Secrets: $0.35 per secret per month. API calls: $0.03 per 10,000.", "$0.35 per secret per month", "Vault secrets cost {v}.", ["How much does Northwind Vault charge per secret?"], ["What is the monthly charge for keeping one credential in Vault?"], ("$0.40 per secret per month", "$0.05 per secret per month")),
        ],
    ),
    "insights": dict(
        name="Northwind Insights",
        overview="Northwind Insights lets you search and chart your logs and metrics with a SQL-like query language, and export results to Blob.",
        facts=[],
        quotas=[
            ("duration", "A query can run for at most 120 seconds.", "120 seconds", "An Insights query can run for at most {v}.", ["What is the maximum duration of an Insights query?"], ["How long can an analytics query run before it is cut off?"], ("60 seconds", "300 seconds")),
            ("inline", "Results up to 10 MB are returned inline; larger results must be exported.", "10 MB", "Insights returns results up to {v} inline.", ["What is the inline result limit of Insights queries?"], [], ("100 MB", "1 MB")),
            ("logretention", "Logs are retained for 30 days by default; retention can be extended to 400 days for an extra charge.", "30 days", "Insights keeps logs for {v} by default.", ["How long does Insights retain logs by default?"], ["How long do my ingested application logs stick around unless I pay for more?"], ("14 days", "90 days")),
            ("concurrent", "A project can run 20 queries at the same time.", "20", "A project can run {v} Insights queries at the same time.", ["How many concurrent Insights queries can a project run?"], [], ("10", "50")),
        ],
        prices=[
            ("ingest", "Ingest: $0.50 per GB. Queries: $5 per TB scanned.", "$5 per TB scanned", "Insights queries cost {v}.", ["How are Insights queries priced?"], ["What does it cost to search through my logs, per terabyte?"], ("$2 per TB scanned", "$0.50 per TB scanned")),
        ],
    ),
}


def build_products(w: World) -> None:
    for key, p in PRODUCTS.items():
        name = p["name"]

        def mk(fid: str, text: str, value: str, claim: str, direct, para, wrong, k: str = key) -> Fact:
            return w.fact(f"prod.{k}.{fid}", "product", "numeric", value, claim, direct, para, wrong=wrong)

        d = w.doc(f"prod:{key}", f"Product: {name}", "product", w.date_between(D(2024, 1, 15), D(2024, 9, 30)))
        d.add(p["overview"] + " " + w.fill(FILLER["product"], 2), heading="Overview")
        for fid, text, value, claim, direct, para, wrong in p["facts"]:
            d.add(text + " " + w.fill(FILLER["product"], 1), mk(fid, text, value, claim, direct, para, wrong), heading="Durability")
        d.add(f"{name} is available in every region. Quotas are on [[quota:{key}]] and prices on [[price:{key}]]. " + w.fill(FILLER["product"], 1), heading="Where to go next")

        d = w.doc(f"quota:{key}", f"{name}: quotas and limits", "product", w.date_between(D(2024, 1, 15), D(2024, 9, 30)))
        d.add(f"This page lists the limits of {name}. " + w.fill(FILLER["product"], 2), heading="About limits")
        for fid, text, value, claim, direct, para, wrong in p["quotas"]:
            f = mk(fid, text, value, claim, direct, para, wrong)
            d.add(text + " " + w.fill(FILLER["product"], 1), f, heading={
                "maxobject": "Object size", "buckets": "Buckets", "keylen": "Object keys", "parts": "Multipart uploads",
                "msgsize": "Message size", "retention": "Retention", "visibility": "Visibility timeout", "batch": "Batches",
                "timeout": "Timeout", "memory": "Memory", "concurrency": "Concurrency", "bundle": "Bundle size",
                "domains": "Custom domains", "purgeurls": "Purges", "rules": "Edge rules", "renewal": "Certificates",
                "secretsize": "Secret size", "versions": "Versions", "recovery": "Deletion",
                "duration": "Query duration", "inline": "Result size", "logretention": "Log retention", "concurrent": "Concurrent queries",
            }[fid])
        if p.get("single_upload"):
            d.add("A single PUT request can upload at most 5 GiB; anything larger must use multipart upload.", heading="Single-request uploads", alt=(w.facts["api.4.bodysize"],))

        d = w.doc(f"price:{key}", f"{name}: pricing", "product", w.date_between(D(2024, 4, 1), D(2024, 9, 30)))
        d.add(f"{name} is billed by usage on top of the allowances included in your plan. " + w.fill(FILLER["product"], 2), heading="How billing works")
        for fid, text, value, claim, direct, para, wrong in p["prices"]:
            d.add(text, mk(f"price.{fid}", text, value, claim, direct, para, wrong), heading="Prices")
        d.add("Prices are the same in every region. Annual commitments receive the discounts described on the billing pages. " + w.fill(FILLER["product"], 1), heading="Discounts")


def policy(w: World, key: str, title: str, category: str, updated: dt.date, pool: str, purpose: str,
           items: list[tuple], banner: str = "", closing: bool = True, seed: int | None = None, extra: str = "") -> Draft:
    """A policy-style page: purpose, one section per item, then exceptions.

    items: (heading, text, facts tuple[, trap facts tuple[, alt facts tuple]]). With `seed`, the
    filler comes from its own generator, so two versions of a page share their filler."""
    rng = random.Random(seed) if seed is not None else w.rng

    def fill(n: int) -> str:
        return w.fill(FILLER[pool], n, rng)

    d = w.doc(key, title, category, updated)
    if banner:
        d.add(banner)
    d.add(purpose + " " + fill(2), heading="Purpose")
    if rng.random() < 0.5:
        d.add(f"{SCOPES[pool]} " + fill(1), heading="Scope")
    if rng.random() < 0.35:
        d.add(fill(2), heading="Background")
    for item in items:
        heading, text, facts = item[:3]
        traps = item[3] if len(item) > 3 else ()
        alts = item[4] if len(item) > 4 else ()
        d.add(text + " " + fill(1), *facts, heading=heading, trap=traps, alt=alts)
    if extra:
        d.add(extra, heading="History")
    if closing:
        d.add(fill(2), heading="Exceptions and questions")
    return d


SCOPES = {
    "security": "This standard applies to all Northwind employees, contractors and service accounts, in every environment that can reach production or customer data.",
    "engineering": "This policy applies to every repository that produces code running in production, including internal tools that production depends on.",
    "incident": "This page applies to every team with an on-call rotation and to anyone who joins an incident channel.",
    "deploy": "This page applies to every service deployed through Bifrost, whatever its tier, and to configuration and infrastructure changes.",
    "billing": "This page applies to self-serve customers on the Developer, Team and Business plans.",
}


def versioned(w: World, key: str, title: str, category: str, pool: str, purpose: str, old_date: dt.date,
              new_date: dt.date, items: list[tuple], banner: bool, history: str) -> None:
    """A current page and the superseded page it replaced, written from the same items.

    items: (heading, new text, old text, facts stated by the new text (their traps are the old
    text), facts stated identically by both (asked about nowhere)). Filler is shared, so the two
    pages are near-duplicates that differ in the changed values, the date and (sometimes) a banner."""
    seed = w.rng.randrange(10**9)
    new_items = [(h, new, facts) for h, new, _old, facts in items]
    old_items = [(h, old, (), facts) for h, _new, old, facts in items]
    policy(w, f"{key}:new", title, category, new_date, pool, purpose, new_items, seed=seed, extra=history)
    note = f"> Superseded on {new_date.isoformat()}: this version is kept for reference only. See [[{key}:new]] for the current rules." if banner else ""
    policy(w, f"{key}:old", title, category, old_date, pool, purpose, old_items, banner=note, seed=seed)


def build_billing(w: World) -> None:
    F = w.fact
    c = "billing"
    f1 = F("bill.issue", c, "numeric", "the 1st of each month", "Invoices are issued on {v}.", ["On which day of the month are invoices issued?"], ["When in the month does the bill for the previous month arrive?"], keys=("1st of each month",), wrong=("the 15th of each month", "the last day of each month"))
    f2 = F("bill.net", c, "numeric", "30 days", "Customers paying by bank transfer have {v} to pay an invoice.", ["What are the payment terms for customers who pay by bank transfer?"], ["How long does a customer paying by wire have to settle a bill?"], keys=("30 days",), wrong=("15 days", "45 days"))
    policy(w, "bill:invoicing", "Billing: invoices", "billing", D(2024, 3, 5), "billing",
           "This page explains when and how Northwind issues invoices.",
           [("Issue date", "Invoices are issued on the 1st of each month for the previous month's usage and subscription fees. Card payments are charged automatically when the invoice is issued.", (f1,)),
            ("Payment terms", "Customers who pay by bank transfer are on terms of net 30 days from the invoice date. The invoice shows the bank details and a payment reference that must be quoted.", (f2,))])
    f3 = F("bill.retries", c, "numeric", "3 times over 14 days", "A failed card payment is retried {v}.", ["How many times is a failed card payment retried?"], ["If a card charge bounces, how many more attempts does Northwind make and over what period?"], keys=("3 times", "14 days"), wrong=("5 times over 30 days",), partial="A failed card payment is retried 3 times.", missing="the 14-day period")
    f4 = F("bill.suspend", c, "numeric", "21 days", "A project is suspended when an invoice is unpaid for {v}.", ["After how many days of non-payment is a project suspended?"], ["How long can a bill stay unpaid before the project is frozen?"], wrong=("30 days", "14 days"))
    f5 = F("bill.delete", c, "numeric", "60 days", "Data of a suspended project is deleted {v} after suspension.", ["How long after suspension is a project's data deleted?"], ["Once a project is frozen for non-payment, how long until its data is wiped?"], wrong=("30 days", "90 days"))
    policy(w, "bill:failed", "Billing: failed payments and suspension", "billing", D(2024, 5, 21), "billing",
           "This page explains what happens when a payment fails.",
           [("Retries", "When a card payment fails, it is retried 3 times over 14 days, and billing contacts are emailed after each failure.", (f3,)),
            ("Suspension", "If an invoice is still unpaid 21 days after it was issued, the project is suspended: API calls fail with NW-4031 and resources stop serving traffic, but data is kept.", (f4,)),
            ("Deletion", "Data of a suspended project is deleted 60 days after suspension unless the balance is paid. Deletion cannot be undone.", (f5,))])
    f6 = F("bill.refund", c, "numeric", "30 days", "Annual prepayments can be refunded within {v} of purchase.", ["Within how many days can an annual prepayment be refunded?"], ["How long after paying for a year up front can a customer change their mind and get money back?"], wrong=("14 days", "60 days"))
    f7 = F("bill.refundtime", c, "numeric", "10 business days", "Refunds reach the original payment method within {v}.", ["How long does a refund take to arrive?"], [], wrong=("5 business days", "30 days"))
    policy(w, "bill:refunds", "Billing: refunds", "billing", D(2024, 2, 13), "billing",
           "This page explains when Northwind refunds payments.",
           [("Annual plans", "Annual prepayments can be refunded within 30 days of purchase, prorated for the time already used. Monthly subscriptions are not refunded; cancel before the next period instead.", (f6,)),
            ("Processing", "Refunds are issued to the original payment method and arrive within 10 business days.", (f7,))])
    f8 = F("bill.credits", c, "numeric", "12 months", "Promotional credits expire {v} after they are granted.", ["When do promotional credits expire?"], ["How long do I have to use free credit from a promotion before it is gone?"], wrong=("6 months", "24 months"))
    policy(w, "bill:credits", "Billing: promotional credits", "billing", D(2024, 6, 4), "billing",
           "This page explains how promotional credits work.",
           [("Expiry", "Promotional credits expire 12 months after they are granted. Credits are applied to an invoice before the card is charged, oldest credits first.", (f8,)),
            ("What credits cover", "Credits pay for usage and subscriptions. They cannot pay for support contracts, marketplace purchases or taxes.", ())])
    f9 = F("bill.proration", c, "lookup", "prorated daily", "Upgrades take effect immediately and are {v}.", ["How are plan upgrades charged mid-month?"], ["If I move to a bigger plan halfway through the month, how is the difference calculated?"], keys=("prorated daily",), wrong=("charged for the full month",))
    f10 = F("bill.downgrade", c, "lookup", "at the end of the billing period", "Downgrades take effect {v}.", ["When does a plan downgrade take effect?"], ["If we move to a cheaper plan, when does the change actually kick in?"], keys=("end of the billing period",), wrong=("immediately",))
    policy(w, "bill:proration", "Billing: plan changes and proration", "billing", D(2024, 4, 16), "billing",
           "This page explains how plan changes are billed.",
           [("Upgrades", "Upgrades take effect immediately and are prorated daily for the rest of the billing period.", (f9,)),
            ("Downgrades", "Downgrades take effect at the end of the billing period, so the customer keeps the higher plan's allowances until then.", (f10,))])
    f11 = F("bill.currency", c, "lookup", "USD, EUR or GBP", "Invoices can be issued in {v}.", ["In which currencies can invoices be issued?"], ["Which money can we be billed in?"], keys=("USD", "EUR", "GBP"), wrong=("USD only",), partial="Invoices can be issued in USD or EUR.", missing="GBP")
    f12 = F("bill.fx", c, "lookup", "the ECB reference rate on the invoice date", "Non-USD invoices are converted at {v}.", ["Which exchange rate is used for non-USD invoices?"], [], keys=("ECB reference rate",), wrong=("the rate on the day of payment",))
    policy(w, "bill:currency", "Billing: currencies and taxes", "billing", D(2024, 1, 23), "billing",
           "This page explains currencies and taxes on invoices.",
           [("Currencies", "Invoices can be issued in USD, EUR or GBP. Prices are set in USD; EUR and GBP amounts are converted at the ECB reference rate on the invoice date.", (f11, f12)),
            ("Taxes", "EU business customers with a valid VAT ID are invoiced under the reverse-charge mechanism; others are charged VAT or sales tax where required. An invalid tax ID fails with NW-4708.", ())])
    f13 = F("bill.alerts", c, "lookup", "50%, 80% and 100%", "Default spend alerts fire at {v} of the budget.", ["At what percentages of the budget do the default spend alerts fire?"], ["At which points of our monthly budget does Northwind warn us by default?"], keys=("50%", "80%", "100%"), wrong=("75% and 100%",), partial="Spend alerts fire when the budget is fully used.", missing="the 50% and 80% alerts")
    policy(w, "bill:spend", "Billing: budgets and spend alerts", "billing", D(2024, 7, 9), "billing",
           "This page explains budgets, spend alerts and spending caps.",
           [("Alerts", "Each project can set a monthly budget. By default, billing contacts are emailed when spend reaches 50%, 80% and 100% of it.", (f13,)),
            ("Hard caps", "On Team plans and above, a project can also set a hard spending cap; when it is reached, new resource creation fails with NW-4703 until the next billing period.", ())])
    f14 = F("bill.annual", c, "numeric", "15%", "Annual prepayment gives a {v} discount on subscription fees.", ["What discount do annual prepayments get?"], ["How much cheaper is paying for a whole year up front?"], wrong=("10%", "20%"))
    policy(w, "bill:annual", "Billing: annual prepayment", "billing", D(2024, 2, 27), "billing",
           "This page explains annual prepayment.",
           [("Discount", "Customers who prepay a year of subscription fees get a 15% discount on those fees. Usage beyond the plan allowances is still billed monthly at list prices.", (f14,)),
            ("Renewal", "Annual plans renew automatically; the renewal invoice is issued on the anniversary date. Turn off auto-renewal in the console before that date to switch back to monthly billing.", ())])


# --------------------------------------------------------------------------------------------
# Security
# --------------------------------------------------------------------------------------------


def build_security(w: World) -> None:
    F = w.fact
    c = "security"
    # Superseded pairs.
    k1 = F("sec.apikeys.rotation", c, "numeric", "90 days", "API keys must be rotated every {v}.", ["How often must API keys be rotated?", "What is the rotation period for API keys?"], ["How long may a single API credential stay in use before it has to be replaced?"], wrong=("180 days", "30 days"), old="180 days")
    k2 = F("sec.apikeys.unused", c, "numeric", "60 days", "API keys unused for {v} are revoked automatically.", ["After how many days without use is an API key revoked?"], ["How long can an API credential sit idle before Northwind switches it off?"], wrong=("120 days", "30 days"), old="120 days")
    versioned(w, "sec:apikeys", "Security standard: API key management", "security", "security",
              "This standard covers API keys used by services, scripts and customers' integrations with our own accounts.",
              D(2022, 6, 14), D(2024, 2, 1), [
                  ("Rotation", "API keys must be rotated every 90 days. Rotation is automated for keys stored in vault-api; keys stored anywhere else must be rotated by their owner.", "API keys must be rotated every 180 days. Rotation is automated for keys stored in vault-api; keys stored anywhere else must be rotated by their owner.", (k1,)),
                  ("Unused keys", "Keys that have not been used for 60 days are revoked automatically, and the owner is notified a week before.", "Keys that have not been used for 120 days are revoked automatically, and the owner is notified a week before.", (k2,)),
                  ("Storage", "Keys are stored in vault-api and injected at runtime. A key found in source control is treated as leaked.", "Keys are stored in vault-api and injected at runtime. A key found in source control is treated as leaked.", ()),
              ], banner=True, history="This version shortened the rotation period and the unused-key window after a review of leaked-key incidents.")
    k3 = F("sec.dbcreds.rotation", c, "numeric", "30 days", "Static database passwords must be rotated every {v}.", ["How often must database passwords be rotated?"], ["How long can the same password for a production database stay valid?"], wrong=("90 days", "7 days"), old="90 days")
    versioned(w, "sec:dbcreds", "Security standard: database credentials", "security", "security",
              "This standard covers credentials used by services and people to connect to production databases.",
              D(2022, 11, 2), D(2024, 5, 14), [
                  ("Static passwords", "Static database passwords must be rotated every 30 days, and only break-glass accounts may still use them.", "Static database passwords must be rotated every 90 days, and only break-glass accounts may still use them.", (k3,)),
                  ("Dynamic credentials", "Services request short-lived credentials from vault-api at start-up instead of using static passwords.", "Services request short-lived credentials from vault-api at start-up instead of using static passwords.", ()),
              ], banner=False, history="The 2024 revision shortened the rotation period for static passwords.")
    f_dyn = F("sec.dbcreds.dynamic", c, "numeric", "8 hours", "Dynamic database credentials from vault-api expire after {v}.", ["How long are dynamic database credentials from vault-api valid?"], ["How long does a database login handed out automatically at start-up keep working?"], wrong=("24 hours", "1 hour"))
    policy(w, "sec:dbcreds-dynamic", "Dynamic database credentials", "security", D(2024, 5, 14), "security",
           "This page explains how services obtain database credentials without storing passwords.",
           [("Lifetime", "Dynamic credentials issued by vault-api expire after 8 hours; the client library renews them in the background well before expiry.", (f_dyn,)),
            ("Scope", "Each credential is scoped to one database and one role, so a leaked credential exposes as little as possible.", ())])
    k4 = F("sec.access.cadence", c, "lookup", "quarterly", "Access reviews happen {v}.", ["How often are access reviews performed?", "What is the cadence of access reviews?"], ["How frequently do owners have to confirm who still needs their permissions?"], keys=("quarterly",), wrong=("twice a year", "monthly"), old="twice a year")
    versioned(w, "sec:access", "Security standard: access reviews", "security", "security",
              "Access reviews make sure that every permission to production systems and customer data is still needed.",
              D(2022, 8, 30), D(2024, 1, 16), [
                  ("Cadence", "Access reviews happen quarterly. The service owner confirms, for each person and service account, that the access is still needed.", "Access reviews happen twice a year. The service owner confirms, for each person and service account, that the access is still needed.", (k4,)),
                  ("Removal", "Access that is not confirmed within 10 business days of the review opening is removed automatically.", "Access that is not confirmed within 10 business days of the review opening is removed automatically.", ()),
              ], banner=True, history="Reviews moved to a shorter cycle in 2024 to meet customer contract requirements.")
    k5 = F("sec.vulns.critical", c, "numeric", "7 days", "Critical vulnerabilities must be fixed within {v}.", ["What is the remediation deadline for critical vulnerabilities?"], ["How long do we have to patch the most severe security holes?"], wrong=("14 days", "24 hours"), old="14 days")
    k6 = F("sec.vulns.high", c, "numeric", "30 days", "High-severity vulnerabilities must be fixed within {v}.", ["What is the remediation deadline for high-severity vulnerabilities?"], ["How long may a serious but not critical security bug stay unpatched?"], wrong=("45 days", "90 days"), old="45 days")
    versioned(w, "sec:vulns", "Security standard: vulnerability management", "security", "security",
              "This standard sets the deadlines for fixing vulnerabilities found by scanners, pen tests or reports.",
              D(2023, 3, 7), D(2024, 4, 9), [
                  ("Critical", "Critical vulnerabilities must be fixed or mitigated within 7 days of discovery.", "Critical vulnerabilities must be fixed or mitigated within 14 days of discovery.", (k5,)),
                  ("High", "High-severity vulnerabilities must be fixed within 30 days.", "High-severity vulnerabilities must be fixed within 45 days.", (k6,)),
                  ("Medium and low", "Medium-severity findings must be fixed within 90 days; low-severity findings are fixed on a best-effort basis.", "Medium-severity findings must be fixed within 90 days; low-severity findings are fixed on a best-effort basis.", ()),
              ], banner=False, history="Deadlines were shortened in 2024 after the annual audit.")
    k7 = F("sec.laptops.lock", c, "numeric", "5 minutes", "Laptops must lock the screen after {v} of inactivity.", ["After how many minutes of inactivity must a laptop screen lock?"], ["How long can a work computer sit unattended before it must require a password again?"], wrong=("15 minutes", "10 minutes"), old="15 minutes")
    versioned(w, "sec:laptops", "Security standard: laptops", "security", "security",
              "This standard covers company laptops and any device used to reach production.",
              D(2021, 10, 12), D(2024, 6, 18), [
                  ("Screen lock", "Screens must lock after 5 minutes of inactivity, and disks must be fully encrypted.", "Screens must lock after 15 minutes of inactivity, and disks must be fully encrypted.", (k7,)),
                  ("Updates", "Operating system updates must be installed within 14 days of release; the device management agent enforces this.", "Operating system updates must be installed within 14 days of release; the device management agent enforces this.", ()),
              ], banner=True, history="The screen-lock timeout was shortened in 2024.")

    # Single pages.
    def single(key: str, title: str, purpose: str, items: list[tuple], updated: dt.date) -> None:
        policy(w, key, title, "security", updated, "security", purpose, items)

    f = [
        F("sec.tls.public", c, "numeric", "90 days", "Public TLS certificates are issued with {v} validity.", ["What validity period do public TLS certificates have?"], ["How long is an HTTPS certificate on a public hostname good for?"], wrong=("1 year", "30 days")),
        F("sec.tls.internal", c, "numeric", "24 hours", "Internal mTLS certificates live for {v}.", ["How long do internal mTLS certificates live?"], ["How long is a certificate that services use to authenticate each other valid?"], wrong=("7 days", "90 days")),
    ]
    single("sec:tls", "Security standard: TLS certificates", "This standard covers certificates for public hostnames and for service-to-service traffic.",
           [("Public certificates", "Public certificates are issued with 90 days validity by cert-manager and renewed automatically.", (f[0],)),
            ("Internal certificates", "Internal mTLS certificates live for 24 hours and are rotated continuously, so a stolen certificate is useless by the next day.", (f[1],))], D(2024, 2, 6))
    f = [
        F("sec.enc.algo", c, "lookup", "AES-256-GCM", "Data at rest is encrypted with {v}.", ["Which algorithm encrypts data at rest?"], ["Which cipher protects stored customer data?"], wrong=("AES-128-CBC", "ChaCha20")),
        F("sec.enc.rotation", c, "numeric", "365 days", "KMS key-encryption keys are rotated every {v}.", ["How often are KMS key-encryption keys rotated?"], [], wrong=("90 days", "30 days")),
    ]
    single("sec:encryption", "Security standard: encryption at rest", "This standard covers how stored data is encrypted.",
           [("Algorithm", "All data at rest is encrypted with AES-256-GCM using envelope encryption through kms-proxy.", (f[0],)),
            ("Key rotation", "Key-encryption keys in KMS are rotated every 365 days; data keys are re-wrapped, not re-encrypted. Enterprise customers can bring their own keys.", (f[1],))], D(2024, 3, 26))
    f = [
        F("sec.mfa.type", c, "lookup", "FIDO2 hardware security keys", "Production access requires {v}.", ["What kind of second factor is required for production access?"], ["What do I need to plug in to log in to production systems?"], keys=("FIDO2",), wrong=("SMS codes", "authenticator app codes")),
        F("sec.mfa.lost", c, "numeric", "24 hours", "A lost security key must be reported within {v}.", ["How quickly must a lost hardware security key be reported?"], ["If I lose the little USB key I use to log in, how soon do I have to tell someone?"], wrong=("1 hour", "7 days")),
    ]
    single("sec:mfa", "Security standard: multi-factor authentication", "This standard covers how people prove who they are to internal systems.",
           [("Factors", "Production access requires FIDO2 hardware security keys. SMS codes are not accepted for any internal system.", (f[0],)),
            ("Lost keys", "A lost or stolen security key must be reported to #security within 24 hours so that it can be revoked.", (f[1],))], D(2024, 1, 9))
    f = [
        F("sec.breakglass.duration", c, "numeric", "60 minutes", "Break-glass access lasts {v}.", ["How long does break-glass access last?", "For how long does `nwctl breakglass` grant admin rights?"], ["How long do emergency admin powers last once I take them?"], wrong=("4 hours", "15 minutes")),
        F("sec.breakglass.review", c, "numeric", "2 business days", "Every break-glass use is reviewed within {v}.", ["How soon is a break-glass session reviewed by Security?"], [], wrong=("5 business days", "24 hours")),
    ]
    single("sec:breakglass", "Security standard: break-glass access", "Break-glass access lets an engineer act as an administrator during an emergency when normal access paths are not enough.",
           [("Use", "Run `nwctl breakglass --incident <id>` to receive administrator rights for 60 minutes. An incident id is mandatory.", (f[0],)),
            ("Review", "Security Engineering reviews every break-glass session within 2 business days, using the session recording.", (f[1],))], D(2024, 4, 23))
    f = [F("sec.jit.duration", c, "numeric", "4 hours", "Just-in-time production access lasts at most {v}.", ["What is the maximum duration of just-in-time production access?"], ["For how long can I get temporary rights on production machines in the normal, non-emergency way?"], wrong=("8 hours", "60 minutes"))]
    single("sec:prod-access", "Security standard: production access", "Nobody has standing access to production; access is granted just in time.",
           [("Just-in-time access", "Production access is requested with `nwctl access request`, approved by a second engineer, and lasts at most 4 hours.", (f[0],)),
            ("Audit", "Every session is recorded and written to the audit log by audit-log-writer.", ())], D(2024, 4, 23))
    f = [F("sec.leak.revoke", c, "numeric", "1 hour", "A leaked secret must be revoked within {v} of detection.", ["How quickly must a leaked secret be revoked?"], ["Once a password or key is spotted in a commit, how fast must it be killed?"], wrong=("24 hours", "15 minutes"))]
    single("sec:secret-scanning", "Security standard: secret scanning", "secret-scanner checks commits, build logs and tickets for credentials.",
           [("Response", "A leaked secret must be revoked within 1 hour of detection, even if the commit was never pushed to a shared branch.", (f[0],)),
            ("Prevention", "Pre-commit hooks run the same detectors locally; bypassing them requires a documented reason.", ())], D(2024, 7, 2))
    f = [
        F("sec.class.levels", c, "lookup", "Public, Internal, Confidential and Restricted", "The data classification levels are {v}.", ["What are the data classification levels?"], ["Into which sensitivity buckets is information sorted at Northwind?"], keys=("Public", "Internal", "Confidential", "Restricted"), wrong=("Public, Internal and Secret",), partial="The levels are Public, Internal and Confidential.", missing="Restricted"),
        F("sec.class.customer", c, "lookup", "Restricted", "Customer content is classified as {v}.", ["How is customer content classified?"], ["Which sensitivity label applies to the files and data customers store with us?"], keys=("Restricted",), wrong=("Confidential",)),
    ]
    single("sec:classification", "Security standard: data classification", "Classification decides how data must be stored, shared and logged.",
           [("Levels", "Data is classified as Public, Internal, Confidential or Restricted.", (f[0],)),
            ("Customer content", "Customer content is always Restricted: it never appears in logs, tickets or chat, and only services that need it can read it.", (f[1],))], D(2023, 12, 5))
    f = [
        F("sec.logs.audit", c, "numeric", "400 days", "Internal audit logs are kept for {v}.", ["How long are internal audit logs retained?"], ["How far back can we look up who did what on our own systems?"], wrong=("365 days", "90 days")),
        F("sec.logs.app", c, "numeric", "30 days", "Application logs are kept for {v}.", ["How long are application logs retained internally?"], [], keys=("30 days",), wrong=("14 days", "90 days")),
        F("sec.logs.security", c, "numeric", "2 years", "Security logs are kept for {v}.", ["How long are security logs retained?"], [], wrong=("1 year", "5 years")),
    ]
    single("sec:logging", "Security standard: logging and retention", "This standard sets how long internal logs are kept.",
           [("Retention", "Internal audit logs are kept for 400 days. Application logs are kept for 30 days. Security logs are kept for 2 years.", tuple(f)),
            ("Content", "Logs must never contain Restricted data or credentials; log-shipper drops fields that look like secrets.", ())], D(2024, 5, 7))
    f = [
        F("sec.offboard.revoke", c, "numeric", "4 hours", "A leaver's access is revoked within {v}.", ["How quickly is a departing employee's access revoked?"], ["When someone leaves the company, how soon do all their logins stop working?"], wrong=("24 hours", "1 hour")),
        F("sec.offboard.laptop", c, "numeric", "5 business days", "Leavers return their laptop within {v}.", ["By when must a departing employee return their laptop?"], [], wrong=("10 business days", "30 days")),
    ]
    single("sec:offboarding", "Security standard: offboarding", "Offboarding removes access and recovers equipment when someone leaves or changes role.",
           [("Access", "All access is revoked within 4 hours of the end of employment.", (f[0],)),
            ("Equipment", "Laptops and security keys are returned within 5 business days.", (f[1],))], D(2024, 2, 20))
    f = [F("sec.vendors.cycle", c, "numeric", "2 years", "Vendor security reviews are repeated every {v}.", ["How often are vendor security reviews repeated?"], ["How often do we re-check the suppliers that handle our data?"], wrong=("1 year", "3 years"))]
    single("sec:vendors", "Security standard: vendor reviews", "New vendors that handle Confidential or Restricted data need a security review before contracts are signed.",
           [("Cadence", "Reviews are repeated every 2 years, or sooner if the vendor reports a breach.", (f[0],))], D(2023, 9, 19))
    f = [F("sec.pentest.cadence", c, "lookup", "once a year", "External penetration tests are run {v}.", ["How often is an external penetration test run?"], ["How often do we pay outsiders to try to break in?"], wrong=("twice a year", "every quarter"))]
    single("sec:pentest", "Security standard: penetration testing", "External testers attack our platform so that we find weaknesses before attackers do.",
           [("Cadence", "An external penetration test is run once a year and before major launches; findings follow the vulnerability management deadlines.", (f[0],))], D(2024, 1, 30))
    f = [
        F("sec.incident.report", c, "numeric", "1 hour", "Suspected security incidents must be reported within {v}.", ["How quickly must a suspected security incident be reported?"], [], keys=("1 hour",), wrong=("24 hours", "4 hours")),
        F("sec.incident.breach", c, "numeric", "72 hours", "Affected customers are notified of a data breach within {v}.", ["Within how many hours must customers be notified of a data breach?"], ["If customer data leaks, how long do we have to tell the affected customers?"], wrong=("24 hours", "7 days")),
    ]
    single("sec:incident-reporting", "Security standard: reporting security incidents", "Anyone who suspects a security incident must report it, even if unsure.",
           [("Reporting", "Report suspected security incidents in #security-incident within 1 hour; do not investigate on your own.", (f[0],)),
            ("Customer notification", "If customer data was exposed, affected customers are notified within 72 hours of confirmation.", (f[1],))], D(2024, 6, 25))
    f = [F("sec.custdata.grant", c, "numeric", "24 hours", "Support access to customer data expires after {v}.", ["How long does a support engineer's access to customer data last?"], ["Once a customer lets support look at their data, how long does that permission last?"], keys=("24 hours",), wrong=("7 days", "4 hours"))]
    single("sec:customer-data", "Security standard: access to customer data", "Northwind staff access customer data only to help the customer, with the customer's consent.",
           [("Consent", "Support access requires a consent ticket from the customer. The grant expires after 24 hours and every session is recorded.", (f[0],))], D(2024, 8, 6))
    f = [F("sec.backups.retention", c, "numeric", "35 days", "Backups are retained for {v}.", ["How long are backups retained?"], ["How far back in time can a production database be restored?"], wrong=("30 days", "90 days"))]
    single("sec:backups", "Security standard: backups", "Backups protect against data loss and ransomware.",
           [("Retention", "Backups are encrypted, stored in a separate account and retained for 35 days. A restore is tested every month for each Tier 1 data store.", (f[0],))], D(2024, 3, 12))
    f = [F("sec.ai.approvers", c, "lookup", "Security Engineering and Legal", "New AI assistants need approval from {v}.", ["Who must approve a new AI coding assistant?"], ["Whose sign-off do I need before I start using a new LLM tool at work?"], keys=("Security Engineering and Legal",), wrong=("your manager",))]
    single("sec:ai-tools", "Security standard: AI assistants", "This standard covers code assistants and chat tools based on large language models.",
           [("Approval", "Only assistants on the approved list may be used; adding a tool needs approval from Security Engineering and Legal. Restricted data must never be pasted into any assistant.", (f[0],))], D(2024, 9, 10))
    f = [F("sec.deps.block", c, "lookup", "critical", "Merges are blocked by dependencies with known {v} vulnerabilities.", ["Which severity of known vulnerability in a dependency blocks a merge?"], [], keys=("critical",), wrong=("high",))]
    single("sec:dependencies", "Security standard: third-party dependencies", "Third-party code is scanned like our own.",
           [("Blocking", "Software composition analysis runs in CI; dependencies with known critical vulnerabilities block the merge.", (f[0],))], D(2024, 2, 27))


# --------------------------------------------------------------------------------------------
# Engineering policies
# --------------------------------------------------------------------------------------------


def build_engineering(w: World) -> None:
    F = w.fact
    c = "engineering-policy"
    k1 = F("eng.review.tier1", c, "numeric", "two approvals", "Changes to Tier 1 services need {v}.", ["How many approvals does a change to a Tier 1 service need?"], ["How many colleagues must sign off before code for our most critical services can merge?"], wrong=("one approval", "three approvals"), old="one approval")
    versioned(w, "eng:review", "Engineering policy: code review", "engineering-policy", "engineering",
              "Every change to production code is reviewed before it merges.",
              D(2022, 4, 5), D(2024, 3, 12), [
                  ("Approvals", "Changes to Tier 1 services need two approvals, at least one of them from a CODEOWNER. Other services need one approval from a CODEOWNER.", "Every change needs one approval from a CODEOWNER, whatever the service tier.", (k1,)),
                  ("Self-review", "Authors review their own diff first and explain in the description why the change is needed and how it was tested.", "Authors review their own diff first and explain in the description why the change is needed and how it was tested.", ()),
              ], banner=False, history="The second approval for Tier 1 services was introduced in 2024.")
    f = [
        F("eng.review.turnaround", c, "numeric", "1 business day", "Reviewers are expected to respond within {v}.", ["How quickly are code reviewers expected to respond?"], ["How long should I wait for a colleague to look at my pull request?"], wrong=("4 hours", "2 business days")),
        F("eng.review.size", c, "numeric", "400 changed lines", "Pull requests over {v} need a justification.", ["Above what size does a pull request need a justification?"], [], wrong=("1,000 changed lines", "200 changed lines")),
    ]
    policy(w, "eng:review-etiquette", "Code review etiquette", "engineering-policy", D(2024, 3, 12), "engineering",
           "This page complements the code review policy with expectations for authors and reviewers.",
           [("Turnaround", "Reviewers are expected to respond within 1 business day, even if only to say when they will review.", (f[0],)),
            ("Size", "Pull requests over 400 changed lines need a justification in the description; prefer a stack of small changes.", (f[1],))])
    k2 = F("eng.train.cadence", c, "lookup", "weekly", "The release train runs {v}.", ["How often does the release train run?"], ["How frequently do scheduled releases go out?"], keys=("weekly",), wrong=("every two weeks", "daily"), old="every two weeks")
    k3 = F("eng.train.cutoff", c, "lookup", "Tuesday 14:00 UTC", "The release branch is cut on {v}.", ["When is the release branch cut?", "What is the cutoff time for the release train?"], ["By when must my change be merged to make it onto this week's scheduled release?"], keys=("Tuesday 14:00 UTC",), wrong=("Thursday 12:00 UTC", "Monday 10:00 UTC"), old="Thursday 12:00 UTC")
    versioned(w, "eng:train", "Engineering policy: release train", "engineering-policy", "engineering",
              "Most services ship on a shared release train so that releases are predictable and easy to coordinate.",
              D(2023, 2, 7), D(2024, 1, 5), [
                  ("Cadence", "The release train runs weekly. Services that deploy continuously are exempt but must still follow the canary rules.", "The release train runs every two weeks. Services that deploy continuously are exempt but must still follow the canary rules.", (k2,)),
                  ("Cutoff", "The release branch is cut on Tuesday 14:00 UTC, and the train deploys on Wednesday.", "The release branch is cut on Thursday 12:00 UTC, and the train deploys the following Monday.", (k3,)),
                  ("Release captain", "Each train has a release captain from the Developer Experience rotation who approves Tier 1 deploys and decides whether to hold the train.", "Each train has a release captain from the Developer Experience rotation who approves Tier 1 deploys and decides whether to hold the train.", ()),
              ], banner=True, history="The train moved to a weekly cadence at the start of 2024.")
    k4 = F("eng.freeze.dates", c, "lookup", "December 18 to January 3", "The end-of-year change freeze runs from {v}.", ["When is the end-of-year change freeze?"], ["During which dates around the holidays are we not allowed to ship changes?"], keys=("December 18", "January 3"), wrong=("December 20 to January 2",), old="December 20 to January 2", partial="The change freeze starts on December 18.", missing="the January 3 end date")
    versioned(w, "eng:freeze", "Engineering policy: change freeze", "engineering-policy", "engineering",
              "During the end-of-year holidays, staffing is thin and customer traffic is unusual, so we freeze production changes.",
              D(2022, 11, 15), D(2024, 10, 1), [
                  ("Dates", "The end-of-year change freeze runs from December 18 to January 3, inclusive.", "The end-of-year change freeze runs from December 20 to January 2, inclusive.", (k4,)),
                  ("Allowed changes", "Only fixes for incidents and security issues may ship during the freeze, with the incident commander's approval.", "Only fixes for incidents and security issues may ship during the freeze, with the incident commander's approval.", ()),
              ], banner=False, history="The freeze window was extended in 2024.")

    def single(key: str, title: str, purpose: str, items: list[tuple], updated: dt.date) -> None:
        policy(w, key, title, "engineering-policy", updated, "engineering", purpose, items)

    f = [F("eng.flags.cleanup", c, "numeric", "90 days", "Feature flags must be removed within {v} of full rollout.", ["How soon after full rollout must a feature flag be removed?"], ["How long may a toggle that is switched on for everyone stay in the code?"], wrong=("30 days", "180 days")),
         F("eng.flags.naming", c, "lookup", "team.feature", "Feature flags are named {v}.", ["What naming convention do feature flags follow?"], [], keys=("team.feature",), wrong=("feature_team",))]
    single("eng:flags", "Engineering policy: feature flags", "Feature flags let us ship code dark and turn features on gradually.",
           [("Cleanup", "Flags must be removed within 90 days of reaching full rollout. Kill switches are exempt and must be labelled as such.", (f[0],)),
            ("Naming", "Flags are named `team.feature`, for example `billing.new-invoice-layout`, and every flag has an owner.", (f[1],))], D(2024, 2, 6))
    f = [F("eng.rfc.threshold", c, "numeric", "2 engineer-weeks", "An RFC is required for work larger than {v}.", ["Above what size of work is an RFC required?"], ["How big does a project have to be before I must write a design proposal first?"], wrong=("1 engineer-month", "3 engineer-days")),
         F("eng.rfc.comment", c, "numeric", "5 business days", "RFCs stay open for comments for {v}.", ["How long is the comment period for an RFC?"], [], keys=("5 business days",), wrong=("10 business days", "2 business days"))]
    single("eng:rfcs", "Engineering policy: RFCs and design docs", "Design documents let others find problems before code is written.",
           [("When", "An RFC is required for any work estimated at more than 2 engineer-weeks, and for any change to a public API.", (f[0],)),
            ("Review", "RFCs have a comment period of 5 business days before the decision meeting.", (f[1],))], D(2023, 10, 3))
    f = [F("eng.test.coverage", c, "numeric", "80%", "Changed lines need {v} test coverage.", ["What test coverage is required on changed lines?"], ["What share of the lines I touch must be exercised by tests?"], wrong=("70%", "90%")),
         F("eng.test.flaky", c, "numeric", "24 hours", "Flaky tests must be quarantined within {v}.", ["How quickly must a flaky test be quarantined?"], [], keys=("24 hours",), wrong=("1 week", "4 hours")),
         F("eng.test.ci", c, "numeric", "15 minutes", "The CI pipeline of a repository must finish within {v}.", ["What is the time budget for a CI pipeline?"], ["How long may the automated checks on a pull request take at most?"], keys=("15 minutes",), wrong=("30 minutes", "10 minutes"))]
    single("eng:testing", "Engineering policy: testing", "Tests are how we change code without fear.",
           [("Coverage", "Changed lines need 80% test coverage, measured in CI on every pull request.", (f[0],)),
            ("Flaky tests", "A flaky test must be quarantined within 24 hours of being reported and fixed or deleted within two weeks.", (f[1],)),
            ("Speed", "CI for a repository must finish within 15 minutes; slower pipelines are split or parallelised.", (f[2],))], D(2024, 5, 28))
    f = [F("eng.branch.age", c, "numeric", "3 days", "Branches live at most {v}.", ["How long may a feature branch live?"], ["How long can I keep work on a side line of development before merging it back?"], wrong=("1 week", "1 day"))]
    single("eng:branching", "Engineering policy: branching", "We practise trunk-based development.",
           [("Branches", "Branches live at most 3 days; longer work is merged behind a feature flag.", (f[0],))], D(2023, 8, 22))
    f = [F("eng.deps.major", c, "numeric", "6 months", "Major dependency upgrades must be adopted within {v} of release.", ["Within how long must a major dependency upgrade be adopted?"], [], wrong=("12 months", "3 months"))]
    single("eng:upgrades", "Engineering policy: dependency upgrades", "Keeping dependencies current is cheaper than catching up.",
           [("Automation", "Renovate opens upgrade pull requests; patch upgrades merge automatically when CI passes.", ()),
            ("Major versions", "Major upgrades must be adopted within 6 months of release.", (f[0],))], D(2024, 1, 23))
    f = [F("eng.tiers.t1", c, "lookup", "24/7 on-call", "Tier 1 services need {v}.", ["What on-call coverage does a Tier 1 service need?"], ["Which level of pager coverage do our most critical services require?"], keys=("24/7",), wrong=("business-hours on-call",)),
         F("eng.tiers.t3", c, "lookup", "no on-call rotation", "Tier 3 services have {v}.", ["Do Tier 3 services have an on-call rotation?"], [], keys=("no on-call rotation",), answer="No, Tier 3 services have no on-call rotation", wrong=("a business-hours rotation",))]
    single("eng:tiers", "Engineering policy: service tiers", "Tiers tell everyone how critical a service is and what it must provide.",
           [("Tier 1", "Tier 1 services are on the customer request path. They need 24/7 on-call, two approvals per change and a tested rollback.", (f[0],)),
            ("Tier 2 and 3", "Tier 2 services have business-hours on-call with best-effort coverage at night. Tier 3 services have no on-call rotation; their issues are handled during working hours.", (f[1],))], D(2024, 3, 12))
    f = [F("eng.prr.items", c, "numeric", "25 items", "The production readiness checklist has {v}.", ["How many items are on the production readiness checklist?"], [], wrong=("40 items", "12 items")),
         F("eng.prr.signoff", c, "lookup", "Site Reliability", "Production readiness reviews are signed off by {v}.", ["Who signs off a production readiness review?"], ["Which team has to agree before a new service may take real traffic?"], keys=("Site Reliability",), wrong=("Security Engineering",))]
    single("eng:prr", "Engineering policy: production readiness review", "A new service must pass a production readiness review (PRR) before it takes customer traffic.",
           [("Checklist", "The checklist has 25 items covering SLOs, alerts, runbooks, backups, capacity and rollback.", (f[0],)),
            ("Sign-off", "The review is signed off by Site Reliability; paved-road services get a shorter review.", (f[1],))], D(2024, 6, 11))
    f = [F("eng.internaldep.notice", c, "numeric", "90 days", "Internal APIs give consumers {v} notice before removal.", ["How much notice must be given before removing an internal API?"], ["If my team wants to switch off an endpoint other teams call, how long must we warn them?"], keys=("90 days",), wrong=("30 days", "12 months")),
         F("eng.sdk.support", c, "numeric", "18 months", "An SDK major version is supported for {v} after the next major.", ["How long is an old SDK major version supported?"], [], wrong=("12 months", "6 months"))]
    single("eng:deprecation", "Engineering policy: deprecating internal APIs and SDKs", "Removing things is part of engineering, and it must not surprise the people who depend on them.",
           [("Internal APIs", "Internal APIs give consuming teams 90 days of notice before removal, announced in #eng-announce.", (f[0],)),
            ("SDKs", "A major version of an official SDK is supported for 18 months after the next major version is released.", (f[1],))], D(2024, 4, 30))
    f = [F("eng.migrations.compat", c, "lookup", "the previous two releases", "Schema migrations must be compatible with {v}.", ["Schema migrations must stay compatible with how many previous releases?"], ["How many older versions of the code must still work against a changed database schema?"], keys=("previous two releases",), wrong=("the previous release only",)),
         F("eng.migrations.long", c, "numeric", "10 minutes", "Migrations expected to run longer than {v} must run as background jobs.", ["When must a migration run as a background job?"], [], keys=("10 minutes",), answer="When it is expected to run longer than 10 minutes", wrong=("60 minutes", "1 minute"))]
    single("eng:migrations", "Engineering policy: database migrations", "Schema changes follow the expand and contract pattern so that deploys and rollbacks stay safe.",
           [("Compatibility", "Every migration must be compatible with the previous two releases of the code that uses the database.", (f[0],)),
            ("Long migrations", "Migrations expected to run longer than 10 minutes run as throttled background jobs, not in the deploy.", (f[1],))], D(2024, 2, 13))
    f = [F("eng.oncall.stipend", c, "numeric", "$350", "Primary on-call is paid a stipend of {v} per week.", ["What is the weekly on-call stipend?"], ["How much extra do engineers get for carrying the pager for a week?"], keys=("$350",), wrong=("$500", "$250")),
         F("eng.oncall.lieu", c, "lookup", "a day off in lieu", "After a night with more than two pages, the engineer gets {v}.", ["What does an engineer get after a night with more than two pages?"], [], keys=("day off in lieu",), wrong=("an extra stipend",))]
    single("eng:oncall-comp", "Engineering policy: on-call compensation", "Carrying the pager is work, and it is paid.",
           [("Stipend", "Primary on-call is paid a flat stipend of $350 per week; secondary on-call is paid half.", (f[0],)),
            ("Time off", "After a night with more than two pages, the engineer takes a day off in lieu, no questions asked.", (f[1],))], D(2024, 1, 16))
    f = [F("eng.runbooks.review", c, "numeric", "6 months", "Runbooks must be reviewed every {v}.", ["How often must runbooks be reviewed?"], ["How often do we have to check that our emergency instructions still work?"], wrong=("12 months", "3 months"))]
    single("eng:docs", "Engineering policy: documentation", "Every service has a service page and, for Tier 1 and Tier 2, a runbook.",
           [("Review", "Runbooks must be reviewed every 6 months and after every incident that used them.", (f[0],))], D(2023, 11, 14))
    f = [F("eng.load.target", c, "lookup", "twice the forecast peak", "Tier 1 launches are load tested to {v}.", ["To what load must a Tier 1 launch be tested?"], ["How much traffic should we simulate before launching a critical service?"], keys=("twice the forecast peak",), wrong=("the forecast peak",))]
    single("eng:load", "Engineering policy: load testing", "Load tests find capacity problems before customers do.",
           [("Target", "Tier 1 launches are load tested to twice the forecast peak in the staging cell.", (f[0],))], D(2024, 5, 14))
    f = [F("eng.cost.anomaly", c, "numeric", "20%", "Week-over-week cost increases above {v} trigger a review.", ["What week-over-week cost increase triggers a review?"], ["How big a jump in our cloud bill from one week to the next gets flagged?"], wrong=("50%", "10%"))]
    single("eng:cost", "Engineering policy: cost guardrails", "Every team has a cloud budget, and surprises are investigated.",
           [("Anomalies", "Week-over-week cost increases above 20% for a team trigger a review with the team's manager.", (f[0],))], D(2024, 7, 23))
    f = [F("eng.oss.approval", c, "lookup", "Open Source Council", "Open-source contributions are approved by the {v}.", ["Who approves contributions to open-source projects?"], [], keys=("Open Source Council",), wrong=("Legal",))]
    single("eng:oss", "Engineering policy: open source", "We use and contribute to open source.",
           [("Contributions", "Contributions to external projects are approved by the Open Source Council; small fixes are pre-approved.", (f[0],))], D(2023, 6, 27))
    f = [F("eng.onboard.oncall", c, "numeric", "3 months", "New engineers join the on-call rotation after {v}.", ["When do new engineers join the on-call rotation?"], ["How long after starting will a new hire first carry the pager?"], wrong=("1 month", "6 months"))]
    single("eng:onboarding", "Engineering policy: onboarding", "Onboarding gets new engineers productive and safe.",
           [("On-call", "New engineers join the on-call rotation after 3 months, once they have shadowed shifts.", (f[0],))], D(2024, 8, 20))
    f = [F("eng.api.nesting", c, "numeric", "two levels", "Resource paths nest at most {v} deep.", ["How deep may resource paths nest in our API design guidelines?"], [], keys=("two levels",), wrong=("three levels",))]
    single("eng:api-design", "Engineering policy: API design guidelines", "Our public and internal APIs look alike so that clients are easy to write.",
           [("Paths", "Resource paths nest at most two levels deep; use query parameters for filters.", (f[0],)),
            ("Conventions", "Use snake_case fields, cursor pagination and idempotency keys for every POST.", ())], D(2023, 12, 12))


# --------------------------------------------------------------------------------------------
# On-call and incidents
# --------------------------------------------------------------------------------------------


def build_incident(w: World) -> None:
    F = w.fact
    c = "incident-process"
    k1 = F("inc.ack", c, "numeric", "5 minutes", "A page must be acknowledged within {v}.", ["How quickly must a page be acknowledged?", "What is the acknowledgement deadline for pages?"], ["When my phone goes off for an alert, how long do I have to respond that I'm on it?"], wrong=("15 minutes", "10 minutes"), old="15 minutes")
    versioned(w, "inc:paging", "On-call: paging and escalation", "incident-process", "incident",
              "This page sets how fast on-call engineers respond and what happens when they do not.",
              D(2022, 7, 19), D(2024, 2, 20), [
                  ("Acknowledgement", "A page must be acknowledged within 5 minutes, day or night.", "A page must be acknowledged within 15 minutes, day or night.", (k1,)),
                  ("Escalation", "Unacknowledged pages escalate to the secondary after 10 minutes and to the team's manager after 20 minutes.", "Unacknowledged pages escalate to the secondary after 10 minutes and to the team's manager after 20 minutes.", ()),
              ], banner=True, history="The acknowledgement target was tightened in 2024.")
    k2 = F("inc.shift", c, "numeric", "7 days", "An on-call shift lasts {v}.", ["How long is an on-call shift?"], ["For how long does one person hold the pager before handing it over?"], wrong=("14 days", "24 hours"), old="14 days")
    versioned(w, "inc:rotation", "On-call: rotations", "incident-process", "incident",
              "This page describes how on-call rotations are organised.",
              D(2022, 5, 10), D(2024, 2, 20), [
                  ("Shifts", "An on-call shift lasts 7 days and hands over on Monday at 10:00 local time.", "An on-call shift lasts 14 days and hands over on Monday at 10:00 local time.", (k2,)),
                  ("Rotation size", "A rotation needs enough people that nobody is primary more often than one week in four.", "A rotation needs enough people that nobody is primary more often than one shift in three.", ()),
              ], banner=False, history="Shifts were shortened in 2024 to reduce fatigue.")
    k3 = F("inc.pm.due", c, "numeric", "5 business days", "A postmortem is due within {v} of resolution.", ["When is a postmortem due?", "How long after an incident must the postmortem be written?"], ["How soon after things are fixed must the written analysis of what went wrong be ready?"], wrong=("10 business days", "30 days"), old="10 business days")
    versioned(w, "inc:postmortems", "Incidents: postmortems", "incident-process", "incident",
              "Every SEV1 and SEV2 incident gets a blameless postmortem.",
              D(2022, 9, 6), D(2024, 3, 26), [
                  ("Deadline", "The postmortem is due within 5 business days of resolution and is reviewed at the weekly incident review.", "The postmortem is due within 10 business days of resolution and is reviewed at the weekly incident review.", (k3,)),
                  ("Template", "incident-bot creates the document from the template, pre-filled with the timeline from the incident channel.", "incident-bot creates the document from the template, pre-filled with the timeline from the incident channel.", ()),
              ], banner=True, history="The deadline was shortened in 2024 so that details are still fresh.")
    f_ai = F("inc.pm.actions", c, "numeric", "30 days", "Postmortem action items are due within {v}.", ["When are postmortem action items due?"], ["How long do teams have to finish the follow-up work agreed after an incident?"], keys=("30 days",), wrong=("90 days", "14 days"))
    policy(w, "inc:followups", "Incidents: follow-up actions", "incident-process", D(2024, 3, 26), "incident",
           "Follow-up actions are how incidents make us better.",
           [("Deadlines", "Postmortem action items are due within 30 days; items that slip are reviewed by the engineering director.", (f_ai,)),
            ("Tracking", "Action items are labelled `incident-followup` in the tracker so that they show up on the reliability dashboard.", ())])

    def single(key: str, title: str, purpose: str, items: list[tuple], updated: dt.date) -> None:
        policy(w, key, title, "incident-process", updated, "incident", purpose, items)

    f = [F("inc.sev1.status", c, "numeric", "15 minutes", "For a SEV1, the status page is updated within {v}.", ["How quickly must the status page be updated for a SEV1?"], ["In a total outage, how soon must customers see a public notice?"], keys=("15 minutes",), wrong=("30 minutes", "60 minutes")),
         F("inc.sev2.status", c, "numeric", "30 minutes", "For a SEV2, the status page is updated within {v}.", ["How quickly must the status page be updated for a SEV2?"], [], keys=("30 minutes",), wrong=("15 minutes", "60 minutes")),
         F("inc.sev1.def", c, "lookup", "a complete outage or data loss of a Tier 1 service", "A SEV1 is {v}.", ["What counts as a SEV1?"], ["What kind of event is the most severe incident class?"], keys=("complete outage or data loss",), wrong=("a partial degradation of a Tier 1 service",))]
    single("inc:severity", "Incidents: severity levels", "Severity decides who is pulled in and how fast we communicate.",
           [("Levels", "SEV1: a complete outage or data loss of a Tier 1 service. SEV2: a partial degradation that customers notice. SEV3: a minor issue with a workaround. SEV4: no customer impact.", (f[2],)),
            ("Communication", "For a SEV1 the status page is updated within 15 minutes of declaration; for a SEV2 within 30 minutes. Updates continue at least every hour until resolution.", (f[0], f[1]))], D(2024, 2, 20))
    f = [F("inc.declare.cmd", c, "lookup", "/incident declare", "Incidents are declared with {v}.", ["Which Slack command declares an incident?"], ["How do I officially start an incident from chat?"], keys=("/incident declare",), wrong=("/incident open",)),
         F("inc.channel", c, "lookup", "#inc-YYYYMMDD-short-name", "Incident channels are named {v}.", ["How are incident channels named?"], [], keys=("#inc-YYYYMMDD-short-name",), wrong=("#incident-short-name",))]
    single("inc:declare", "Incidents: declaring an incident", "Anyone can declare an incident.",
           [("Command", "Type `/incident declare` in any Slack channel and answer the prompts for severity and summary.", (f[0],)),
            ("Channel", "incident-bot creates a channel named #inc-YYYYMMDD-short-name and invites the on-call engineers.", (f[1],))], D(2023, 11, 7))
    f = [F("inc.ic.handover", c, "numeric", "4 hours", "An incident commander hands over after at most {v}.", ["After how long must an incident commander hand over?"], ["How long can one person lead an incident response before someone fresh takes over?"], keys=("4 hours",), wrong=("8 hours", "2 hours"))]
    single("inc:roles", "Incidents: roles", "Clear roles keep incident response calm.",
           [("Roles", "Every SEV1 and SEV2 has an incident commander, a scribe and a comms lead.", ()),
            ("Handover", "An incident commander hands over after at most 4 hours; long incidents need a rota.", (f[0],))], D(2024, 1, 9))
    f = [F("inc.shadow", c, "numeric", "2 shifts", "Engineers shadow {v} before joining a rotation.", ["How many shifts must an engineer shadow before joining a rotation?"], [], wrong=("4 shifts", "1 shift"))]
    single("inc:readiness", "On-call: readiness", "Before joining a rotation, an engineer needs the right access and some practice.",
           [("Shadowing", "Engineers shadow 2 shifts before joining a rotation as secondary.", (f[0],)),
            ("Kit", "You need your laptop, a hardware security key and the paging app on your phone.", ())], D(2024, 2, 20))
    f = [F("inc.customer.email", c, "numeric", "1 hour", "Affected customers of a SEV1 are emailed within {v}.", ["How soon are affected customers emailed during a SEV1?"], [], keys=("1 hour",), wrong=("4 hours", "24 hours"))]
    single("inc:comms", "Incidents: customer communication", "Customers hear about problems from us first.",
           [("Email", "For a SEV1, affected customers are emailed within 1 hour of declaration, in addition to the status page.", (f[0],))], D(2024, 4, 2))
    f = [F("inc.review.time", c, "lookup", "Thursdays at 16:00 UTC", "The weekly incident review is held on {v}.", ["When is the weekly incident review?"], ["On which day and time do we meet to go through last week's outages?"], keys=("Thursdays", "16:00 UTC"), wrong=("Mondays at 10:00 UTC",))]
    single("inc:review", "Incidents: weekly incident review", "The weekly incident review reads postmortems and checks follow-ups.",
           [("When", "The review is held on Thursdays at 16:00 UTC; anyone may attend.", (f[0],))], D(2023, 10, 24))
    f = [F("inc.gameday.notice", c, "numeric", "1 week", "Game days are announced {v} in advance.", ["How far in advance are game days announced?"], [], keys=("1 week",), wrong=("2 weeks", "1 day"))]
    single("inc:gamedays", "On-call: game days", "Game days rehearse failures on purpose with chaos-runner.",
           [("Notice", "Game days are announced 1 week in advance in #eng-announce; they never run during the change freeze.", (f[0],))], D(2024, 6, 4))
    f = [F("inc.holiday.pay", c, "lookup", "double the normal stipend", "Holiday on-call shifts are paid {v}.", ["How are on-call shifts over public holidays paid?"], [], keys=("double",), wrong=("the normal stipend",))]
    single("inc:holidays", "On-call: holiday coverage", "Holiday shifts are filled by volunteers first.",
           [("Pay", "Shifts over public holidays are paid double the normal stipend.", (f[0],))], D(2023, 11, 28))
    f = [F("inc.mttr.target", c, "numeric", "2 hours", "The target time to resolve a SEV1 is under {v}.", ["What is the target time to resolve a SEV1?"], [], keys=("2 hours",), wrong=("4 hours", "30 minutes"))]
    single("inc:metrics", "Incidents: metrics", "We measure incident response to improve it, not to blame anyone.",
           [("Targets", "MTTA is measured from page to acknowledgement and MTTR from declaration to resolution. The target time to resolve a SEV1 is under 2 hours.", (f[0],))], D(2024, 5, 21))
    f = [F("inc.noisy.threshold", c, "numeric", "3 times a week", "Alerts that page more than {v} without action must be fixed or demoted.", ["When must a noisy alert be fixed or demoted?"], ["How often can an alert wake people up for nothing before we have to deal with it?"], keys=("3 times a week",), answer="When it pages more than 3 times a week without anyone taking action", wrong=("once a day",))]
    single("inc:noisy-alerts", "On-call: noisy alerts", "A page must always need a human.",
           [("Rule", "Alerts that page more than 3 times a week without anyone taking action must be fixed or demoted to a ticket.", (f[0],))], D(2024, 7, 30))


# --------------------------------------------------------------------------------------------
# Deploys and rollbacks
# --------------------------------------------------------------------------------------------


def build_deploy(w: World) -> None:
    F = w.fact
    c = "deploy"
    k1 = F("dep.canary.share", c, "numeric", "5%", "A canary receives {v} of traffic.", ["What share of traffic does a canary receive?"], ["What slice of real users first gets a new build?"], keys=("5%",), wrong=("10%", "1%"), old="10%")
    k2 = F("dep.canary.bake", c, "numeric", "30 minutes", "A canary bakes for {v} before the rollout continues.", ["How long is the canary bake time?"], ["How long does a new build have to behave on a small slice of traffic before it goes further?"], keys=("30 minutes",), wrong=("15 minutes", "60 minutes"), old="15 minutes")
    versioned(w, "dep:canary", "Deploys: canary releases", "deploy", "deploy",
              "Every production deploy starts with a canary.",
              D(2023, 4, 18), D(2024, 5, 28), [
                  ("Traffic", "The canary receives 5% of traffic in the first wave's region.", "The canary receives 10% of traffic in the first wave's region.", (k1,)),
                  ("Bake time", "The canary bakes for 30 minutes before Bifrost continues the rollout; automatic rollback checks run during the bake.", "The canary bakes for 15 minutes before Bifrost continues the rollout; automatic rollback checks run during the bake.", (k2,)),
              ], banner=True, history="The canary became smaller and longer in 2024.")

    def single(key: str, title: str, purpose: str, items: list[tuple], updated: dt.date) -> None:
        policy(w, key, title, "deploy", updated, "deploy", purpose, items)

    f = [F("dep.bifrost.artifacts", c, "numeric", "30", "Bifrost keeps the last {v} artifacts per service.", ["How many artifacts per service does Bifrost keep?"], ["How many past builds of a service can we still roll back to?"], keys=("30",), wrong=("10", "100"))]
    single("dep:bifrost", "Deploys: Bifrost overview", "Bifrost is the deploy system for every production service.",
           [("Stages", "A deploy goes through build, staging, canary and then the production waves.", ()),
            ("Artifacts", "Bifrost keeps the last 30 artifacts per service, so any of them can be redeployed.", (f[0],))], D(2024, 4, 9))
    f = [F("dep.waves.first", c, "lookup", "nw-ap-southeast-1", "The first production wave is {v}.", ["Which region is in the first production wave?"], ["Where does a new build reach real customers first?"], keys=("nw-ap-southeast-1",), wrong=("nw-us-east-1",)),
         F("dep.waves.gap", c, "numeric", "1 hour", "Waves are at least {v} apart.", ["What is the minimum time between deploy waves?"], [], keys=("1 hour",), wrong=("30 minutes", "24 hours"))]
    single("dep:waves", "Deploys: wave order", "Production rollouts go region by region, smallest first.",
           [("Order", "Wave 1: nw-ap-southeast-1. Wave 2: nw-us-west-2. Wave 3: nw-eu-central-1 and nw-eu-west-1. Wave 4: nw-us-east-1.", (f[0],)),
            ("Spacing", "Waves are at least 1 hour apart so that problems surface before the next region.", (f[1],))], D(2024, 5, 28))
    f = [F("dep.auto.errors", c, "lookup", "1 percentage point above baseline", "Automatic rollback triggers when the error rate is {v}.", ["What error rate triggers an automatic rollback?"], ["How much worse must failures get compared with normal before Bifrost undoes a deploy by itself?"], keys=("1 percentage point",), wrong=("5 percentage points above baseline",)),
         F("dep.auto.window", c, "numeric", "5 minutes", "Automatic rollback requires the regression to last {v}.", ["For how long must a regression last before automatic rollback triggers?"], [], keys=("5 minutes",), wrong=("15 minutes", "1 minute"))]
    single("dep:auto-rollback", "Deploys: automatic rollback", "Bifrost rolls back on its own when a deploy clearly makes things worse.",
           [("Triggers", "Automatic rollback triggers when the error rate is 1 percentage point above the pre-deploy baseline, or p99 latency is 1.5 times the baseline, for 5 minutes.", (f[0], f[1]))], D(2024, 5, 28))
    f = [F("dep.rollback.tier1", c, "numeric", "15 minutes", "A Tier 1 rollback must complete within {v}.", ["How fast must a rollback of a Tier 1 service complete?"], ["How quickly must we be able to undo a bad release of a critical service?"], keys=("15 minutes",), wrong=("30 minutes", "60 minutes")),
         F("dep.rollback.cmd", c, "lookup", "nwctl rollback", "Manual rollbacks use {v}.", ["Which command performs a manual rollback?"], [], keys=("nwctl rollback",), wrong=("nwctl revert",))]
    single("dep:rollback", "Deploys: manual rollback", "Any engineer may roll back any service at any time.",
           [("How", "Run `nwctl rollback <service> --to <release>`; `--to previous` picks the last good release.", (f[1],)),
            ("Speed", "A rollback of a Tier 1 service must complete within 15 minutes; this is rehearsed in rollback drills.", (f[0],))], D(2024, 3, 5))
    f = [F("dep.windows.friday", c, "lookup", "15:00 local time", "There are no deploys on Fridays after {v}.", ["After what time on Fridays are deploys not allowed?"], ["When does shipping stop at the end of the working week?"], keys=("15:00",), wrong=("12:00 local time",))]
    single("dep:windows", "Deploys: deploy windows", "We deploy when people are around to watch.",
           [("Windows", "There are no deploys on Fridays after 15:00 local time or at weekends without the approval of an incident commander or engineering manager.", (f[0],))], D(2023, 9, 5))
    f = [F("dep.hotfix.bake", c, "numeric", "10 minutes", "Hotfix canaries bake for {v}.", ["How long do hotfix canaries bake?"], [], keys=("10 minutes",), wrong=("30 minutes", "0 minutes")),
         F("dep.hotfix.approval", c, "lookup", "the incident commander", "Hotfixes are approved by {v}.", ["Who approves a hotfix?"], ["Whose permission do I need to push an urgent fix outside the scheduled release?"], keys=("incident commander",), wrong=("the release captain",))]
    single("dep:hotfix", "Deploys: hotfixes", "A hotfix ships a fix outside the release train during an incident.",
           [("Approval", "Hotfixes are approved by the incident commander of the related incident.", (f[1],)),
            ("Canary", "Hotfix canaries bake for 10 minutes instead of the usual bake time.", (f[0],))], D(2024, 6, 18))
    f = [F("dep.config.canary", c, "lookup", "like code", "Configuration changes are canaried {v}.", ["Are configuration changes canaried?"], [], keys=("like code",), answer="Yes, exactly like code", wrong=("not at all",))]
    single("dep:config", "Deploys: configuration changes", "Configuration breaks production as often as code does.",
           [("Rules", "Configuration changes go through the config store and are canaried exactly like code.", (f[0],))], D(2024, 1, 30))
    f = [F("dep.migrate.cmd", c, "lookup", "nwctl migrate", "Schema migrations are run with {v}.", ["Which command runs a schema migration?"], [], keys=("nwctl migrate",), wrong=("nwctl schema apply",))]
    single("dep:migrations", "Deploys: running migrations", "Migrations are deployed separately from code.",
           [("How", "Run `nwctl migrate <service>` from the Bifrost console; the migration runs in the first wave's region first.", (f[0],))], D(2024, 2, 13))
    f = [F("dep.infra.pipeline", c, "lookup", "the Bifrost infra pipeline", "Terraform changes are applied through {v}.", ["How are Terraform changes applied?"], ["What is the only sanctioned way to change cloud infrastructure definitions in production?"], keys=("Bifrost infra pipeline",), wrong=("terraform apply from a laptop",))]
    single("dep:infra", "Deploys: infrastructure changes", "Infrastructure is code and is deployed like code.",
           [("Pipeline", "Terraform changes are applied only through the Bifrost infra pipeline after the plan is reviewed.", (f[0],))], D(2024, 7, 16))
    f = [F("dep.drills.cadence", c, "lookup", "once per quarter", "Tier 1 services rehearse a rollback {v}.", ["How often must Tier 1 services rehearse a rollback?"], ["How often do critical services practise undoing a release?"], keys=("once per quarter",), wrong=("once a year",))]
    single("dep:drills", "Deploys: rollback drills", "A rollback that has never been tried is a hope, not a plan.",
           [("Cadence", "Every Tier 1 service rehearses a rollback once per quarter and records the time it took.", (f[0],))], D(2024, 3, 5))
    f = [F("dep.flags.steps", c, "lookup", "1%, 10%, 50% and 100%", "Flag rollouts go through {v}.", ["What are the standard feature flag rollout steps?"], [], keys=("1%", "10%", "50%", "100%"), wrong=("5%, 25% and 100%",), partial="Flag rollouts start at 1% and end at 100%.", missing="the 10% and 50% steps"),
         F("dep.flags.gap", c, "numeric", "24 hours", "Tier 1 flag rollout steps are at least {v} apart.", ["How long must a Tier 1 flag rollout wait between steps?"], [], keys=("24 hours",), wrong=("1 hour", "1 week"))]
    single("dep:flag-rollouts", "Deploys: feature flag rollouts", "Turning a feature on is a deploy too.",
           [("Steps", "Flag rollouts go through 1%, 10%, 50% and 100% of traffic.", (f[0],)),
            ("Spacing", "For Tier 1 services, steps are at least 24 hours apart.", (f[1],))], D(2024, 2, 6))
    f = [F("dep.secrets.refresh", c, "numeric", "5 minutes", "Services pick up rotated secrets within {v}.", ["How soon do services pick up a rotated secret?"], [], keys=("5 minutes",), wrong=("1 hour", "24 hours"))]
    single("dep:secrets", "Deploys: secret changes", "Secrets change without a deploy.",
           [("Refresh", "Services pick up rotated secrets from vault-api within 5 minutes without a restart.", (f[0],))], D(2024, 8, 13))


# --------------------------------------------------------------------------------------------
# Glossary
# --------------------------------------------------------------------------------------------

# term, definition, optional fact: (value, claim, direct questions, paraphrased questions, wrong, keys)
GLOSSARY = [
    ("Cell", "A cell is an isolated slice of a region with its own load balancers and control plane. A cell has 32 hosts, and a failure in one cell must not spread to the others.", ("32 hosts", "A cell has {v}.", ["How many hosts make up a cell?"], ["How many machines are in one of the isolated slices a region is divided into?"], ("16 hosts", "64 hosts"), ())),
    ("Bifrost", "Bifrost is the internal deploy system. Its console lives at bifrost.internal.northwind.cloud, and every deploy, rollback and configuration change is recorded there.", ("bifrost.internal.northwind.cloud", "The Bifrost console lives at {v}.", ["What is the address of the Bifrost console?"], [], ("deploy.internal.northwind.cloud",), ())),
    ("Lighthouse", "Lighthouse is the dashboard and alerting UI built on top of the metrics and log stores. Dashboards that nobody has opened for 180 days are archived automatically.", ("180 days", "Lighthouse archives dashboards unopened for {v}.", ["After how long without views is a Lighthouse dashboard archived?"], ["How long can a monitoring board go unvisited before it is tidied away?"], ("90 days", "365 days"), ())),
    ("Tidepool", "Tidepool is the internal data lake that collects product events and database snapshots for analysis. Raw events are kept in Tidepool for 18 months; curated tables are kept indefinitely.", ("18 months", "Tidepool keeps raw events for {v}.", ["How long does Tidepool keep raw events?"], ["How far back can analysts look at unprocessed product events?"], ("12 months", "24 months"), ())),
    ("Drydock", "Drydock is the sandbox in which CI builds run. Each sandbox is destroyed 2 hours after it starts, so builds cannot leave state behind.", ("2 hours", "A Drydock sandbox is destroyed {v} after it starts.", ["How long does a Drydock sandbox live?"], ["How long does the throwaway environment a CI build runs in exist?"], ("24 hours", "30 minutes"), ())),
    ("Error budget", "The error budget is one minus the SLO, measured over the SLO window. For a 99.9% SLO over 30 days it is about 43 minutes of full downtime.", ("43 minutes", "The error budget of a 99.9% SLO over 30 days is about {v}.", ["How much downtime does a 99.9% SLO allow over 30 days?"], ["If a service promises three nines for a month, how many minutes of total outage can it afford?"], ("4 minutes", "7 hours"), ())),
    ("Burn rate", "Burn rate is how fast the error budget is being spent, relative to spending it evenly over the window. The fast-burn alert pages at a burn rate of 14.4 sustained over 1 hour.", ("14.4", "The fast-burn alert pages at a burn rate of {v}.", ["At what burn rate does the fast-burn alert page?"], [], ("6", "2"), ())),
    ("Golden signals", "The golden signals are latency, traffic, errors and saturation. Every service dashboard starts with them.", ("latency, traffic, errors and saturation", "The golden signals are {v}.", ["What are the golden signals?"], ["Which four measurements does every service dashboard begin with?"], ("latency, errors and uptime",), ("latency", "traffic", "errors", "saturation"))),
    ("Toil", "Toil is manual, repetitive operational work that scales with traffic and has no lasting value. Site Reliability caps toil at 50% of an engineer's time.", ("50%", "Toil is capped at {v} of an engineer's time.", ["What share of an engineer's time may toil take at most?"], ["How much of an SRE's week may be spent on repetitive manual chores?"], ("30%", "20%"), ())),
    ("Blast radius", "Blast radius is how many customers a failure or a bad change can affect. Cells, waves and canaries all exist to keep it small.", None),
    ("Paved road", "The paved road is the set of supported defaults: languages, libraries, templates and pipelines. A service on the paved road gets a production readiness review within 3 days.", ("3 days", "A paved-road service gets its readiness review within {v}.", ["How quickly does a paved-road service get its production readiness review?"], [], ("2 weeks", "1 day"), ())),
    ("Game day", "A game day is a planned exercise in which failures are injected on purpose with chaos-runner to test people, alerts and runbooks.", ("chaos-runner", "Failures on game days are injected with {v}.", ["Which tool injects failures during game days?"], ["Which internal service breaks things on purpose during resilience exercises?"], ("incident-bot",), ("chaos-runner",))),
    ("Shadow on-call", "A shadow on-call engineer follows the primary through a shift without being paged, to learn the systems and the process.", None),
    ("Kill switch", "A kill switch is a long-lived feature flag that turns a feature off in an emergency. Flipping a kill switch takes effect in every region within 60 seconds.", ("60 seconds", "A kill switch takes effect everywhere within {v}.", ["How quickly does a kill switch take effect?"], ["How long after I flip an emergency off-toggle is the feature gone in every region?"], ("5 minutes", "10 seconds"), ())),
    ("Dark launch", "A dark launch ships code to production with its feature turned off, so that it can be tested in place before customers see it.", None),
    ("nwctl", "nwctl is the internal command-line tool for deploys, rollbacks, access requests and break-glass. Install it with `brew install northwind/tap/nwctl`.", ("brew install northwind/tap/nwctl", "nwctl is installed with `{v}`.", ["How do you install nwctl?"], [], ("pip install nwctl",), ())),
    ("SEV", "SEV is short for severity level; the levels are defined on the severity page of the incident handbook.", None),
    ("Incident commander", "The incident commander (IC) coordinates the response, makes decisions and delegates work. ICs come from a pool of volunteers who have completed a half-day workshop.", ("a half-day workshop", "Incident commanders must complete {v}.", ["What training must an incident commander complete?"], ["What preparation is required before someone can lead an outage response?"], ("a two-day course",), ("half-day workshop",))),
    ("Scribe", "The scribe keeps the incident timeline in the incident channel so that the commander can focus on decisions.", None),
    ("Comms lead", "The comms lead writes status page updates and customer emails during an incident. The role is usually taken by someone from Customer Support.", ("Customer Support", "The comms lead usually comes from {v}.", ["Which team usually provides the comms lead during an incident?"], ["Who normally writes the public updates while an outage is going on?"], ("Site Reliability",), ("Customer Support",))),
    ("Wave", "A wave is one step of a production rollout, covering one or more regions; the wave order is defined in the deploy handbook.", None),
    ("Bake time", "Bake time is how long a change runs at one rollout step while automated checks watch it before the rollout continues.", None),
    ("Project", "A project is the container for resources, API keys and usage. Every resource belongs to exactly one project, and every project belongs to one organisation.", None),
    ("Organisation", "An organisation groups projects under one billing account. An organisation can have at most 5 owners; other members get narrower roles.", ("5 owners", "An organisation can have at most {v}.", ["How many owners can an organisation have?"], ["How many people can hold the top administrative role in a customer account?"], ("3 owners", "10 owners"), ())),
    ("Availability zone", "An availability zone is an independent data centre within a region. Zones in a region are named a, b and c, for example nw-eu-central-1b.", ("a, b and c", "Zones in a region are named {v}.", ["How are availability zones named within a region?"], [], ("1, 2 and 3",), ("a, b and c",))),
    ("MTTA", "MTTA (mean time to acknowledge) is the average time from a page to its acknowledgement; MTTR is the average time to resolve.", None),
    ("Switchyard", "Switchyard is the internal service mesh that carries service-to-service traffic. It adds under 1 ms of latency per hop.", ("under 1 ms", "Switchyard adds {v} of latency per hop.", ["How much latency does Switchyard add per hop?"], ["What is the per-hop overhead of the layer that carries traffic between internal services?"], ("about 10 ms",), ("1 ms",))),
    ("Beacon", "Beacon is the paging tool. Its mobile app must be installed on the phone of everyone in an on-call rotation.", ("Beacon", "The paging tool is called {v}.", ["What is the name of the paging tool?"], ["Which app wakes up the on-call engineer?"], ("Lighthouse",), ("Beacon",))),
    ("Idempotency key", "An idempotency key is a client-chosen value that lets the server recognise a retried request; the API page on idempotency keys gives the rules.", None),
    ("Postmortem", "A postmortem is the written, blameless analysis of an incident: impact, timeline, contributing factors and follow-up actions.", None),
]
GLOSSARY_FILLER = [
    "This entry is the canonical definition of {term}; other pages link here rather than redefining it.",
    "Industry usage of \"{term}\" varies, so read the handbook's meaning when the two differ.",
    "Ask in #eng-help if a page uses \"{term}\" in a way that does not match this entry.",
    "You will meet {term} throughout the incident, deploy and service pages.",
    "New joiners usually meet {term} in their first week, often during an on-call shadow shift.",
    "Use \"{term}\" consistently in postmortems and design documents so that searches find every related page.",
    "Several older pages describe {term} in slightly different words; this entry takes precedence.",
    "{term} is also explained during onboarding, with examples from past incidents.",
]


def build_glossary(w: World) -> None:
    for term, definition, fact in GLOSSARY:
        d = w.doc(f"gloss:{term}", f"Glossary: {term}", "glossary", w.date_between(D(2023, 6, 1), D(2024, 10, 15)))
        facts = ()
        if fact:
            value, claim, direct, para, wrong, keys = fact
            facts = (w.fact(f"gloss.{term}", "glossary", "numeric" if re.search(r"\d", value) else "lookup", value, claim, direct, para, wrong=wrong, keys=keys or (value,)),)
        d.add(definition, *facts, heading="Definition")
        usage = [x.replace("{term}", term) for x in GLOSSARY_FILLER]
        d.add(" ".join(w.rng.sample(usage, 3)), heading="Usage")
        spare = [x for x in usage if x not in d.blocks[-1]]
        w.rng.shuffle(spare)
        while len(" ".join(d.blocks).split()) < 90:
            d.blocks[-1] += " " + spare.pop()


# --------------------------------------------------------------------------------------------
# Changelog
# --------------------------------------------------------------------------------------------

DEPRECATED_V1 = [("GET /v1/buckets", "GET /v2/buckets"), ("POST /v1/objects", "PUT /v2/buckets/{bucket}/objects/{key}"), ("GET /v1/queues/{queue}/receive", "GET /v2/queues/{queue}/messages"), ("POST /v1/functions/invoke", "POST /v2/functions/{function}/invocations"), ("GET /v1/usage", "GET /v2/usage"), ("POST /v1/cdn/purge", "POST /v2/cdn/purges")]
CHANGELOG_NOTES = [
    "No action is needed for clients that use the official SDKs.",
    "If you pin the API version with the Northwind-Version header, the changes above apply only after you move the pin.",
    "All changes in this release are backwards compatible.",
    "The console and CLI were updated in the same release.",
    "Questions about this release can be asked in the community forum or through Support.",
]


def last_day_of_month(year: int, month: int) -> dt.date:
    nxt = D(year + (month == 12), month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def build_changelog(w: World, timeline: list[tuple[str, dt.date]], events: dict[int, list]) -> None:
    dep_at = sorted(w.rng.sample([i for i, (v, _) in enumerate(timeline) if v.endswith(".0") and 5 <= i < 35], len(DEPRECATED_V1)))
    for (old, new), at in zip(DEPRECATED_V1, dep_at, strict=True):
        events[at].append(("deprecated", old, new, None))
    other_versions = [v for v, _ in timeline]
    for i, (version, day) in enumerate(timeline):
        d = w.doc(f"changelog:{version}", f"Changelog: API {version}", "changelog", day)
        f_date = w.fact(
            f"cl.{version}.date", "changelog", "numeric", day.isoformat(),
            f"Version {version} was released on {{v}}.",
            [f"When was API version {version} released?", f"On which date did API {version} ship?"],
            keys=(day.isoformat(),), wrong=tuple((day + dt.timedelta(days=x)).isoformat() for x in (7, -14)),
        )
        kind = "a patch release" if not version.endswith(".0") else "a minor release"
        d.add(f"Version {version} was released on {day.isoformat()}. It is {kind} of the public API. " + w.pick(CHANGELOG_NOTES[:3]), f_date)
        evs = events.get(i, [])
        added = [e for e in evs if e[0] == "added"]
        changed = [e for e in evs if e[0] in ("raised", "changed")]
        deprecated = [e for e in evs if e[0] == "deprecated"]
        if added:
            d.add("\n".join(f"- `{sig}`: {desc}" for _, sig, desc, _f in added), heading=f"Added in {version}", alt=tuple(e[3] for e in added))
        if changed:
            lines = []
            for e in changed:
                if e[0] == "raised":
                    _, sig, old_rl, f_rl = e
                    lines.append(f"- Raised the per-endpoint limit of `{sig}` from {old_rl:,} to {f_rl.value.split(' ')[0]} requests per minute per project.")
                else:
                    lines.append(f"- {e[1]}")
            d.add("\n".join(lines), heading=f"Changed in {version}", alt=tuple(e[3] if e[0] == "raised" else e[2] for e in changed))
        for _, old, new, _ in deprecated:
            removal = last_day_of_month(day.year + 1, day.month % 12 + 1) if day.month < 12 else last_day_of_month(day.year + 2, 1)
            f_rm = w.fact(
                f"cl.{old}.removal", "changelog", "numeric", removal.isoformat(),
                f"`{old}` will be removed on {{v}}.",
                [f"When will `{old}` be removed?", f"On what date is {old} scheduled for removal?"],
                [f"Until when can clients keep calling the old {old.split(' ')[0]} endpoint at {old.split(' ')[1]}?"],
                wrong=((removal - dt.timedelta(days=92)).isoformat(),),
            )
            d.add(f"- `{old}` is deprecated and will be removed on {removal.isoformat()}. Use `{new}` instead.", f_rm, heading=f"Deprecated in {version}")
        fixes = w.rng.sample(FILLER["changelog"], w.rng.choice([2, 3, 4]))
        d.add("\n".join(f"- {x}" for x in fixes), heading=f"Fixed in {version}")
        d.add(" ".join(w.rng.sample(CHANGELOG_NOTES, 2)), heading="Upgrade notes")
        while len(" ".join(d.blocks).split()) < 90:
            d.blocks[-1] += " " + w.pick([n for n in CHANGELOG_NOTES if n not in d.blocks[-1]])
    del other_versions


# --------------------------------------------------------------------------------------------
# Unanswerable questions: plausible for this handbook, but the corpus has no answer. Each lists
# the terms the question hinges on (proved absent from the corpus) and a confident fabrication.
# --------------------------------------------------------------------------------------------

UNANSWERABLE = [
    ("What is the availability SLO of the search-indexer service?", ["search-indexer"], "search-indexer has an availability SLO of 99.9% over a rolling 28-day window."),
    ("Which team owns geo-router?", ["geo-router"], "geo-router is owned by the Edge Networking team."),
    ("Which port does ml-feature-store listen on?", ["ml-feature-store"], "ml-feature-store listens on port 8474."),
    ("What is the p99 latency objective for backup-orchestrator?", ["backup-orchestrator"], "The p99 latency objective of backup-orchestrator is 400 ms."),
    ("What is the per-endpoint rate limit of `DELETE /v2/webhooks/{webhook}`?", ["DELETE /v2/webhooks"], "The per-endpoint limit of `DELETE /v2/webhooks/{webhook}` is 120 requests per minute."),
    ("Which scope does `PATCH /v2/projects/{project}` require?", ["PATCH /v2/projects"], "`PATCH /v2/projects/{project}` requires the projects:admin scope."),
    ("What does error code NW-4999 mean?", ["NW-4999"], "Error NW-4999 is internal_timeout: the request took too long inside Northwind."),
    ("Which HTTP status accompanies error NW-4888?", ["NW-4888"], "Error NW-4888 comes with HTTP status 409."),
    ("How much does the Platinum plan cost per month?", ["Platinum"], "The Platinum plan costs $999 per month."),
    ("How many seats are included in the Startup plan?", ["Startup plan"], "The Startup plan includes 5 seats."),
    ("How many weeks of parental leave do engineers get?", ["parental leave"], "Engineers get 16 weeks of paid parental leave."),
    ("What is the yearly training budget per engineer?", ["training budget"], "Each engineer has a training budget of $2,000 per year."),
    ("How often are engineering laptops replaced?", ["laptop refresh", "replaced every"], "Engineering laptops are replaced every 3 years."),
    ("What is the rotation period for SSH host keys?", ["host key"], "SSH host keys must be rotated every 180 days."),
    ("How long are messages kept in a dead-letter queue?", ["dead-letter"], "Messages stay in a dead-letter queue for 14 days."),
    ("What is the maximum object size in the Archive storage class?", ["storage class"], "Objects in the Archive storage class can be up to 5 TiB."),
    ("When was API version 5.0.0 released?", ["5.0.0"], "Version 5.0.0 was released on 2024-11-06."),
    ("What changed in API release 4.21.3?", ["4.21.3"], "Release 4.21.3 fixed a bug in presigned URLs and raised the purge limit."),
    ("What is the mileage reimbursement rate for driving to a data centre?", ["mileage"], "Mileage is reimbursed at $0.58 per mile."),
    ("What service credit do customers get when availability falls below the SLA?", ["service credit", "SLA credit"], "Customers receive a 10% service credit on that month's bill."),
    ("How long does Insights keep raw traces?", ["raw traces"], "Insights keeps raw traces for 7 days."),
    ("How many secrets can a project store in Northwind Vault?", ["secrets per project"], "A project can store up to 10,000 secrets in Vault."),
    ("What is the cost center code of ledger-api?", ["cost center"], "ledger-api is billed to cost center CC-4410."),
    ("Who is the executive sponsor of the Site Reliability team?", ["executive sponsor"], "The executive sponsor of Site Reliability is the VP of Infrastructure, Marcus Bell."),
    ("What is the GPU quota for Northwind Functions?", ["GPU"], "A project can use up to 4 GPUs in Northwind Functions."),
    ("How much notice is required before a database failover drill?", ["failover drill"], "Database failover drills need 48 hours of notice."),
    ("What is the bug bounty payout for a critical vulnerability?", ["bug bounty"], "A critical vulnerability earns a bug bounty of $10,000."),
    ("What is the maximum message size on the event-bus WebSocket API?", ["WebSocket"], "The event-bus WebSocket API accepts messages up to 1 MB."),
    ("How long are incident call recordings kept?", ["call recording"], "Incident call recordings are kept for 90 days."),
    ("What is the rate limit of the GraphQL API?", ["GraphQL"], "The GraphQL API allows 600 requests per minute per project."),
    ("What is the minimum Ruby version for the Ruby SDK?", ["Ruby"], "The Ruby SDK requires Ruby 3.0 or later."),
    ("Which team owns the mobile app backend?", ["mobile app backend"], "The mobile app backend is owned by the Notifications team."),
    ("Can customers in Australia keep their data in an Australian region?", ["Australia", "Australian"], "Yes: customers in Australia can pin their data to nw-ap-southeast-2 in Sydney."),
    ("What availability does the Northwind Edge WAF guarantee?", ["WAF"], "The Edge WAF is covered by a 99.99% availability SLA."),
    ("How long is the probation period for new engineers?", ["probation"], "New engineers have a 6-month probation period."),
]


# --------------------------------------------------------------------------------------------
# Assembly: documents, questions, judged outputs
# --------------------------------------------------------------------------------------------


def build_world(seed: int = SEED) -> tuple[World, dict[str, str], dict[str, str]]:
    w = World(seed)
    timeline = release_timeline(w)
    build_teams(w)
    info = build_services(w)
    alerts = build_runbooks(w, info)
    events = build_api(w, timeline)
    build_plans(w)
    build_products(w)
    # Facts that a second page repeats word for word (an endpoint page and a quota page).
    for fact_key, doc_key in (("prod.queue.msgsize", "api:10"), ("prod.queue.batch", "api:10"), ("prod.functions.bundle", "api:14"), ("prod.vault.secretsize", "api:25")):
        w.facts[fact_key].alts.append((doc_key, 1))
    build_billing(w)
    build_security(w)
    build_engineering(w)
    build_incident(w)
    build_deploy(w)
    build_glossary(w)
    build_changelog(w, timeline, events)
    return w, alerts, {name: info[name]["team"] for name in info}


def finalize_documents(w: World) -> tuple[list[Document], dict[str, str]]:
    """Shuffle pages into doc ids (so an id says nothing about the category), resolve links."""
    keys = list(w.drafts)
    w.rng.shuffle(keys)
    ids = {k: f"doc-{i:04d}" for i, k in enumerate(keys, start=1)}
    docs = []
    for k in sorted(keys, key=ids.__getitem__):
        d = w.drafts[k]
        body = "\n\n".join(d.blocks)
        body = re.sub(r"\[\[([^\]]+)\]\]", lambda m: f"{w.drafts[m.group(1)].title} ({ids[m.group(1)]})", body)
        words = len(body.split())
        assert 80 <= words <= 800, f"{k} has {words} words"
        docs.append(Document(id=ids[k], title=d.title, category=d.category, updated_at=d.updated, body=body))
    return docs, ids


@dataclass
class QDraft:
    """A question plus what the judge-set builder needs to perturb its answer."""

    type: str
    question: str
    answer: str
    supporting: list[str]
    keys: list[str]
    claim: str = "{v}"
    value: str = ""
    wrong: list[str] = field(default_factory=list)
    alternates: list[str] = field(default_factory=list)
    traps: list[str] = field(default_factory=list)
    old: str | None = None
    partial: str = ""
    missing: str = ""
    fabricated: str = ""
    category: str = ""
    id: str = ""
    split: str = ""

    def state(self, value: str | None = None) -> str:
        return self.claim.replace("{v}", self.value if value is None else value)


def build_questions(w: World, docs: list[Document], ids: dict[str, str], alerts: dict[str, str], owners: dict[str, str]) -> list[QDraft]:
    def pid(loc: tuple[str, int]) -> str:
        return f"{ids[loc[0]]}#p{loc[1] + 1}"

    by_pid = {p.id: p for d in docs for p in split_passages(d)}
    # Every fact (asked or not) must sit in a passage that contains its key strings.
    for f in w.facts.values():
        assert f.loc is not None, f.key
        for loc in [f.loc, *f.alts]:
            text = by_pid[pid(loc)].text
            missing = [k for k in f.keys if not contains_fact(text, k)]
            assert not missing, (f.key, pid(loc), missing)

    def from_fact(f: Fact, qtype: str, question: str) -> QDraft:
        return QDraft(
            type=qtype, question=question, answer=f.answer, supporting=[pid(f.loc)], keys=list(f.keys),
            claim=f.claim, value=f.value, wrong=list(f.wrong), alternates=[pid(a) for a in f.alts],
            traps=[pid(t) for t in f.traps], old=f.old or None, partial=f.partial, missing=f.missing,
            category=f.family,
        )

    out: list[QDraft] = []
    used: set[str] = set()

    # Multi-hop: chains across two pages.
    chosen = w.rng.sample(SERVICE_NAMES, len(SERVICE_NAMES))
    hop_specs = [("manager", 10), ("slack", 5), ("pager", 4)]
    cursor = 0
    for what, n in hop_specs:
        for _ in range(n):
            svc = chosen[cursor]
            cursor += 1
            team = owners[svc]
            tname = TEAM[team][1]
            f_owner = w.facts[f"svc.{svc}.owner"]
            f_end = w.facts[f"team.{team}.{what}"]
            used.update({f_owner.key, f_end.key})
            question = w.pick({
                "manager": [f"Who manages the team that owns {svc}?", f"Which engineering manager is responsible for the team behind {svc}?", f"{svc} keeps failing and I want to talk to the manager of the team that owns it. Who is that?"],
                "slack": [f"In which Slack channel should I ask the owners of {svc} a question?", f"Which Slack channel reaches the team that owns {svc}?"],
                "pager": [f"Which pager rotation should I page when {svc} is down?", f"Which on-call rotation covers {svc}?"],
            }[what])
            claim = {"manager": f"{{v}} manages the {tname} team, which owns {svc}.",
                     "slack": f"Ask in {{v}}, the channel of the {tname} team that owns {svc}.",
                     "pager": f"Page {{v}}, the rotation of the {tname} team that owns {svc}."}[what]
            out.append(QDraft(
                type="multi-hop", question=question, answer=f_end.answer, supporting=[pid(f_owner.loc), pid(f_end.loc)],
                keys=[tname, f_end.value], claim=claim, value=f_end.value, wrong=list(f_end.wrong),
                partial=f"{svc} is owned by the {tname} team.", missing={"manager": "the team's manager", "slack": "the team's Slack channel", "pager": "the team's pager rotation"}[what],
                category="team",
            ))
    for alert in w.rng.sample(sorted(alerts), 5):
        svc = alerts[alert]
        tname = TEAM[owners[svc]][1]
        f_alert = w.facts[f"rb.{svc}.alert"]
        f_owner = w.facts[f"svc.{svc}.owner"]
        used.add(f_owner.key)
        out.append(QDraft(
            type="multi-hop", question=w.pick([f"Which team owns the service that the `{alert}` alert watches?", f"The {alert} alert just fired. Which team owns the affected service?"]),
            answer=tname, supporting=[pid(f_alert.loc), pid(f_owner.loc)], keys=[svc, tname],
            claim=f"{alert} watches {svc}, which is owned by the {{v}} team.", value=tname, wrong=list(f_owner.wrong),
            partial=f"The {alert} alert watches {svc}.", missing="the owning team", category="runbook",
        ))
    for plan in ("Developer", "Team", "Business", "Enterprise"):
        f_tier = w.facts[f"plan.{plan}.tier"]
        tier = f_tier.value
        f_limit = w.facts[f"api.tier.{tier}"]
        out.append(QDraft(
            type="multi-hop", question=w.pick([f"What project-wide API request budget per minute does a project on the {plan} plan get?", f"How many API requests per minute can {'an' if plan[0] in 'AEIOU' else 'a'} {plan}-plan project make across all endpoints?"]),
            answer=f_limit.answer, supporting=[pid(f_tier.loc), pid(f_limit.loc)], keys=[tier, f_limit.keys[0]],
            claim=f"The {plan} plan uses rate-limit tier {tier}, which allows {{v}}.", value=f_limit.value, wrong=list(f_limit.wrong),
            partial=f"The {plan} plan uses rate-limit tier {tier}.", missing="the tier's request budget", category="product",
        ))

    # Outdated traps: every fact whose page has a superseded twin.
    for f in sorted((f for f in w.facts.values() if f.old), key=lambda f: f.key):
        assert f.traps, f.key
        q = w.pick(f.para) if f.para and w.rng.random() < 0.3 else w.pick(f.direct)
        out.append(from_fact(f, "outdated-trap", q))
        used.add(f.key)

    # Single-hop questions, spread round-robin over the document categories.
    by_family: dict[str, list[Fact]] = defaultdict(list)
    for f in w.facts.values():
        if f.askable and not f.old and f.key not in used:
            by_family[f.family].append(f)
    for fam in sorted(by_family):
        w.rng.shuffle(by_family[fam])

    def draw(n: int, ok) -> list[Fact]:
        got: list[Fact] = []
        while len(got) < n:
            progress = False
            for fam in sorted(by_family):
                cand = next((f for f in by_family[fam] if f.key not in used and ok(f)), None)
                if cand is not None:
                    used.add(cand.key)
                    got.append(cand)
                    progress = True
                    if len(got) == n:
                        break
            assert progress, "ran out of facts"
        return got

    for f in draw(SINGLE_HOP_QUOTAS["paraphrase"], lambda f: bool(f.para)):
        out.append(from_fact(f, "paraphrase", w.pick(f.para)))
    for f in draw(SINGLE_HOP_QUOTAS["numeric"], lambda f: f.kind == "numeric"):
        out.append(from_fact(f, "numeric", w.pick(f.direct)))
    for f in draw(SINGLE_HOP_QUOTAS["lookup"], lambda f: f.kind == "lookup"):
        out.append(from_fact(f, "lookup", w.pick(f.direct)))

    # Unanswerable.
    corpus_text = "\n".join(f"{d.title}\n{d.body}" for d in docs)
    for question, absent, fabricated in UNANSWERABLE:
        present = [t for t in absent if contains_fact(corpus_text, t)]
        assert not present, (question, present)
        out.append(QDraft(type="unanswerable", question=question, answer=NOT_IN_HANDBOOK, supporting=[], keys=list(absent), fabricated=fabricated, category="none"))

    assert len({q.question for q in out}) == len(out), "duplicate question text"
    # Splits: half of each type to dev, half to test; then ids in a shuffled order.
    for qtype in sorted({q.type for q in out}):
        group = [q for q in out if q.type == qtype]
        w.rng.shuffle(group)
        first = w.pick(["dev", "test"])
        for i, q in enumerate(group):
            q.split = first if i % 2 == 0 else ("test" if first == "dev" else "dev")
    w.rng.shuffle(out)
    for i, q in enumerate(out, start=1):
        q.id = f"q-{i:04d}"
    return out


# How many judged outputs of each kind. Pass kinds first; see README_handbook.md for the rubric.
JUDGE_QUOTAS = {
    "correct_paraphrase": 34, "verbose_correct": 16, "hedged_correct": 10, "correct_with_citation": 14,
    "wrong_value": 18, "outdated_value": 10, "partial": 10, "contradictory": 6, "wrong_citation": 8,
    "unnecessary_abstention": 6,
}
ABSTENTION_SHARE = 21  # of the unanswerable questions, how many get a correct abstention (rest: fabricated)

ABSTAIN = [
    "I couldn't find this in the handbook, so I can't answer it reliably.",
    "The handbook doesn't say. The owning team would be the right people to ask.",
    "None of the documents I have cover this, so I don't know.",
    "I don't see this anywhere in the handbook pages I searched; I'd rather not guess.",
    "This isn't documented in the handbook as far as I can tell.",
]
PADDING = [
    "This is documented in the handbook, and it is worth re-reading the page before you change anything.",
    "If your situation is unusual, check with the owning team in their channel.",
    "Rules like this exist to keep production safe and predictable for everyone.",
    "Let me know if you also need the related procedure.",
    "I've kept the answer short, but the page has more context if you need it.",
    "Happy to help with anything else in the handbook.",
]
# A hedge wraps the claim without changing its first letter (claims may start with a name).
HEDGES = ["I'm fairly sure, though it's worth double-checking: {c}", "If I remember the page correctly: {c}", "I think this is right, but I'm not certain. {c}", "{c} At least, that's how I remember the page."]


def _reformat(w: World, s: str) -> str:
    """Same value, different surface form: '1,200' -> '1200', '99.95%' -> '99.95 percent'."""
    t = re.sub(r"(?<=\d),(?=\d{3})", "", s)
    if t == s and "%" in s:
        t = s.replace("%", " percent")
    return t


def build_judge_set(w: World, questions: list[QDraft], docs: list[Document]) -> list[JudgedOutput]:
    passages_by_cat: dict[str, list] = defaultdict(list)
    for d in docs:
        for p in split_passages(d):
            passages_by_cat[d.category].append(p)
    rows: list[tuple[QDraft, str, str, str]] = []  # question, perturbation, candidate, critique

    unans = [q for q in questions if q.type == "unanswerable"]
    w.rng.shuffle(unans)
    dev_u, test_u = [q for q in unans if q.split == "dev"], [q for q in unans if q.split == "test"]
    unans = [q for pair in zip(dev_u, test_u, strict=False) for q in pair] + dev_u[len(test_u):] + test_u[len(dev_u):]
    for i, q in enumerate(unans):
        if i < ABSTENTION_SHARE:
            rows.append((q, "correct_abstention", w.pick(ABSTAIN), "Pass: the handbook does not cover this, and the answer says so instead of guessing."))
        else:
            rows.append((q, "fabricated", q.fabricated, "Fail: the handbook has nothing on this, so the confident specific answer is invented."))

    pool = [q for q in questions if q.type != "unanswerable"]
    w.rng.shuffle(pool)
    taken: set[str] = set()

    def take(n: int, ok) -> list[QDraft]:
        """n questions for one kind, alternating dev and test so both splits get every kind."""
        cands = {s: [q for q in pool if q.id not in taken and ok(q) and q.split == s] for s in ("dev", "test")}
        order = w.pick([("dev", "test"), ("test", "dev")])
        got: list[QDraft] = []
        while len(got) < n:
            first, second = order[len(got) % 2], order[(len(got) + 1) % 2]
            src = cands[first] or cands[second]
            assert src, f"not enough questions for {n}"
            got.append(src.pop(0))
        taken.update(q.id for q in got)
        return got

    def cite(q: QDraft) -> str:
        return " ".join(f"[{p}]" for p in q.supporting)

    for q in take(JUDGE_QUOTAS["outdated_value"], lambda q: q.type == "outdated-trap"):
        rows.append((q, "outdated_value", q.state(q.old), f"Fail: {q.old} is the superseded value from the older page ({q.traps[0]}); the current page says {q.answer}."))
    for q in take(JUDGE_QUOTAS["partial"], lambda q: bool(q.partial)):
        rows.append((q, "partial", q.partial, f"Fail: it gives only part of the reference answer and leaves out {q.missing}."))
    for q in take(JUDGE_QUOTAS["wrong_value"], lambda q: bool(q.wrong)):
        wrong = w.pick(q.wrong)
        rows.append((q, "wrong_value", q.state(wrong), f"Fail: it says {wrong}, but the handbook says {q.answer}."))
    for q in take(JUDGE_QUOTAS["contradictory"], lambda q: bool(q.wrong)):
        wrong = w.pick(q.wrong)
        tail = w.pick([f" Some pages say {wrong}, though, so it could also be {wrong}.", f" Then again, it might be {wrong}; I'm not sure which applies."])
        rows.append((q, "contradictory", q.state() + tail, f"Fail: it offers both {q.answer} and {wrong}, so it never commits to the reference fact."))
    for q in take(JUDGE_QUOTAS["wrong_citation"], lambda q: q.type != "multi-hop" and q.category in passages_by_cat):
        gold = set(q.supporting) | set(q.alternates)
        options = [p for p in passages_by_cat[q.category] if p.id not in gold and p.doc_id not in {g.split("#")[0] for g in gold}
                   and p.index > 1 and not any(contains_fact(p.text, k) for k in q.keys)]
        bad = w.pick(options).id
        rows.append((q, "wrong_citation", f"{q.state()} [{bad}]", f"Fail: the value {q.answer} is right, but the cited passage {bad} does not support it; the evidence is in {q.supporting[0]}."))
    for q in take(JUDGE_QUOTAS["unnecessary_abstention"], lambda q: True):
        rows.append((q, "unnecessary_abstention", w.pick(ABSTAIN), f"Fail: the handbook does answer this ({q.answer}), so declining to answer is a miss."))
    for q in take(JUDGE_QUOTAS["correct_paraphrase"], lambda q: True):
        form = w.pick(["short", "claim", "according", "answer-first"])
        value = _reformat(w, q.value)
        if form == "short" and q.type != "multi-hop":
            text = f"{_reformat(w, q.answer)}."
        elif form == "according":
            text = "According to the handbook: " + q.state(value)
        elif form == "answer-first":
            text = f"{_reformat(w, q.answer)}. " + w.pick(["That's what the current page says.", "That comes straight from the handbook page.", "The handbook is explicit about it."])
        else:
            text = q.state(value)
        rows.append((q, "correct_paraphrase", text, f"Pass: it states the reference answer ({q.answer}) in its own words and nothing in it contradicts the handbook."))
    for q in take(JUDGE_QUOTAS["verbose_correct"], lambda q: True):
        text = w.pick(["Good question. ", "Sure. ", "Here's what I found. "]) + q.state() + " " + " ".join(w.rng.sample(PADDING, 2))
        rows.append((q, "verbose_correct", text, f"Pass: the answer {q.answer} is there and correct; the extra sentences are padding that contradicts nothing."))
    for q in take(JUDGE_QUOTAS["hedged_correct"], lambda q: True):
        text = w.pick(HEDGES).replace("{c}", q.state())
        rows.append((q, "hedged_correct", text, f"Pass: despite the hedge it commits to {q.answer}, which matches the reference."))
    for q in take(JUDGE_QUOTAS["correct_with_citation"], lambda q: True):
        which = "which supports it" if len(q.supporting) == 1 else "which together support it"
        rows.append((q, "correct_with_citation", f"{q.state()} {cite(q)}", f"Pass: it states {q.answer} and cites {', '.join(q.supporting)}, {which}."))

    w.rng.shuffle(rows)
    out = []
    for i, (q, kind, candidate, critique) in enumerate(rows, start=1):
        label = "pass" if kind in PASSING_PERTURBATIONS else "fail"
        out.append(JudgedOutput(id=f"j-{i:04d}", question_id=q.id, split=q.split, candidate=candidate, human_label=label, human_critique=critique, perturbation=kind))
    return out


def build(seed: int = SEED) -> tuple[list[Document], list[QAItem], list[JudgedOutput]]:
    """Everything, validated: (documents, questions, judged outputs)."""
    w, alerts, owners = build_world(seed)
    docs, ids = finalize_documents(w)
    drafts = build_questions(w, docs, ids, alerts, owners)
    qa = [
        QAItem(
            id=q.id, split=q.split, type=q.type, question=q.question, answer=q.answer,
            answerable=q.type != "unanswerable", supporting_passage_ids=q.supporting,
            alternate_passage_ids=q.alternates, trap_passage_ids=q.traps, key_facts=q.keys,
            outdated_answer=q.old,
        )
        for q in sorted(drafts, key=lambda q: q.id)
    ]
    judged = build_judge_set(w, sorted(drafts, key=lambda q: q.id), docs)
    judged.sort(key=lambda j: j.id)
    check_integrity(docs, qa, judged)
    return docs, qa, judged


def render(rows) -> str:
    return "".join(json.dumps(r.model_dump(mode="json"), ensure_ascii=False) + "\n" for r in rows)


def render_all(seed: int = SEED) -> dict[str, str]:
    docs, qa, judged = build(seed)
    return dict(zip(FILES, (render(docs), render(qa), render(judged)), strict=True))


# --------------------------------------------------------------------------------------------
# Statistics for the README
# --------------------------------------------------------------------------------------------

README_FILE = HERE / "README_handbook.md"
STATS_BEGIN = "<!-- BEGIN GENERATED STATS (python -m course.data.generate_handbook) -->"
STATS_END = "<!-- END GENERATED STATS -->"
_STOP = frozenset({"a", "an", "the", "of", "to", "in", "on", "for", "and", "or", "is", "are", "be", "by", "with", "what", "which", "how", "does", "do", "at", "from", "as", "it", "its", "that", "this", "after", "before", "when", "who", "whose", "must", "can", "my", "i", "me", "we", "our", "per", "long", "many", "much"})


def _content_words(text: str) -> set[str]:
    return {t for t in re.findall(r"[a-z0-9][a-z0-9.%$-]*", text.lower()) if t not in _STOP}


def render_stats(docs: list[Document], qa: list[QAItem], judged: list[JudgedOutput]) -> str:
    from course.data.handbook import passages as all_passages

    ps = all_passages(docs)
    by_pid = {p.id: p for p in ps}
    words = sorted(len(d.body.split()) for d in docs)
    lines = [STATS_BEGIN, "", f"{len(docs)} documents, {len(ps)} passages, {sum(words):,} words "
             f"(per document: min {words[0]}, median {words[len(words) // 2]}, max {words[-1]}).", ""]
    lines += ["| Document category | Documents |", "|---|---|"]
    for cat, n in sorted(Counter(d.category for d in docs).items()):
        lines.append(f"| {cat} | {n} |")
    lines += ["", "| Question type | dev | test | total | mean lexical overlap with gold passage |", "|---|---|---|---|---|"]
    for qtype in ("lookup", "numeric", "paraphrase", "multi-hop", "outdated-trap", "unanswerable"):
        items = [q for q in qa if q.type == qtype]
        dev = sum(q.split == "dev" for q in items)
        if qtype == "unanswerable":
            overlap = "n/a"
        else:
            ratios = []
            for q in items:
                qw = _content_words(q.question)
                pw = set().union(*(_content_words(by_pid[p].text) for p in q.supporting_passage_ids))
                ratios.append(len(qw & pw) / max(1, len(qw)))
            overlap = f"{sum(ratios) / len(ratios):.2f}"
        lines.append(f"| {qtype} | {dev} | {len(items) - dev} | {len(items)} | {overlap} |")
    lines.append(f"| **all** | {sum(q.split == 'dev' for q in qa)} | {sum(q.split == 'test' for q in qa)} | {len(qa)} | |")
    lines += ["", "| Judged outputs | label | dev | test | total |", "|---|---|---|---|---|"]
    for kind in sorted({j.perturbation for j in judged}, key=lambda k: (k not in PASSING_PERTURBATIONS, k)):
        items = [j for j in judged if j.perturbation == kind]
        dev = sum(j.split == "dev" for j in items)
        lines.append(f"| {kind} | {items[0].human_label} | {dev} | {len(items) - dev} | {len(items)} |")
    for split in ("dev", "test", None):
        items = [j for j in judged if split is None or j.split == split]
        share = sum(j.human_label == "pass" for j in items) / len(items)
        lines.append(f"| **pass share, {split or 'all'}** | | | | {share:.1%} of {len(items)} |")
    lines += ["", STATS_END]
    return "\n".join(lines)


def update_readme(stats: str, text: str) -> str:
    start, end = text.index(STATS_BEGIN), text.index(STATS_END) + len(STATS_END)
    return text[:start] + stats + text[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output folder (default: course/data/handbook)")
    parser.add_argument("--check", action="store_true", help="exit 1 if the files on disk differ from a fresh build")
    args = parser.parse_args(argv)
    docs, qa, judged = build(SEED)
    outputs = dict(zip(FILES, (render(docs), render(qa), render(judged)), strict=True))
    stats = render_stats(docs, qa, judged)
    readme = README_FILE.read_text(encoding="utf-8") if README_FILE.exists() else None
    if args.check:
        stale = [name for name, text in outputs.items()
                 if not (args.out / name).exists() or (args.out / name).read_text(encoding="utf-8") != text]
        if readme is not None and update_readme(stats, readme) != readme:
            stale.append(README_FILE.name)
        if stale:
            print(f"stale: {', '.join(stale)}; run python -m course.data.generate_handbook", file=sys.stderr)
            return 1
        print("handbook dataset is up to date")
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in outputs.items():
        (args.out / name).write_text(text, encoding="utf-8")
    if readme is not None and args.out == OUT_DIR:
        README_FILE.write_text(update_readme(stats, readme), encoding="utf-8")
    print(f"wrote {len(docs)} documents, {len(qa)} questions, {len(judged)} judged outputs to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
