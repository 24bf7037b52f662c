"""The IVR API fuzzed from its own OpenAPI document (schemathesis, through WSGI).

For every operation, seeded and bounded: schema-conforming requests and requests that
break the schema, with a valid key. No answer may be a 5xx, nothing may be logged at ERROR
(no traceback), and every answer must match the document (status, content type, headers,
body schema); requests that break the schema must be refused with a 4xx. Hostile text in
each field (NUL, line breaks, very long strings...) is tried by
tests/bot/doors/test_hostile_input.py.
"""

from __future__ import annotations

import logging

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from commands.core import Services
from testing.ivr import load_capacity, open_ivr

EXAMPLES_PER_OPERATION = 25
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance, negative_data_rejection]


def test_the_api_answers_as_its_document_says(demo: Services,
                                              caplog: pytest.LogCaptureFixture) -> None:
    load_capacity(demo)
    ivr = open_ivr(demo, IVR_RATE_PER_MINUTE="1000000")
    # A booked callback: the reading routes answer 404 for every other id.
    assert ivr.post("/callbacks", {"phone": "612345678", "queue": "soporte",
                                   "when": "2026-11-24T10:00:00+01:00"}).status_code == 201
    schema = schemathesis.openapi.from_wsgi("/ivr/v1/openapi.json", ivr.app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 6
    for operation in operations:
        cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                          operation.as_strategy(GenerationMode.NEGATIVE))

        @given(case=cases)
        @settings(max_examples=EXAMPLES_PER_OPERATION, derandomize=True, deadline=None,
                  database=None, suppress_health_check=list(HealthCheck))
        def fuzz(case: schemathesis.Case) -> None:
            caplog.clear()
            case.call_and_validate(headers=ivr.auth, checks=CHECKS)
            assert not [r.getMessage() for r in caplog.records
                        if r.levelno >= logging.ERROR or r.exc_info]

        fuzz()
