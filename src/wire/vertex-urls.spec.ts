import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { VERTEX_CHAT_PATH, vertexBaseUrl } from "./vertex-urls.ts";

describe("Vertex URL shapes", () => {
  test("a region gets its regional host", () => {
    assert.equal(
      vertexBaseUrl({ project: "p", location: "us-central1", apiVersion: "v1" }),
      "https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/endpoints/openapi",
    );
  });

  test("global uses the host without a region", () => {
    assert.equal(
      vertexBaseUrl({ project: "p", location: "global", apiVersion: "v1beta1" }),
      "https://aiplatform.googleapis.com/v1beta1/projects/p/locations/global/endpoints/openapi",
    );
  });

  test("a self-deployed endpoint id and an origin override keep the path shape", () => {
    assert.equal(
      vertexBaseUrl({
        project: "p",
        location: "europe-west4",
        apiVersion: "v1",
        endpointId: "1234",
        origin: "http://127.0.0.1:9/",
      }),
      "http://127.0.0.1:9/v1/projects/p/locations/europe-west4/endpoints/1234",
    );
  });

  test("the emulator's path pattern matches what the builder makes", () => {
    const url = new URL(`${vertexBaseUrl({ project: "p", location: "global", apiVersion: "v1" })}/chat/completions`);
    assert.deepEqual(VERTEX_CHAT_PATH.exec(url.pathname)?.slice(1), ["v1", "p", "global", "openapi"]);
  });
});
