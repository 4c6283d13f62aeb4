import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { tableRows } from "../../scripts/readme-tables.ts";
import { loadConfig, settingsTable } from "./load-config.ts";
import { ConfigError, SETTINGS } from "./settings.ts";

describe("configuration", () => {
  test("defaults need no settings and select the emulator", () => {
    const config = loadConfig({});
    assert.deepEqual(config.listen, { host: "127.0.0.1", port: 8080 });
    assert.equal(config.location, "global");
    assert.equal(config.apiVersion, "v1");
    assert.equal(config.emulator, "auto");
    assert.equal(config.project, "");
  });

  test("flags win over environment variables", () => {
    const config = loadConfig({ GOOGLE_CLOUD_LOCATION: "us-central1" }, [
      "--location",
      "europe-west4",
      "--api-version=v1beta1",
    ]);
    assert.equal(config.location, "europe-west4");
    assert.equal(config.apiVersion, "v1beta1");
  });

  test("IPv6 listen addresses are accepted", () => {
    const config = loadConfig({ VERTEXCHAT_LISTEN: "[::]:9000", VERTEXCHAT_ALLOW_UNAUTHENTICATED: "true" });
    assert.deepEqual(config.listen, { host: "::", port: 9000 });
  });

  const bad: [Record<string, string>, RegExp][] = [
    [{ VERTEXCHAT_LISTN: "127.0.0.1:1" }, /^unknown variable VERTEXCHAT_LISTN; did you mean VERTEXCHAT_LISTEN\?/],
    [{ VERTEXCHAT_WHATEVER_ELSE: "1" }, /^unknown variable VERTEXCHAT_WHATEVER_ELSE \(run with --help/],
    [{ VERTEXCHAT_LISTEN: "8080" }, /^VERTEXCHAT_LISTEN="8080" is not valid; accepted: host:port/],
    [{ VERTEXCHAT_LISTEN: "0.0.0.0:70000" }, /^VERTEXCHAT_LISTEN="0.0.0.0:70000" is not valid/],
    [{ GOOGLE_CLOUD_LOCATION: "mars" }, /^GOOGLE_CLOUD_LOCATION="mars" is not valid; accepted: global or a region/],
    [{ VERTEXCHAT_API_VERSION: "v2" }, /^VERTEXCHAT_API_VERSION="v2" is not valid; accepted: v1, v1beta1$/],
    [{ VERTEXCHAT_EMULATOR: "yes" }, /^VERTEXCHAT_EMULATOR="yes" is not valid; accepted: auto, on, off$/],
    [{ VERTEXCHAT_LOG_LEVEL: "loud" }, /^VERTEXCHAT_LOG_LEVEL="loud" is not valid; accepted: fatal, error/],
    [
      { VERTEXCHAT_DEFAULT_TIMEOUT_MS: "-1" },
      /^VERTEXCHAT_DEFAULT_TIMEOUT_MS="-1" is not valid; accepted: a whole number/,
    ],
    [{ VERTEXCHAT_VERTEX_ORIGIN: "ftp://x" }, /^VERTEXCHAT_VERTEX_ORIGIN="ftp:\/\/x" is not valid; accepted: an http/],
    [{ VERTEXCHAT_GOOGLE_FIELDS_PLACEMENT: "body" }, /accepted: extra_body, top_level$/],
    [{ VERTEXCHAT_TLS_CERT: "/c.pem" }, /VERTEXCHAT_TLS_CERT and VERTEXCHAT_TLS_KEY must be set together/],
    [{ VERTEXCHAT_EMULATOR: "off" }, /VERTEXCHAT_EMULATOR=off needs GOOGLE_CLOUD_PROJECT/],
  ];
  for (const [env, message] of bad) {
    test(`rejects ${JSON.stringify(env)} with one line naming the variable, the value and what is accepted`, () => {
      assert.throws(
        () => loadConfig(env),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError);
          assert.match(err.message, message);
          assert.ok(!err.message.includes("\n"));
          return true;
        },
      );
    });
  }

  test("a bad flag is named as the flag", () => {
    assert.throws(() => loadConfig({}, ["--location=nowhere"]), /^ConfigError: --location="nowhere" is not valid/);
    assert.throws(() => loadConfig({}, ["--colour=red"]), /unknown flag --colour/);
  });

  test("README.md's configuration table is the one settings.ts makes (npm run docs)", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const documented = tableRows(readme, "| variable");
    assert.deepEqual(documented, tableRows(settingsTable(), "| variable"));
    assert.equal(documented.length, Object.keys(SETTINGS).length);
  });

  describe("settings that only make sense together", () => {
    const refused: [string, NodeJS.ProcessEnv, RegExp][] = [
      [
        "auth none on a non-loopback address",
        { VERTEXCHAT_LISTEN: "0.0.0.0:8080" },
        /VERTEXCHAT_AUTH=none would let anyone on the network .* VERTEXCHAT_ALLOW_UNAUTHENTICATED=true/,
      ],
      ["caller auth without a callers file", { VERTEXCHAT_AUTH: "api_key" }, /needs VERTEXCHAT_CALLERS_FILE/],
      [
        "id_token without an audience",
        { VERTEXCHAT_AUTH: "id_token", VERTEXCHAT_CALLERS_FILE: "callers.yaml" },
        /needs VERTEXCHAT_ID_TOKEN_AUDIENCE/,
      ],
      [
        "mtls without a client CA",
        {
          VERTEXCHAT_AUTH: "mtls",
          VERTEXCHAT_CALLERS_FILE: "callers.yaml",
          VERTEXCHAT_TLS_CERT: "c.pem",
          VERTEXCHAT_TLS_KEY: "k.pem",
        },
        /mtls needs VERTEXCHAT_TLS_CERT, VERTEXCHAT_TLS_KEY and VERTEXCHAT_TLS_CLIENT_CA/,
      ],
      ["none mixed with a caller auth mode", { VERTEXCHAT_AUTH: "none,api_key" }, /none alone/],
    ];
    for (const [what, env, message] of refused) {
      test(`${what} is refused at start-up, naming the fix`, () => {
        assert.throws(
          () => loadConfig(env),
          (err: unknown) => err instanceof ConfigError && message.test(err.message),
        );
      });
    }

    test("auth none on a non-loopback address is served when explicitly allowed", () => {
      const config = loadConfig({ VERTEXCHAT_LISTEN: "0.0.0.0:8080", VERTEXCHAT_ALLOW_UNAUTHENTICATED: "true" });
      assert.deepEqual(config.auth, ["none"]);
    });
  });
});
