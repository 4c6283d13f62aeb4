import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.ts";
import { tableRows } from "../../scripts/readme-tables.ts";
import { ERROR_CATALOGUE, errorTable, gatewayError, withErrorInfo } from "./error-catalogue.ts";

const reasonOf = (err: ConnectError) => err.findDetails(ErrorInfoSchema).map((info) => info.reason);

describe("error catalogue", () => {
  test("an error Connect made without details gets the reason its code means; anything else is GATEWAY_INTERNAL", () => {
    assert.deepEqual(reasonOf(withErrorInfo(new ConnectError("bad json", Code.InvalidArgument))), [
      "REQUEST_UNDECODABLE",
    ]);
    const internal = withErrorInfo(new ConnectError("boom", Code.Unknown));
    assert.deepEqual(reasonOf(internal), ["GATEWAY_INTERNAL"]);
    assert.equal(internal.findDetails(RetryInfoSchema).length, ERROR_CATALOGUE.GATEWAY_INTERNAL.retry ? 1 : 0);
  });

  test("an error that already has its reason keeps it, once", () => {
    const err = gatewayError("TOO_MANY_STREAMS", "full", { retryAfterMs: 2500 });
    assert.deepEqual(reasonOf(withErrorInfo(err)), ["TOO_MANY_STREAMS"]);
    const [retry] = err.findDetails(RetryInfoSchema);
    assert.equal(retry?.retryDelay?.seconds, 2n);
    assert.equal(retry?.retryDelay?.nanos, 500_000_000);
  });

  test("a reason that cannot be retried carries no RetryInfo even when a delay is offered", () => {
    const err = gatewayError("UPSTREAM_CREDENTIALS_REJECTED", "denied", { retryAfterMs: 1000 });
    assert.equal(err.findDetails(RetryInfoSchema).length, 0);
    assert.equal(err.code, Code.Unavailable);
  });

  test("README's error table is the catalogue (run `npm run docs` after changing it)", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const documented = tableRows(readme, "| reason");
    assert.deepEqual(documented, tableRows(errorTable(), "| reason"));
    assert.equal(documented.length, Object.keys(ERROR_CATALOGUE).length);
  });
});
